// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { Machine } from '../../../../hw/index.js';
import { COST_INDEX } from '../../../../hw/costs.js';
import { lock_table } from '../../../../kernel/kernel/locking/spinlock.js';
import { lock_class_stats_of, lock_stat_show, snprint_time } from '../../../../kernel/kernel/locking/lockdep_proc.js';
import { Scheduler } from '../../../../kernel/kernel/sched/core.js';

/** Two holds of L: cpu1 from 0 to 5,000 cycles, then cpu0, arriving at 1,000, waits for it and holds it 3,000 cycles. */
function contendedPair(): { m: Machine; locks: lock_table } {
  const m = new Machine({ cpus: 2, checker: false });
  const locks = new lock_table(m, new Scheduler(m));
  m.runOn(1, (c) => {
    locks.spin_lock('L#1');
    c.charge(COST_INDEX.apiCall, 5000 - c.now);
    locks.spin_unlock('L#1');
  });
  m.runOn(0, (c) => {
    c.charge(COST_INDEX.apiCall, 1000);
    locks.spin_lock('L#1');
    c.charge(COST_INDEX.apiCall, 3000 - m.costVector[COST_INDEX.lockHandoff]!);
    locks.spin_unlock('L#1');
  });
  return { m, locks };
}

describe('kernel/kernel/locking/lockdep_proc: /proc/lock_stat of the modelled locks', () => {
  it('prints nanoseconds as microseconds with two decimals, rounded as snprint_time() rounds them', () => {
    expect(snprint_time(0)).to.equal('0.00');
    expect(snprint_time(1234)).to.equal('1.23');
    expect(snprint_time(1235)).to.equal('1.24');
    expect(snprint_time(999_995)).to.equal('1000.00');
    expect(snprint_time(40_050)).to.equal('40.05');
  });

  it('counts a wait behind another CPU as a contention and a con-bounce, with its wait time, and every hold with its hold time', () => {
    const { locks } = contendedPair();
    const [s] = lock_class_stats_of(locks.all());
    expect(s!.name).to.equal('L');
    expect(s!.contentions).to.equal(1);
    expect(s!.conBounces).to.equal(1);
    // cpu0 arrived at 1,000 and got the lock at the release, 5,000.
    expect([s!.waittimeMin, s!.waittimeMax, s!.waittimeTotal]).to.deep.equal([4000, 4000, 4000]);
    expect(s!.waitByCpu).to.deep.equal([4000, 0]);
    expect(s!.acquisitions).to.equal(2);
    // cpu1's first hold is not a bounce (nobody held L before); cpu0's is.
    expect(s!.acqBounces).to.equal(1);
    expect([s!.holdtimeMin, s!.holdtimeMax, s!.holdtimeTotal]).to.deep.equal([3000, 5000, 8000]);
  });

  it('sums the instances of a class (the vmap nodes\' locks) and keeps the least wait of those that waited', () => {
    const { m, locks } = contendedPair();
    m.runOn(1, (c) => {
      locks.spin_lock('L#2');
      c.charge(COST_INDEX.apiCall, 100);
      locks.spin_unlock('L#2');
    });
    const [s] = lock_class_stats_of(locks.all());
    expect(s!.acquisitions).to.equal(3);
    expect(s!.contentions).to.equal(1);
    expect(s!.waittimeMin).to.equal(4000);
    expect(s!.holdtimeMin).to.be.below(3000);
  });

  it('prints the kernel\'s header and one line a class, most contended first, in microseconds at the given clock', () => {
    const { m, locks } = contendedPair();
    m.runOn(0, (c) => {
      locks.spin_lock('M');
      c.charge(COST_INDEX.apiCall, 300);
      locks.spin_unlock('M');
    });
    const lines = lock_stat_show(lock_class_stats_of(locks.all()).reverse(), 1e9).split('\n');
    expect(lines[0]).to.equal('lock_stat version 0.4');
    expect(lines[1]).to.equal('-'.repeat(221));
    expect(lines[2]).to.match(/^ {30}class name {4}con-bounces {4}contentions {3}waittime-min/);
    expect(lines[2], '%40s and twelve " %14s"').to.have.length(220);
    expect(lines[3]).to.equal('-'.repeat(221));
    expect(lines[4]).to.equal('');
    // At 1 GHz a cycle is a nanosecond: L waited 4.00 us once and was held 8.00 us in two holds.
    const l = lines[5]!;
    expect(l.slice(0, 41)).to.equal(`${' '.repeat(39)}L:`);
    expect(l.slice(41).trim().split(/\s+/)).to.deep.equal(['1', '1', '4.00', '4.00', '4.00', '4.00', '1', '2', '3.00', '5.00', '8.00', '4.00']);
    expect(l, '"%40s:", "%14lu ", the wait columns, " %14lu ", the hold columns').to.have.length(220);
    expect(lines[6]!.slice(0, 41)).to.equal(`${' '.repeat(39)}M:`);
    expect(lines[6]!.slice(41).trim().split(/\s+/).slice(0, 2)).to.deep.equal(['0', '0']);
  });
});
