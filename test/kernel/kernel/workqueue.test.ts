// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { Machine } from '../../../hw';
import { Scheduler } from '../../../kernel/kernel/sched/core';
import { system_wq, work_struct } from '../../../kernel/kernel/workqueue';

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

  it('runs work on the queueing CPU\'s kworker, which the trace shows by its comm', () => {
    const { m, s, wq } = world(2);
    const seen: string[] = [];
    s.onSwitch = (cpu, t) => seen.push(`${cpu}:${t.comm}`);
    const w = new work_struct('w', () => {});
    s.run([once(1, () => m.runOn(1, () => wq.schedule_work(w)))]);
    expect(seen).to.deep.equal(['1:t', '1:kworker/1:1', '1:t']); // the task's last next() ends it
  });
});
