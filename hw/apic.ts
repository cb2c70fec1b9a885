// SPDX-License-Identifier: GPL-2.0-only
/**
 * Local APICs and the per-CPU call-function queue. An IPI sets its vector pending at each
 * target (a vector already pending absorbs a second IPI, as the IRR does); the target
 * handles it at its next interrupt window: when the scheduler next runs it, or at once
 * when a sender waits for it. The call queue is the kernel's per-CPU `call_single_queue`:
 * queueCall() reports whether the queue was empty (llist_add), which is when a sender
 * must send an IPI; the default handler of both vectors drains the queue in FIFO order,
 * marking a synchronous request done (its ACK) after running it and an asynchronous one
 * before.
 */

import { COST_INDEX } from './costs.js';
import { CPU_STATS, Cpu } from './cpu.js';
import type { Machine } from './machine.js';

/** Interrupt vector classes, as /proc/interrupts names them. */
export type IpiVector = 'CAL' | 'TLB';

/** One queued call-function request (a CSD). */
export interface CallRequest {
  readonly fn: (cpu: Cpu) => void;
  /** Synchronous: the ACK (done) is given after fn has run. */
  readonly sync: boolean;
  /** CPU that queued it. */
  readonly from: number;
  /** Set when the target has run (sync) or taken (async) it. */
  done: boolean;
}

const S = CPU_STATS.index;
const C = COST_INDEX;
const VECTOR_BIT: { readonly [V in IpiVector]: number } = { CAL: 1, TLB: 2 };

/** The machine's APICs. */
export class Apic {
  private readonly m: Machine;
  private readonly queues: CallRequest[][];
  private readonly pending: Uint8Array;
  private readonly handlers: { [V in IpiVector]: (cpu: Cpu) => void };
  private readonly csd = new Map<number, CallRequest>();

  constructor(machine: Machine) {
    this.m = machine;
    const n = machine.config.cpus;
    this.queues = Array.from({ length: n }, () => []);
    this.pending = new Uint8Array(n);
    const drain = (cpu: Cpu): void => {
      this.runCallQueue(cpu.id);
    };
    this.handlers = { CAL: drain, TLB: drain };
  }

  /** Replace the handler of `vector` (both default to draining the call queue). */
  setHandler(vector: IpiVector, handler: (cpu: Cpu) => void): void {
    this.handlers[vector] = handler;
  }

  /** Append `request` to `target`'s call queue; true if the queue was empty (send an IPI). */
  queueCall(target: number, request: CallRequest): boolean {
    const q = this.queue(target);
    q.push(request);
    return q.length === 1;
  }

  /** Requests waiting in `cpu`'s call queue. */
  queuedCalls(cpu: number): number {
    return this.queue(cpu).length;
  }

  /**
   * Take `cpu`'s whole call queue and run it on that CPU, oldest first (the kernel's
   * __flush_smp_call_function_queue). Returns the number of requests run.
   */
  runCallQueue(cpu: number): number {
    const q = this.queue(cpu);
    if (q.length === 0) return 0;
    const batch = q.splice(0, q.length);
    const target = this.m.cpu(cpu);
    this.m.runOn(cpu, () => {
      for (const req of batch) {
        target.count(S.callHandled);
        if (req.sync) {
          req.fn(target);
          req.done = true;
        } else {
          req.done = true;
          req.fn(target);
        }
      }
    });
    return batch.length;
  }

  /** Send `vector` from `from` to each CPU in `targets`: one ICR write (ipiSend) per target. */
  sendIpi(from: number, targets: readonly number[], vector: IpiVector): void {
    const sender = this.m.cpu(from);
    const bit = VECTOR_BIT[vector];
    const sentIndex = vector === 'CAL' ? S.ipiSentCal : S.ipiSentTlb;
    for (const t of targets) {
      const target = this.m.cpu(t);
      this.m.clock++;
      sender.count(sentIndex);
      sender.charge(C.ipiSend, this.m.costVector[C.ipiSend]!);
      if (this.pending[t]! & bit) target.count(S.ipiMerged);
      this.pending[t] = this.pending[t]! | bit;
    }
  }

  /** Whether `cpu` has an interrupt pending. */
  hasPending(cpu: number): boolean {
    return this.pending[cpu] !== 0;
  }

  /** Handle `cpu`'s pending interrupts now (irqEntry each); returns how many. */
  deliver(cpu: number): number {
    let handled = 0;
    while (this.pending[cpu] !== 0) {
      const bits = this.pending[cpu]!;
      const vector: IpiVector = (bits & 1) !== 0 ? 'CAL' : 'TLB';
      this.pending[cpu] = bits & ~VECTOR_BIT[vector];
      const target = this.m.cpu(cpu);
      this.m.clock++;
      target.count(vector === 'CAL' ? S.ipiReceivedCal : S.ipiReceivedTlb);
      target.charge(C.irqEntry, this.m.costVector[C.irqEntry]!);
      const handler = this.handlers[vector];
      this.m.runOn(cpu, () => handler(target));
      handled++;
    }
    return handled;
  }

  /** Handle every pending interrupt on every CPU, lowest CPU first, until none is left. */
  deliverAll(): number {
    let handled = 0;
    for (;;) {
      let round = 0;
      for (let c = 0; c < this.pending.length; c++) if (this.pending[c] !== 0) round += this.deliver(c);
      if (round === 0) return handled;
      handled += round;
    }
  }

  /** The last request `from` queued for `to` (its per-pair CSD), if any. */
  lastRequest(from: number, to: number): CallRequest | undefined {
    return this.csd.get(from * this.pending.length + to);
  }

  /** Record `request` as the one `from` last queued for `to`. */
  setLastRequest(from: number, to: number, request: CallRequest): void {
    this.csd.set(from * this.pending.length + to, request);
  }

  private queue(cpu: number): CallRequest[] {
    const q = this.queues[cpu];
    if (q === undefined) throw new RangeError(`cpu ${cpu} does not exist`);
    return q;
  }
}
