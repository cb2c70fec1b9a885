// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { Machine } from '../../../../hw/index.js';
import { COST_INDEX } from '../../../../hw/costs.js';
import { CYCLE_STATS } from '../../../../hw/cpu.js';
import { HostCores } from '../../../../hw/hostCores.js';
import { virt_spin_lock, virt_spin_lock_key } from '../../../../kernel/kernel/locking/qspinlock.js';
import { lock_table } from '../../../../kernel/kernel/locking/spinlock.js';
import { Scheduler } from '../../../../kernel/kernel/sched/core.js';

/** 4 vCPUs on 2 host cores in turns of 500 cycles: vCPUs 0 and 1 run in even turns, 2 and 3 in odd ones. */
function turns(): HostCores {
  const h = new HostCores(2, 4, 1000);
  for (let c = 0; c < 4; c++) h.setRunnable(c, true);
  return h;
}

/** A lock word that is 0 from cycle 1,000 on. */
const freeFrom1000 = (t: number) => ({ start: Math.max(t, 1000) });

describe('kernel/kernel/locking/qspinlock: test-and-set spinlocks under a hypervisor (virt_spin_lock)', () => {
  it('turns virt_spin_lock_key on exactly when the CPUs report the hypervisor bit (costs.hypervisor)', () => {
    expect(virt_spin_lock_key(new Machine({ cpus: 2, checker: false }))).to.equal(false);
    expect(virt_spin_lock_key(new Machine({ cpus: 2, checker: false, costs: { hypervisor: 1 } }))).to.equal(true);
  });

  it('takes the lock when the word goes to 0, with no host to wait for', () => {
    expect(virt_spin_lock(null, 2, 600, freeFrom1000).start).to.equal(1000);
  });

  it('takes it at once when its vCPU is on a host core as the word goes to 0', () => {
    expect(virt_spin_lock(turns(), 0, 600, freeFrom1000).start).to.equal(1000);
  });

  it('reads the word again only on its next turn when its vCPU is off its core as the word goes to 0', () => {
    expect(virt_spin_lock(turns(), 2, 600, freeFrom1000).start).to.equal(1500);
  });

  it('waits again when the lock was taken in between: it reads on its turn and finds it held until 1,800', () => {
    const read = (t: number) => ({ start: t < 1500 ? Math.max(t, 1000) : Math.max(t, 1800) });
    // Off at 1,000 (turn 2); at 1,500 (turn 3) the word is set again until 1,800, still in turn 3.
    expect(virt_spin_lock(turns(), 2, 600, read).start).to.equal(1800);
  });
});

describe('kernel/kernel/locking/spinlock under a hypervisor: whichever spinner runs takes the lock', () => {
  /** cpu1 holds L from 0 to 1,000; then the host gives turns; cpu2 reaches L at 600, cpu0 at 700. */
  function race(hypervisor: number): { m: Machine; locks: lock_table } {
    const m = new Machine({ cpus: 4, checker: false, costs: { hypervisor } });
    const locks = new lock_table(m, new Scheduler(m));
    m.runOn(1, (c) => {
      locks.spin_lock('L');
      c.charge(COST_INDEX.apiCall, 1000 - m.costVector[COST_INDEX.lockAcquire]!);
      locks.spin_unlock('L');
    });
    m.runOn(2, (c) => c.charge(COST_INDEX.apiCall, 600));
    m.runOn(0, (c) => c.charge(COST_INDEX.apiCall, 700));
    m.host = turns();
    m.runOn(2, () => {
      locks.spin_lock('L');
      locks.spin_unlock('L');
    });
    m.runOn(0, () => {
      locks.spin_lock('L');
      locks.spin_unlock('L');
    });
    return { m, locks };
  }

  it('lets the spinner off its core (cpu2, first to arrive) take the lock only on its next turn', () => {
    const { m } = race(1);
    expect(m.cpu(2).cycles[CYCLE_STATS.index.lockWait]).to.equal(900);
  });

  it('lets the spinner on its core (cpu0) take the lock as it is released, before cpu2', () => {
    const { m } = race(1);
    expect(m.cpu(0).cycles[CYCLE_STATS.index.lockWait]).to.equal(300);
  });

  it('with no hypervisor bit, hands the lock to cpu2 at the release and keeps cpu0 waiting behind its hold', () => {
    const { m } = race(0);
    expect(m.cpu(2).cycles[CYCLE_STATS.index.lockWait]).to.equal(400);
    expect(m.cpu(0).cycles[CYCLE_STATS.index.lockWait]).to.be.greaterThan(300);
  });
});
