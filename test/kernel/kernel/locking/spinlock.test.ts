// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { Machine } from '../../../../hw';
import { COST_INDEX } from '../../../../hw/costs';
import { CYCLE_STATS } from '../../../../hw/cpu';
import { DeadlockError, lock_table } from '../../../../kernel/kernel/locking/spinlock';
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
      expect(c.now).to.equal(released + cost[COST_INDEX.lockHandoff]!);
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

describe('kernel/kernel/locking/spinlock: deadlocks are reported, not hung on', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { bootKernel } = require('../../../../kernel/boot') as typeof import('../../../../kernel/boot');

  it('names the waiting task, its CPU, the lock and its holder when the holder can no longer release it', () => {
    const k = bootKernel({ version: 'linux-6.1', cpus: 2, machine: { cpus: 2, checker: false } });
    function* holder(): Generator<void> {
      k.locks.spin_lock('demo_lock');
      yield;
    }
    function* waiter(): Generator<void> {
      yield;
      yield;
      k.locks.spin_lock('demo_lock');
      yield;
    }
    expect(() =>
      k.runTasks([
        { comm: 'holder', pid: 10, cpu: 0, bound: true, steps: holder() },
        { comm: 'waiter', pid: 11, cpu: 1, bound: true, steps: waiter() },
      ]),
    ).to.throw(DeadlockError, 'deadlock: waiter-11 on CPU 1 waits for spinlock demo_lock, held by holder-10 on CPU 0');
  });

  it('reports a lock that no task will ever release once every task has exited', () => {
    const k = bootKernel({ version: 'linux-6.1', cpus: 1, machine: { cpus: 1, checker: false } });
    function* holder(): Generator<void> {
      k.locks.mutex_lock('demo_mutex');
      yield;
    }
    expect(() => k.runTasks([{ comm: 'holder', pid: 10, cpu: 0, bound: true, steps: holder() }])).to.throw(DeadlockError, 'mutex demo_mutex held by holder-10 on CPU 0 is never released');
  });
});
