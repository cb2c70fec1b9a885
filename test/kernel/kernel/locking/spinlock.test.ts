// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { Machine } from '../../../../hw';
import { COST_INDEX } from '../../../../hw/costs';
import { CYCLE_STATS } from '../../../../hw/cpu';
import { lock_table } from '../../../../kernel/kernel/locking/spinlock';
import { Scheduler } from '../../../../kernel/kernel/sched/core';

describe('kernel/kernel/locking/spinlock: locks in modelled time', () => {
  it('makes a CPU that takes a lock before its last release spin until then, and counts the wait', () => {
    const m = new Machine({ cpus: 2, checker: false });
    const s = new Scheduler(m);
    const locks = new lock_table(m, s);
    const cost = m.costVector;
    // cpu1 holds L from 0 to 5000 (its clock), then cpu0 (clock 0 + 1000) takes it.
    m.runOn(1, (c) => {
      locks.spin_lock('L');
      c.charge(COST_INDEX.apiCall, 5000);
      locks.spin_unlock('L');
    });
    const released = m.cpu(1).now;
    m.runOn(0, (c) => {
      c.charge(COST_INDEX.apiCall, 1000);
      const before = c.now;
      locks.spin_lock('L');
      expect(c.cycles[CYCLE_STATS.index.lockWait]).to.equal(released - before);
      expect(c.now).to.equal(released + (cost[COST_INDEX.lockHandoff] as number));
      locks.spin_unlock('L');
    });
    const l = locks.get('L', 'spinlock');
    expect(l.contended).to.equal(1);
    expect(l.acquisitions).to.equal(2);
  });

  it('lets a mutex waiter sleep (mutexWait), not spin', () => {
    const m = new Machine({ cpus: 2, checker: false });
    const locks = new lock_table(m, new Scheduler(m));
    m.runOn(1, (c) => {
      locks.mutex_lock('M');
      c.charge(COST_INDEX.apiCall, 3000);
      locks.mutex_unlock('M');
    });
    m.runOn(0, (c) => {
      locks.mutex_lock('M');
      expect(c.cycles[CYCLE_STATS.index.mutexWait]).to.be.greaterThan(0);
      expect(c.cycles[CYCLE_STATS.index.lockWait]).to.equal(0);
      locks.mutex_unlock('M');
    });
  });
});
