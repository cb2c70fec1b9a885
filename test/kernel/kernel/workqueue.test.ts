// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { Machine } from '../../../hw/index.js';
import { Scheduler } from '../../../kernel/kernel/sched/core.js';
import { COST_INDEX } from '../../../hw/costs.js';
import { delayed_work, rcu_work, system_wq, work_struct } from '../../../kernel/kernel/workqueue.js';

function world(cpus: number): { m: Machine; s: Scheduler; wq: system_wq } {
  const m = new Machine({ cpus, checker: false });
  const s = new Scheduler(m);
  const wq = new system_wq(m, s, (cpu) => 100 + cpu);
  return { m, s, wq };
}

/** A task that runs `fn` once as its only step. */
function once(cpu: number, fn: () => void): { comm: string; pid: number; cpu: number; bound: boolean; steps: Iterator<unknown> } {
  return {
    comm: 't',
    pid: 1,
    cpu,
    bound: true,
    steps: (function* () {
      fn();
      yield;
    })(),
  };
}

describe('kernel/kernel/workqueue: system_wq in modelled time', () => {
  it('does not queue an item that is already pending (schedule_work returns false)', () => {
    const { s, wq } = world(1);
    const w = new work_struct('w', () => {});
    const results: boolean[] = [];
    s.run([once(0, () => results.push(wq.schedule_work(w), wq.schedule_work(w)))]);
    expect(results).to.deep.equal([true, false]);
    expect(w.runs).to.equal(1);
  });

  it('runs an item queued again while it runs once more afterwards', () => {
    const { s, wq } = world(1);
    let n = 0;
    const w: work_struct = new work_struct('w', () => {
      n++;
      if (n === 1) expect(wq.schedule_work(w)).to.equal(true);
    });
    s.run([once(0, () => wq.schedule_work(w))]);
    expect(w.runs).to.equal(2);
    expect(n).to.equal(2);
  });

  it('queues an item running on one CPU into that CPU\'s pool when another CPU queues it (non-reentrant)', () => {
    const { m, s, wq } = world(2);
    const ranOn: number[] = [];
    const w: work_struct = new work_struct('w', () => {
      ranOn.push(m.currentCpu);
      if (ranOn.length === 1) m.runOn(1, () => wq.schedule_work(w));
    });
    s.run([once(0, () => wq.schedule_work(w))]);
    expect(ranOn).to.deep.equal([0, 0]);
  });

  it('queues an item into the pool where it still runs at the queuing CPU\'s clock, though that run was over first in the order the steps ran', () => {
    const { m, s, wq } = world(2);
    const runs: { cpu: number; at: number }[] = [];
    const w = new work_struct('w', () => {
      const c = m.cpu(m.currentCpu);
      runs.push({ cpu: m.currentCpu, at: c.now });
      c.charge(COST_INDEX.apiCall, 10000);
    });
    // CPU 0 queues w and its kworker runs it whole, to about 10,000 cycles; then CPU 1, at 2,000, queues it.
    const late = {
      comm: 'late',
      pid: 2,
      cpu: 1,
      bound: true,
      steps: (function* () {
        m.cpu(1).charge(COST_INDEX.apiCall, 2000);
        yield;
        wq.schedule_work(w);
        yield;
      })(),
    };
    s.run([once(0, () => wq.schedule_work(w)), late]);
    expect(runs.map((r) => r.cpu)).to.deep.equal([0, 0]);
    expect(runs[1]!.at, 'the second run starts after the first ends').to.be.at.least(runs[0]!.at + 10000);
  });

  it('runs work on the queueing CPU\'s kworker, which the trace shows by its comm', () => {
    const { m, s, wq } = world(2);
    const seen: string[] = [];
    s.onSwitch = (cpu, t) => seen.push(`${cpu}:${t.comm}`);
    const w = new work_struct('w', () => {});
    s.run([once(1, () => m.runOn(1, () => wq.schedule_work(w)))]);
    expect(seen).to.deep.equal(['1:t', '1:kworker/1:1', '1:t']); // the task's last next() ends it
  });
});

describe('kernel/kernel/workqueue: delayed work and rcu work', () => {
  it('queues a delayed item at the jiffy its delay names, on the CPU it was armed for', () => {
    const { m, s, wq } = world(2);
    const tick = m.costVector[COST_INDEX.schedTick]!;
    let ranAt = -1;
    let ranOn = -1;
    const dw = new delayed_work(new work_struct('dw', () => ((ranAt = m.cpu(m.currentCpu).now), (ranOn = m.currentCpu))));
    s.run([once(1, () => wq.queue_delayed_work_on(1, dw, 3))]);
    expect(ranOn).to.equal(1);
    expect(ranAt).to.be.at.least(3 * tick);
    expect(ranAt).to.be.below(4 * tick);
  });

  it('moves a pending delayed item to a shorter delay with mod_delayed_work_on, and does not queue it twice', () => {
    const { m, s, wq } = world(1);
    const tick = m.costVector[COST_INDEX.schedTick]!;
    const runs: number[] = [];
    const dw = new delayed_work(new work_struct('dw', () => runs.push(m.cpu(0).now)));
    const r: boolean[] = [];
    s.run([once(0, () => r.push(wq.queue_delayed_work_on(0, dw, 1250), wq.queue_delayed_work_on(0, dw, 5), wq.mod_delayed_work_on(0, dw, 1)))]);
    expect(r).to.deep.equal([true, false, true]);
    expect(runs).to.have.length(1);
    expect(runs[0]).to.be.below(2 * tick);
  });

  it('runs an rcu_work item only after the grace period its call_rcu waited for', () => {
    const { m, s, wq } = world(1);
    let gpDone = false;
    let ranAfterGp: boolean | null = null;
    const rw = new rcu_work(new work_struct('rw', () => (ranAfterGp = gpDone)));
    const call_rcu = (fn: () => void) =>
      s.add_timer({
        expires: 1_000_000,
        cpu: 0,
        pending: false,
        function: () => {
          gpDone = true;
          fn();
        },
      });
    s.run([once(0, () => expect(wq.queue_rcu_work(rw, call_rcu)).to.equal(true))]);
    expect(ranAfterGp).to.equal(true);
    expect(rw.work.runs).to.equal(1);
    expect(m.cpu(0).now).to.be.at.least(1_000_000);
  });
});
