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
 */

import type { Machine } from '../../hw';
import { CYCLE_STATS } from '../../hw/cpu';
import type { sched_task, Scheduler } from './sched/core';

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

  private queue_work_on(cpu: number, work: work_struct): boolean {
    if (work.pending) return false;
    // Non-reentrant (since 3.7): an item running in one pool is queued there again.
    if (work.running) cpu = work.cpu;
    work.pending = true;
    work.cpu = cpu;
    (this.pools[cpu] as work_struct[]).push(work);
    this.sched.wakeIdle(cpu, this.machine.currentCpu);
    this.sched.enqueue(this.sched.kworkers[cpu] as sched_task);
    return true;
  }

  /** One pass of the kworker on `cpu`: run the first queued item. True while more are queued. */
  private worker_thread(cpu: number): boolean {
    const pool = this.pools[cpu] as work_struct[];
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
   * run (its CPU is the waiter's own, or suspended below on the stack) is
   * run here, as another kworker of that pool would.
   */
  flush_work(work: work_struct): boolean {
    const m = this.machine;
    const me = m.currentCpu;
    const c = m.cpu(me);
    let waited = false;
    while (work.pending || work.running) {
      if (work.pending && (work.cpu === me || this.sched.isOnStack(work.cpu) || !this.sched.active)) {
        const pool = this.pools[work.cpu] as work_struct[];
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
