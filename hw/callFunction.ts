// SPDX-License-Identifier: GPL-2.0-only
/**
 * callFunctionMany: the hardware-level behaviour of the kernel's smp_call_function_many()
 * (kernel/smp.c), for a kernel layer that does not port it line by line:
 *
 *   1. for each other CPU in the mask: wait for this initiator's previous request to it
 *      (csd_lock), queue the request; only a target whose queue was empty gets an IPI;
 *   2. send the IPIs;
 *   3. run the function locally if the initiator is in the mask and `runLocal` is set;
 *   4. with `wait`, have every target handle its interrupt (running the function) before
 *      returning, and charge the sender the delivery latency, the slowest handler and the
 *      ACK.
 */

import type { CallRequest, IpiVector } from './apic.js';
import { COST_INDEX } from './costs.js';
import { CPU_STATS, CYCLE_STATS, Cpu } from './cpu.js';
import type { Machine } from './machine.js';

/** Options of callFunctionMany. */
export interface CallFunctionOptions {
  /** Run `fn` on the initiator too when it is in the mask (SCF_RUN_LOCAL). Default true. */
  readonly runLocal?: boolean;
  /** Wait until every target has run `fn` (SCF_WAIT). Default true. */
  readonly wait?: boolean;
  /** Vector class the IPIs are counted under. Default "CAL". */
  readonly vector?: IpiVector;
}

/** What a callFunctionMany did. */
export interface CallFunctionResult {
  /** Requests queued on other CPUs. */
  readonly queued: number;
  /** IPIs sent (targets whose queue was empty). */
  readonly ipis: number;
  /** Whether the initiator ran `fn` itself. */
  readonly ranLocally: boolean;
}

const S = CPU_STATS.index;
const C = COST_INDEX;

/** Run `fn` on the CPUs in `mask` from CPU `from`, with smp_call_function_many semantics. */
export function callFunctionMany(
  machine: Machine,
  from: number,
  mask: Iterable<number>,
  fn: (cpu: Cpu) => void,
  options: CallFunctionOptions = {},
): CallFunctionResult {
  const runLocal = options.runLocal ?? true;
  const wait = options.wait ?? true;
  const vector = options.vector ?? 'CAL';
  const apic = machine.apic;
  const sender = machine.cpu(from);
  const cost = machine.costVector;
  const targets = [...new Set(mask)].sort((a, b) => a - b);
  const requests: [number, CallRequest][] = [];
  const ipiMask: number[] = [];
  let local = false;
  for (const t of targets) {
    machine.cpu(t); // validates the id
    if (t === from) {
      local = true;
      continue;
    }
    const previous = apic.lastRequest(from, t);
    if (previous !== undefined && !previous.done) {
      sender.count(S.csdLockWaits);
      apic.deliver(t);
      if (!previous.done) apic.runCallQueue(t);
    }
    const req: CallRequest = { fn, sync: wait, from, done: false };
    apic.setLastRequest(from, t, req);
    sender.count(S.callQueued);
    sender.charge(C.csdEnqueue, cost[C.csdEnqueue]!);
    if (apic.queueCall(t, req)) ipiMask.push(t);
    else sender.count(S.callCoalesced);
    requests.push([t, req]);
  }
  if (ipiMask.length > 0) apic.sendIpi(from, ipiMask, vector);
  const ranLocally = local && runLocal;
  if (ranLocally) {
    sender.count(S.callLocal);
    machine.runOn(from, () => fn(sender));
  }
  if (wait && requests.length > 0) {
    sender.count(S.callWaits);
    let slowest = 0;
    let waited = false;
    // Under an emulator a target handles the IPI when its vCPU thread next
    // runs on a host core (hw/hostCores.ts; docs/concurrency.md, "Host turns").
    const host = machine.host;
    const arrives = sender.now + cost[C.ipiDelivery]!;
    for (const [t, req] of requests) {
      if (req.done) continue;
      waited = true;
      const target = machine.cpu(t);
      const before = target.now;
      apic.deliver(t);
      machine.irqObserver?.(t, vector, before, target.now);
      if (!req.done) {
        throw new Error(`cpu${t} handled its interrupts but did not run the call queued by cpu${from}: the ${vector} handler must drain the call queue`);
      }
      const turn = host === null ? 0 : host.nextOnCore(t, arrives) - arrives;
      slowest = Math.max(slowest, turn + target.now - before);
    }
    if (waited) {
      sender.charge(C.ipiDelivery, cost[C.ipiDelivery]!);
      // The last ACK comes at arrives + slowest; a sender whose own delivery
      // wait lost its host core meanwhile has already waited past part of it.
      const late = host === null || !host.turns ? 0 : sender.now - arrives;
      sender.charge(CYCLE_STATS.index.handlerWait, late > 0 ? Math.max(0, slowest - late) : slowest);
      sender.charge(C.ackWait, cost[C.ackWait]!);
    }
  }
  return { queued: requests.length, ipis: ipiMask.length, ranLocally };
}
