// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { COST_INDEX } from '../../../hw/costs.js';
import { bootKernel, Kernel } from '../../../kernel/boot.js';
import type { TaskSpec } from '../../../kernel/kernel/sched/core.js';
import { hex, type ulong } from '../../../kernel/include/u64.js';

/** A kthread on CPU 0 that vmallocs `n` one-page objects and hands each to kvfree_rcu (one or two arguments). */
function kvfreeTask(k: Kernel, n: number, twoArg: boolean, out: { ptrs: ulong[]; mappedAfterCall: boolean[] }): TaskSpec {
  return {
    comm: 'kvfree',
    pid: 500,
    cpu: 0,
    bound: true,
    steps: (function* () {
      for (let i = 0; i < n; i++) {
        const p = k.vmalloc(0, 4096);
        k.call(0, 'kvfree_rcu', () => k.kvfree_rcu.kvfree_call_rcu(twoArg, p));
        out.ptrs.push(p);
        out.mappedAfterCall.push(k.find_vm_area(p) !== null);
        yield;
      }
    })(),
  };
}

/** Trace timestamps (cycles) of free_vmap_area_noflush events for the given areas. */
function freeTimes(k: Kernel, ptrs: readonly ulong[]): number[] {
  const starts = new Set(ptrs.map((p) => `va_start=0x${hex(p)}`));
  return k.trace.entries.filter((e) => e.event === 'vmalloc:free_vmap_area_noflush' && starts.has((typeof e.fields === 'function' ? e.fields() : e.fields).split(' ')[0]!)).map((e) => e.cycles);
}

describe('mm/slab_common (7.3): kvfree_rcu() batching', () => {
  it('frees a vmalloc\'d object only after a grace period, from a kworker, after KFREE_DRAIN_JIFFIES when few are queued', () => {
    const k = bootKernel({ version: 'linux-7.3', cpus: 2, machine: { cpus: 2, checker: false } });
    const tick = k.machine.costVector[COST_INDEX.schedTick]!;
    const out = { ptrs: [] as ulong[], mappedAfterCall: [] as boolean[] };
    k.runTasks([kvfreeTask(k, 3, false, out)]);
    expect(out.mappedAfterCall).to.deep.equal([true, true, true]);
    // The monitor work fires 5 * HZ jiffies later and starts one grace period for the batch.
    expect(k.rcu.history).to.have.length(1);
    const gp = k.rcu.history[0]!;
    expect(gp.start).to.be.at.least(1250 * tick);
    expect(gp.end).to.be.at.least(gp.start);
    for (const p of out.ptrs) expect(k.find_vm_area(p)).to.equal(null);
    const times = freeTimes(k, out.ptrs);
    expect(times).to.have.length(3);
    for (const t of times) expect(t).to.be.at.least(gp.end);
    expect(k.kvfree_rcu.nr_freed).to.equal(3);
    const comms = new Set(k.trace.entries.filter((e) => e.event === 'vmalloc:free_vmap_area_noflush').map((e) => e.comm));
    expect([...comms].every((c) => c.startsWith('kworker/'))).to.equal(true);
  });

  it('drains a CPU after one jiffy once a bulk page is full (507 pointers)', () => {
    const k = bootKernel({ version: 'linux-7.3', cpus: 1, machine: { cpus: 1, checker: false } });
    const tick = k.machine.costVector[COST_INDEX.schedTick]!;
    const out = { ptrs: [] as ulong[], mappedAfterCall: [] as boolean[] };
    k.runTasks([kvfreeTask(k, 507, false, out)]);
    const gp = k.rcu.history[0]!;
    expect(gp.start).to.be.below(300 * tick);
    expect(k.kvfree_rcu.nr_freed).to.equal(507);
    for (const t of freeTimes(k, out.ptrs)) expect(t).to.be.at.least(gp.end);
  });

  it('queues the two-argument form on its rcu_head while the bulk-page cache is empty, and frees it after the grace period too', () => {
    const k = bootKernel({ version: 'linux-7.3', cpus: 1, machine: { cpus: 1, checker: false } });
    const out = { ptrs: [] as ulong[], mappedAfterCall: [] as boolean[] };
    let headCount = -1;
    const t = kvfreeTask(k, 1, true, out);
    const steps = t.steps;
    k.runTasks([
      {
        ...t,
        steps: (function* () {
          steps.next();
          headCount = (k.kvfree_rcu.krc[0] as { head_count: number }).head_count;
          yield;
        })(),
      },
    ]);
    expect(headCount).to.equal(1);
    expect(k.kvfree_rcu.nr_freed).to.equal(1);
    expect(k.find_vm_area(out.ptrs[0]!)).to.equal(null);
    expect(freeTimes(k, out.ptrs)[0]).to.be.at.least((k.rcu.history[0] as { end: number }).end);
  });
});
