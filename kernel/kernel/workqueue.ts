// SPDX-License-Identifier: GPL-2.0-only
/*
 * The system workqueue in modelled time (kernel/workqueue.c semantics,
 * docs/concurrency.md): a work item is queued on a CPU's worker pool
 * (schedule_work: the local CPU, as system_wq's per-CPU pools take it;
 * schedule_work_on: the named one). Queueing an item that is already
 * pending does nothing (WORK_STRUCT_PENDING). The pool's kworker takes the
 * item, clears its pending bit and runs it; an item queued again while it
 * runs is pending again and runs again afterwards. flush_work() waits
 * until the item is neither pending nor running.
 *
 * Delayed work (queue_delayed_work_on, mod_delayed_work_on) arms a timer
 * (kernel/kernel/sched/core.ts timer_list) at the jiffy the delay names
 * (HZ = 250: a jiffy is the `schedTick` period); the timer queues the item
 * on the CPU it was armed for. queue_rcu_work() marks the item pending and
 * queues it from an RCU callback after a grace period
 * (kernel/kernel/rcu/tree.ts). Unbound workqueues (WQ_UNBOUND, e.g.
 * kvfree_rcu's rcu_reclaim_wq) are modelled by the queuing CPU's pool: an
 * unbound pool's worker may run on any CPU of the LLC, and the nearest is
 * the local one.
 */

import type { Machine } from '../../hw/index.js';
import { CYCLE_STATS } from '../../hw/cpu.js';
import { COST_INDEX } from '../../hw/costs.js';
import type { sched_task, Scheduler, timer_list } from './sched/core.js';

/** struct work_struct */
export class work_struct {
  pending = false;
  running = false;
  /** The pool it is queued on or running in. */
  cpu = -1;
  /** Times it ran. */
  runs = 0;
  /** The clock of its CPU when it last finished. */
  doneAt = 0;
  constructor(
    readonly name: string,
    public func: () => void,
  ) {}
}

/** struct delayed_work: a work item and the timer that queues it. */
export class delayed_work {
  readonly timer: timer_list = { expires: 0, cpu: 0, function: () => {}, pending: false };
  /** timer.expires in jiffies. */
  expires_jiffies = 0;
  constructor(readonly work: work_struct) {}
}

/** struct rcu_work: a work item queued after an RCU grace period. */
export class rcu_work {
  constructor(readonly work: work_struct) {}
}

/** call_rcu() as the workqueue sees it: `fn` runs after a grace period. */
export type call_rcu_fn = (fn: () => void) => void;

/** The per-CPU worker pools of system_wq, with their kworkers. */
export class system_wq {
  private readonly pools: work_struct[][];
  /** Flushes that ran their item in place because its pool's CPU could not run (counted, not hidden). */
  inlineFlushes = 0;

  constructor(
    readonly machine: Machine,
    readonly sched: Scheduler,
    kworkerPid: (cpu: number) => number,
  ) {
    const n = machine.config.cpus;
    this.pools = Array.from({ length: n }, () => []);
    for (let cpu = 0; cpu < n; cpu++) {
      const t: sched_task = { comm: `kworker/${cpu}:1`, pid: kworkerPid(cpu), cpu, bound: true, steps: null, worker: () => this.worker_thread(cpu), done: false, ran: 0 };
      sched.kworkers.push(t);
    }
  }

  /** schedule_work(work): on the local CPU's pool. False if it was pending. */
  schedule_work(work: work_struct): boolean {
    return this.queue_work_on(this.machine.currentCpu, work);
  }

  /** schedule_work_on(cpu, work). */
  schedule_work_on(cpu: number, work: work_struct): boolean {
    return this.queue_work_on(cpu, work);
  }

  /** queue_work_on(cpu, wq, work). False if it was pending. */
  queue_work_on(cpu: number, work: work_struct): boolean {
    if (work.pending) return false;
    work.pending = true;
    this.insert_work(cpu, work);
    return true;
  }

  /** __queue_work(): put a pending item on a pool and wake its kworker. */
  private insert_work(cpu: number, work: work_struct): void {
    // Non-reentrant (since 3.7): an item running in one pool is queued there again.
    // Running is at the queuing CPU's clock: a run that ends after it (its CPU ran
    // ahead in one step, docs/concurrency.md "What runs in parallel") is still under way.
    if (work.running || (work.cpu >= 0 && work.doneAt > this.now())) cpu = work.cpu;
    work.cpu = cpu;
    this.pools[cpu]!.push(work);
    this.sched.wakeIdle(cpu, this.machine.currentCpu);
    this.sched.enqueue(this.sched.kworkers[cpu]!);
  }

  /** The clock of the CPU running now (CPU 0's outside a CPU). */
  private now(): number {
    const cpu = this.machine.currentCpu;
    return this.machine.cpu(cpu < 0 ? 0 : cpu).now;
  }

  /** jiffies: the ticks (HZ = 250, the `schedTick` period) the local CPU's clock has passed. */
  jiffies(): number {
    return Math.floor(this.now() / this.tick());
  }

  private tick(): number {
    return this.machine.costVector[COST_INDEX.schedTick]!;
  }

  /** delayed_work_pending(dwork): its timer is armed or its work is queued. */
  delayed_work_pending(dwork: delayed_work): boolean {
    return dwork.timer.pending || dwork.work.pending;
  }

  /** queue_delayed_work_on(cpu, wq, dwork, delay). False if it was pending. */
  queue_delayed_work_on(cpu: number, dwork: delayed_work, delay: number): boolean {
    if (this.delayed_work_pending(dwork)) return false;
    this.__queue_delayed_work(cpu, dwork, delay);
    return true;
  }

  /** mod_delayed_work_on(cpu, wq, dwork, delay): grab it if pending and queue it with the new delay. True if it was pending. */
  mod_delayed_work_on(cpu: number, dwork: delayed_work, delay: number): boolean {
    // try_to_grab_pending(): the timer, or the item from its pool.
    let was = this.sched.del_timer(dwork.timer);
    const work = dwork.work;
    if (!was && work.pending) {
      const pool = this.pools[work.cpu]!;
      const i = pool.indexOf(work);
      if (i >= 0) pool.splice(i, 1);
      work.pending = false;
      was = true;
    }
    this.__queue_delayed_work(cpu, dwork, delay);
    return was;
  }

  private __queue_delayed_work(cpu: number, dwork: delayed_work, delay: number): void {
    const work = dwork.work;
    if (!delay) {
      work.pending = true;
      this.insert_work(cpu, work);
      return;
    }
    work.pending = false;
    dwork.expires_jiffies = this.jiffies() + delay;
    const t = dwork.timer;
    t.cpu = cpu;
    t.expires = dwork.expires_jiffies * this.tick();
    // delayed_work_timer_fn()
    t.function = () => {
      work.pending = true;
      this.insert_work(t.cpu, work);
    };
    this.sched.add_timer(t);
  }

  /** queue_rcu_work(wq, rwork): pending now, queued on the local CPU's pool after a grace period. False if it was pending. */
  queue_rcu_work(rwork: rcu_work, call_rcu: call_rcu_fn): boolean {
    const work = rwork.work;
    if (work.pending) return false;
    work.pending = true;
    // rcu_work_rcufn(): __queue_work(WORK_CPU_UNBOUND, ...) from the callback's CPU.
    call_rcu(() => this.insert_work(this.machine.currentCpu < 0 ? 0 : this.machine.currentCpu, work));
    return true;
  }

  /** One pass of the kworker on `cpu`: run the first queued item. True while more are queued. */
  private worker_thread(cpu: number): boolean {
    const pool = this.pools[cpu]!;
    const work = pool.shift();
    if (work) this.process_one_work(work);
    return pool.length > 0;
  }

  private process_one_work(work: work_struct): void {
    work.pending = false;
    work.running = true;
    try {
      work.func();
    } finally {
      work.running = false;
      work.runs++;
      work.doneAt = this.machine.cpu(this.machine.currentCpu).now;
    }
  }


  /**
   * flush_work(work): wait until it has run. The waiting CPU's clock moves
   * on to each next event while the others run; an item whose pool cannot
   * run (its CPU is the waiter's own, or suspended below on the stack, or
   * the waiter holds an atomic lock, under which nothing else runs) is run
   * here, as another kworker of that pool would.
   */
  flush_work(work: work_struct): boolean {
    const m = this.machine;
    const me = m.currentCpu;
    const c = m.cpu(me);
    let waited = false;
    while (work.pending || work.running) {
      if (work.pending && (work.cpu === me || this.sched.isOnStack(work.cpu) || !this.sched.active || this.sched.catchUpHeld(me))) {
        const pool = this.pools[work.cpu]!;
        pool.splice(pool.indexOf(work), 1);
        if (work.cpu !== me) this.inlineFlushes++;
        this.process_one_work(work);
        return true;
      }
      if (work.running) throw new Error(`flush_work(${work.name}) from cpu${me}: it is running in code suspended below, which cannot finish first`);
      this.sched.catchUp(me);
      if (!work.pending && !work.running) break;
      const t = this.sched.nextEventTime();
      if (t === Infinity) throw new Error(`flush_work(${work.name}): nothing can run it`);
      if (t > c.now) c.charge(CYCLE_STATS.index.workWait, t - c.now);
      this.sched.stepNext();
      waited = true;
    }
    if (work.doneAt > c.now) c.charge(CYCLE_STATS.index.workWait, work.doneAt - c.now);
    return waited;
  }
}
