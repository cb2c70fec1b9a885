// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { Machine } from '../../../../hw/index.js';
import { COST_INDEX } from '../../../../hw/costs.js';
import { rcu_state } from '../../../../kernel/kernel/rcu/tree.js';
import { Scheduler, type TaskSpec } from '../../../../kernel/kernel/sched/core.js';

function world(cpus: number): { m: Machine; s: Scheduler; rcu: rcu_state; tick: number } {
  const m = new Machine({ cpus, checker: false });
  const s = new Scheduler(m);
  return { m, s, rcu: new rcu_state(m, s), tick: m.costVector[COST_INDEX.schedTick]! };
}

/** A kthread on `cpu` that spends `cycles` in `n` steps, calling `at(i)` at the start of step i. */
function busy(m: Machine, cpu: number, n: number, cycles: number, at: (i: number) => void = () => {}): TaskSpec {
  return {
    comm: `busy/${cpu}`,
    pid: 100 + cpu,
    cpu,
    bound: true,
    steps: (function* () {
      for (let i = 0; i < n; i++) {
        at(i);
        m.cpu(cpu).charge(COST_INDEX.apiCall, cycles);
        yield;
      }
    })(),
  };
}

describe('kernel/kernel/rcu/tree: grace periods in modelled time', () => {
  it('ends a grace period at the next scheduler tick when every CPU is busy, and runs the callback then on its CPU', () => {
    const { m, s, rcu, tick } = world(2);
    let ranAt = -1;
    let ranOn = -1;
    // Both CPUs run 1 ms steps for 20 ms; CPU 0 queues a callback at 1 ms.
    s.run([
      busy(m, 0, 20, 3_000_000, (i) => {
        if (i === 1) rcu.call_rcu(() => ((ranAt = m.cpu(m.currentCpu).now), (ranOn = m.currentCpu)));
      }),
      busy(m, 1, 20, 3_000_000),
    ]);
    expect(rcu.history).to.have.length(1);
    expect(rcu.history[0]?.start).to.equal(3_000_000);
    expect(rcu.history[0]?.end).to.equal(tick); // the first tick after 1 ms (3M cycles): 4 ms
    expect(ranOn).to.equal(0);
    expect(ranAt).to.be.at.least(tick);
  });

  it('waits for the busy CPU when the others are idle (an idle CPU is quiescent at once)', () => {
    const { m, s, rcu, tick } = world(4);
    // Only CPU 2 is busy; the grace period starts at 5M cycles from CPU 2 and needs CPU 2's tick (12M cycles, 4 ms).
    s.run([
      busy(m, 2, 4, 5_000_000, (i) => {
        if (i === 1) rcu.call_rcu(() => {});
      }),
    ]);
    expect(rcu.history[0]).to.deep.equal({ start: 5_000_000, end: tick });
  });

  it('ends at once when every CPU is idle', () => {
    const { m, s, rcu } = world(2);
    m.cpu(0).idleUntil(1000);
    m.runOn(0, () => rcu.call_rcu(() => {}));
    s.run([]);
    expect(rcu.history).to.deep.equal([{ start: 1000, end: 1000 }]);
  });

  it('needs two grace periods for a cookie taken while one is in progress, and starts the second for a callback queued during the first', () => {
    const { m, s, rcu, tick } = world(1);
    const cookies: number[] = [];
    const polled: boolean[] = [];
    s.run([
      busy(m, 0, 30, 1_000_000, (i) => {
        if (i === 1) {
          cookies.push(rcu.get_state_synchronize_rcu()); // no grace period yet: the next one
          rcu.call_rcu(() => {});
          cookies.push(rcu.get_state_synchronize_rcu()); // one in progress: the one after it
          rcu.call_rcu(() => {});
        }
        if (i === 13) polled.push(rcu.poll_state_synchronize_rcu(cookies[0]!), rcu.poll_state_synchronize_rcu(cookies[1]!));
        if (i === 25) polled.push(rcu.poll_state_synchronize_rcu(cookies[1]!));
      }),
    ]);
    expect(cookies).to.deep.equal([1, 2]);
    expect(rcu.history.map((h) => h.end)).to.deep.equal([tick, 2 * tick]);
    expect(polled).to.deep.equal([true, false, true]);
  });

  it('lets synchronize_rcu() wait on a busy CPU until the grace period has ended', () => {
    const { m, s, rcu, tick } = world(2);
    let back = -1;
    s.run([
      busy(m, 0, 1, 1_000, () => {
        rcu.synchronize_rcu();
        back = m.cpu(0).now;
      }),
      busy(m, 1, 10, 1_000_000),
    ]);
    expect(rcu.completed).to.equal(1);
    expect(back).to.be.at.least(tick);
  });
});
