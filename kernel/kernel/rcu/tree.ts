// SPDX-License-Identifier: GPL-2.0-only
/*
 * RCU grace periods in modelled time: the part of kernel/rcu/tree.c that
 * kvfree_rcu() and queue_rcu_work() rely on (call_rcu, synchronize_rcu,
 * get_state_synchronize_rcu[_full], poll_state_synchronize_rcu[_full]),
 * reduced to when a grace period starts and when it ends.
 *
 * Version: linux-7.3 (the rules below hold for Tree RCU since 2.6.29).
 * Upstream path: kernel/rcu/tree.c, kernel/rcu/tree_plugin.h.
 * Text read: Debian linux-source-7.3 7.3.4 (docs/sources.md#text-linux-7.3-rcu),
 * kernel/rcu/tree.c.
 *
 * Sequence numbers: `completed` counts the grace periods that have ended.
 * A snapshot (get_state_synchronize_rcu) names the count that must be
 * reached for a full grace period to have elapsed since it: completed + 1
 * when no grace period is in progress, completed + 2 when one is (that one
 * started before the snapshot, so the next must end too), as rcu_seq_snap()
 * computes it on gp_seq. A snapshot starts nothing; call_rcu() and
 * synchronize_rcu() need a grace period and start one when none is in
 * progress (rcu_start_this_gp); a callback waits for the first grace
 * period that starts after it was queued.
 *
 * When a grace period ends (the rule, docs/concurrency.md): it ends when
 * every online CPU has passed a quiescent state after it started. A CPU
 * passes one at once if it is idle when the grace period starts (it is in
 * an extended quiescent state); otherwise at its next scheduler tick
 * (HZ = 250: a multiple of `schedTick` on the modelled clock). Debian's
 * kernels are CONFIG_PREEMPT_DYNAMIC, so RCU is preemptible
 * (CONFIG_PREEMPT_RCU), and rcu_flavor_sched_clock_irq() reports a
 * quiescent state from the tick whenever the interrupted code is not in a
 * read-side critical section nor has preemption off; the modelled tasks are
 * between kernel calls at a tick, so every tick of a busy CPU counts. A
 * context switch before the tick would end it earlier: not modelled, so
 * the rule gives the latest end. The grace-period kthread's own latency
 * (its force-quiescent-state scans) is not modelled.
 *
 * Callbacks run on the CPU that queued them, at the end of the grace
 * period (RCU_SOFTIRQ there), in the order queued.
 */

import type { Machine } from '../../../hw/index.js';
import { COST_INDEX } from '../../../hw/costs.js';
import type { Scheduler, timer_list } from '../sched/core.js';

/** struct rcu_gp_seq, as get_state_synchronize_rcu_full() fills it: here the one number that matters. */
export type rcu_gp_oldstate = number;

interface rcu_head {
  readonly func: () => void;
  readonly cpu: number;
  /** The `completed` count after which it may run. */
  readonly gp: number;
}

/** The RCU state of one kernel (rcu_state and the per-CPU callback lists). */
export class rcu_state {
  /** Grace periods ended. */
  completed = 0;
  /** A grace period is in progress (rcu_gp_in_progress()). */
  gp_in_progress = false;
  /** When the current grace period started and will end (modelled cycles). */
  gp_start = 0;
  gp_end = 0;
  private readonly cblist: rcu_head[] = [];
  private readonly gp_timer: timer_list = { expires: 0, cpu: 0, function: () => this.rcu_gp_cleanup(), pending: false };
  /** Start and end of every grace period, for tests and notes. */
  readonly history: { start: number; end: number }[] = [];

  constructor(
    readonly machine: Machine,
    readonly sched: Scheduler,
  ) {}

  private now(): number {
    const cpu = this.machine.currentCpu < 0 ? 0 : this.machine.currentCpu;
    return this.machine.cpu(cpu).now;
  }

  /** get_state_synchronize_rcu(): the cookie poll_state_synchronize_rcu() checks. */
  get_state_synchronize_rcu(): rcu_gp_oldstate {
    return this.gp_in_progress ? this.completed + 2 : this.completed + 1;
  }

  /** get_state_synchronize_rcu_full(): the same, as the full state. */
  get_state_synchronize_rcu_full(): rcu_gp_oldstate {
    return this.get_state_synchronize_rcu();
  }

  /** poll_state_synchronize_rcu(oldstate): a full grace period has elapsed since the cookie. */
  poll_state_synchronize_rcu(oldstate: rcu_gp_oldstate): boolean {
    return this.completed >= oldstate;
  }

  poll_state_synchronize_rcu_full(oldstate: rcu_gp_oldstate): boolean {
    return this.poll_state_synchronize_rcu(oldstate);
  }

  /** call_rcu(head, func) (and call_rcu_hurry): `func` runs on this CPU after a grace period. */
  call_rcu(func: () => void): void {
    const cpu = this.machine.currentCpu < 0 ? 0 : this.machine.currentCpu;
    this.cblist.push({ func, cpu, gp: this.get_state_synchronize_rcu() });
    if (!this.gp_in_progress) this.rcu_start_gp();
  }

  /**
   * synchronize_rcu(): wait for a grace period. In timed mode the waiting
   * CPU's clock moves on while the others run; outside it, the grace period
   * ends at once (every other CPU is idle: sequential mode).
   */
  synchronize_rcu(): void {
    const target = this.get_state_synchronize_rcu();
    if (!this.gp_in_progress) this.rcu_start_gp();
    const me = this.machine.currentCpu < 0 ? 0 : this.machine.currentCpu;
    const c = this.machine.cpu(me);
    while (this.completed < target) {
      if (!this.sched.active) {
        this.sched.del_timer(this.gp_timer);
        c.idleUntil(this.gp_end);
        this.rcu_gp_cleanup();
        continue;
      }
      this.sched.catchUp(me);
      if (this.completed >= target) break;
      const t = this.sched.nextEventTime();
      if (t === Infinity) throw new Error('synchronize_rcu(): no grace period can end');
      if (t > c.now) c.idleUntil(t);
      this.sched.stepNext();
    }
  }

  /** rcu_start_this_gp() / rcu_gp_init(): start a grace period now and arm its end. */
  private rcu_start_gp(): void {
    this.gp_in_progress = true;
    const t0 = this.now();
    this.gp_start = t0;
    this.gp_end = this.rcu_gp_end_time(t0);
    this.gp_timer.expires = this.gp_end;
    this.gp_timer.cpu = this.machine.currentCpu < 0 ? 0 : this.machine.currentCpu;
    // Outside timed mode it fires when the scheduler next runs (Kernel.flush_work).
    this.sched.add_timer(this.gp_timer);
  }

  /** The end of a grace period starting at `t0`: every online CPU's first quiescent state after it (the rule above). */
  rcu_gp_end_time(t0: number): number {
    const tick = this.machine.costVector[COST_INDEX.schedTick]!;
    let end = t0;
    for (let cpu = 0; cpu < this.machine.config.cpus; cpu++) {
      const qs = this.sched.idle(cpu) && this.sched.curr(cpu) === null ? t0 : (Math.floor(t0 / tick) + 1) * tick;
      if (qs > end) end = qs;
    }
    return end;
  }

  /** rcu_gp_cleanup(): the grace period ends; ready callbacks run on their CPUs; another starts if callbacks wait. */
  private rcu_gp_cleanup(): void {
    this.completed++;
    this.gp_in_progress = false;
    this.history.push({ start: this.gp_start, end: this.gp_end });
    const ready = this.cblist.filter((h) => h.gp <= this.completed);
    const rest = this.cblist.filter((h) => h.gp > this.completed);
    this.cblist.length = 0;
    this.cblist.push(...rest);
    for (const h of ready) {
      const c = this.machine.cpu(h.cpu);
      if (this.sched.idle(h.cpu)) c.idleUntil(this.gp_end);
      this.machine.runOn(h.cpu, () => h.func());
    }
    if (this.cblist.length && !this.gp_in_progress) this.rcu_start_gp();
  }

  /** Callbacks waiting for a grace period. */
  get nr_callbacks(): number {
    return this.cblist.length;
  }
}
