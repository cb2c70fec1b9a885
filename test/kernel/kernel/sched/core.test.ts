// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { Machine } from '../../../../hw/index.js';
import { COST_INDEX } from '../../../../hw/costs.js';
import { Scheduler, type TaskSpec } from '../../../../kernel/kernel/sched/core.js';
import { system_wq, work_struct } from '../../../../kernel/kernel/workqueue.js';

/** A task of `n` steps, each costing `cycles` on its CPU, logging "name@cpu". */
function worker(m: Machine, name: string, cpu: number, n: number, cycles: number, log: string[], bound = true): TaskSpec {
  return {
    comm: name,
    pid: 1,
    cpu,
    bound,
    steps: (function* () {
      for (let i = 0; i < n; i++) {
        log.push(`${name}@${m.currentCpu}`);
        m.cpu(m.currentCpu).charge(COST_INDEX.apiCall, cycles);
        yield;
      }
    })(),
  };
}

describe('kernel/kernel/sched/core: tasks in modelled time', () => {
  it('always runs the CPU whose clock is lowest, lowest id first on ties', () => {
    const m = new Machine({ cpus: 2, checker: false });
    const s = new Scheduler(m);
    const log: string[] = [];
    // a: steps of 100 cycles on cpu0; b: steps of 250 on cpu1. Clocks: a 0,100,200,300; b 0,250.
    s.run([worker(m, 'a', 0, 4, 100, log), worker(m, 'b', 1, 2, 250, log)]);
    expect(log).to.deep.equal(['a@0', 'b@1', 'a@0', 'a@0', 'b@1', 'a@0']);
  });

  it('gives the same order for the same input', () => {
    const runs = [0, 1].map(() => {
      const m = new Machine({ cpus: 3, checker: false });
      const s = new Scheduler(m);
      const log: string[] = [];
      s.run([worker(m, 'a', 0, 5, 70, log), worker(m, 'b', 1, 5, 110, log), worker(m, 'c', 2, 5, 90, log)]);
      return log.join(' ');
    });
    expect(runs[0]).to.equal(runs[1]);
  });

  it('lets a catch-up run the others no further than the clock of a CPU suspended below it', () => {
    const m = new Machine({ cpus: 3, checker: false });
    const s = new Scheduler(m);
    const to = (cpu: number, t: number): void => m.cpu(cpu).charge(COST_INDEX.apiCall, t - m.cpu(cpu).now);
    let cpu2At = -1;
    const task = (cpu: number, steps: Generator<void>): TaskSpec => ({ comm: `t${cpu}`, pid: 10 + cpu, cpu, bound: true, steps });
    // cpu0 reaches a wait point at 10,000 and lets the others catch up. cpu1's
    // next step, run in that catch-up, ends at 20,000 (it waited for a lock) and
    // reaches a wait point of its own there; cpu2 steps 3,000 cycles at a time.
    s.run([
      task(0, (function* () { to(0, 10000); s.catchUp(0); yield; })()),
      task(1, (function* () { to(1, 1000); yield; to(1, 20000); s.catchUp(1); cpu2At = m.cpu(2).now; yield; })()),
      task(2, (function* () { for (let i = 0; i < 10; i++) { m.cpu(2).charge(COST_INDEX.apiCall, 3000); yield; } })()),
    ]);
    // cpu1's catch-up stops at cpu0's 10,000 (cpu2 ends the step that crosses it),
    // where with its own clock as the limit cpu2 would have run to 21,000.
    expect(cpu2At).to.equal(12000);
  });

  for (const [what, cycles, where] of [
    ['still runs at the next scheduler tick: idle balancing pulls the task to the idle CPU', 13_000_000, 1],
    ['ends before the next tick: the task waits and goes on where it was', 1000, 0],
  ] as const) {
    it(`lets an unbound task preempted by a kworker move when the kworker ${what}`, () => {
      const m = new Machine({ cpus: 2, checker: false });
      const s = new Scheduler(m);
      const wq = new system_wq(m, s, (c) => 10 + c);
      const log: string[] = [];
      // The work runs `cycles` (the tick is 12,000,000 cycles), then waits (a catch-up point).
      const w = new work_struct('w', () => {
        m.cpu(m.currentCpu).charge(COST_INDEX.apiCall, cycles);
        s.catchUp(m.currentCpu);
      });
      const t: TaskSpec = {
        comm: 'insmod',
        pid: 900,
        cpu: 0,
        bound: false,
        steps: (function* () {
          wq.schedule_work(w);
          log.push(`queue@${m.currentCpu}`);
          yield;
          log.push(`next@${m.currentCpu}`);
          yield;
        })(),
      };
      s.run([t]);
      expect(log).to.deep.equal(['queue@0', `next@${where}`]);
      expect(s.stats.migrations).to.equal(where);
      if (where === 1) expect(m.cpu(1).idleCycles).to.equal(12_000_000 + m.costVector[COST_INDEX.migrate]!);
    });
  }

  it('keeps a bound task on its CPU: it waits for the kworker there', () => {
    const m = new Machine({ cpus: 2, checker: false });
    const s = new Scheduler(m);
    const wq = new system_wq(m, s, (c) => 10 + c);
    const log: string[] = [];
    const w = new work_struct('w', () => log.push(`work@${m.currentCpu}`));
    const t: TaskSpec = {
      comm: 'kthread',
      pid: 900,
      cpu: 0,
      bound: true,
      steps: (function* () {
        wq.schedule_work(w);
        yield;
        log.push(`next@${m.currentCpu}`);
        yield;
      })(),
    };
    s.run([t]);
    expect(log).to.deep.equal(['work@0', 'next@0']);
    expect(s.stats.migrations).to.equal(0);
  });

  describe('EEVDF (6.6 on, voluntary preemption): a kworker gives up its CPU between two items', () => {
    /**
     * A bound kthread on CPU 0 of 2 queues two items and then takes steps of
     * 1,000,000 cycles. The first item runs `first` cycles; the tick is
     * 12,000,000 and the base slice at 2 CPUs 0.7 ms x 2 = 4,200,000.
     * Returns the clock at which the second item starts and how many steps
     * of the kthread ran between the two items.
     */
    function secondItem(fair: 'cfs' | 'eevdf', first: number): { start: number; between: number } {
      const m = new Machine({ cpus: 2, checker: false });
      const s = new Scheduler(m);
      s.fair = fair;
      const wq = new system_wq(m, s, (c) => 10 + c);
      const log: string[] = [];
      let start = -1;
      const w1 = new work_struct('w1', () => {
        log.push('w1');
        m.cpu(m.currentCpu).charge(COST_INDEX.apiCall, first);
      });
      const w2 = new work_struct('w2', () => {
        log.push('w2');
        start = m.cpu(m.currentCpu).now;
      });
      const t: TaskSpec = {
        comm: 'kthread',
        pid: 900,
        cpu: 0,
        bound: true,
        steps: (function* () {
          wq.schedule_work(w1);
          wq.schedule_work(w2);
          yield;
          for (let i = 0; i < 40; i++) {
            log.push('step');
            m.cpu(m.currentCpu).charge(COST_INDEX.apiCall, 1_000_000);
            yield;
          }
        })(),
      };
      s.run([t]);
      const between = log.slice(log.indexOf('w1') + 1, log.indexOf('w2')).length;
      return { start, between };
    }

    it('lets the kthread run as long as the first item ran, then runs the second at the next tick, when a tick past the slice came during the first', () => {
      // 13,000,000 cycles from 0: the tick at 12,000,000 finds the kworker past its deadline. The kthread
      // runs from 13,000,000 until 26,000,000; the tick at 36,000,000 picks the kworker.
      expect(secondItem('eevdf', 13_000_000)).to.deep.equal({ start: 36_000_000, between: 23 });
    });

    it('runs the second item at once when no tick came during the first', () => {
      expect(secondItem('eevdf', 1_000_000)).to.deep.equal({ start: 1_000_000, between: 0 });
    });

    it('runs the second item at once under CFS (before 6.6), which the model does not preempt between items', () => {
      expect(secondItem('cfs', 13_000_000)).to.deep.equal({ start: 13_000_000, between: 0 });
    });
  });

  describe('host cores (costs.hostCores): vCPUs that want to run share them evenly', () => {
    /** Clocks of `busy` CPUs each running 4 steps of 1,000 cycles, on a machine with `hostCores`. */
    function clocks(hostCores: number, busy: number, cpus = 4): number[] {
      const m = new Machine({ cpus, checker: false, costs: { hostCores } });
      const s = new Scheduler(m);
      const log: string[] = [];
      s.run(Array.from({ length: busy }, (_, c) => worker(m, `t${c}`, c, 4, 1000, log)));
      return Array.from({ length: cpus }, (_, c) => m.cpu(c).now);
    }

    it('stretches priced work by runnable vCPUs over host cores: 4 busy vCPUs on 2 host cores take twice as long', () => {
      expect(clocks(2, 4)).to.deep.equal([8000, 8000, 8000, 8000]);
    });

    it('stretches nothing while no more vCPUs want to run than there are host cores (idle vCPUs halt and want none)', () => {
      expect(clocks(2, 2)).to.deep.equal([4000, 4000, 0, 0]);
    });

    it('stretches nothing with hostCores 0, the hardware profile: one core for each CPU', () => {
      expect(clocks(0, 4)).to.deep.equal([4000, 4000, 4000, 4000]);
    });

    it('keeps the time waited for a host core in its own bucket, cycles.hostCores', () => {
      const m = new Machine({ cpus: 3, checker: false, costs: { hostCores: 1 } });
      const s = new Scheduler(m);
      s.run([0, 1, 2].map((c) => worker(m, `t${c}`, c, 2, 500, [])));
      expect(m.cpu(0).cycles[COST_INDEX.apiCall]).to.equal(1000);
      expect(m.cpu(0).cycles[COST_INDEX.hostCores]).to.equal(2000);
    });

    it('ends the sharing with the timed run: sequential charges are not stretched', () => {
      const m = new Machine({ cpus: 4, checker: false, costs: { hostCores: 1 } });
      const s = new Scheduler(m);
      s.run([0, 1, 2, 3].map((c) => worker(m, `t${c}`, c, 1, 100, [])));
      const before = m.cpu(0).now;
      m.cpu(0).charge(COST_INDEX.apiCall, 100);
      expect(m.cpu(0).now - before).to.equal(100);
    });
  });
});
