// SPDX-License-Identifier: GPL-2.0-only
/*
 * Spinlocks and mutexes in modelled time (docs/concurrency.md). A lock
 * keeps who holds it and when it was last released. Taking it at a time
 * before that release waits until then: a spinlock spins (cycles.lockWait),
 * a mutex sleeps (cycles.mutexWait). Before a CPU that holds no spinlock
 * takes a lock, every CPU behind it in time catches up (Scheduler.catchUp),
 * so the lock is granted in the order of modelled time; the code between
 * spin_lock and spin_unlock is atomic, as it is on a kernel that never
 * sleeps under a spinlock.
 *
 * A CPU can find a lock held by code suspended below it on the stack (a
 * mutex whose holder is waiting for IPI ACKs, say): it cannot wait for
 * that release, so it goes on and the case is counted (`nested`), not
 * hidden.
 */

import type { Machine } from '../../../hw';
import { COST_INDEX } from '../../../hw/costs';
import { CYCLE_STATS } from '../../../hw/cpu';
import type { Scheduler } from '../sched/core';

/** Tasks waiting on locks that will never be released: the tasks, CPUs and locks involved. */
export class DeadlockError extends Error {
  override readonly name = 'DeadlockError';
}

/** One lock's figures. */
export class lock_stats {
  holder = -1;
  /** The task holding it (comm-pid), for deadlock reports. */
  holderTask = '';
  releasedAt = 0;
  lastHolder = -1;
  acquisitions = 0;
  contended = 0;
  /** Acquisitions that found it held by suspended code below on the stack. */
  nested = 0;
  readonly waitCycles: Float64Array;
  constructor(
    readonly name: string,
    readonly kind: 'spinlock' | 'mutex',
    ncpu: number,
  ) {
    this.waitCycles = new Float64Array(ncpu);
  }

  get totalWait(): number {
    let s = 0;
    for (const w of this.waitCycles) s += w;
    return s;
  }
}

/** Every lock of a kernel, by name, with the spinlocks each CPU holds. */
export class lock_table {
  private readonly locks = new Map<string, lock_stats>();
  private readonly spinsHeld: Int32Array;
  /** Called for every wait: `cpu` waited for `lock` from `start` to `end` (a timeline). */
  onWait: ((cpu: number, lock: lock_stats, start: number, end: number) => void) | null = null;

  constructor(
    readonly machine: Machine,
    readonly sched: Scheduler,
  ) {
    this.spinsHeld = new Int32Array(machine.config.cpus);
  }

  get(name: string, kind: 'spinlock' | 'mutex'): lock_stats {
    let l = this.locks.get(name);
    if (!l) {
      l = new lock_stats(name, kind, this.machine.config.cpus);
      this.locks.set(name, l);
    }
    return l;
  }

  /** Every lock taken so far, in the order first taken. */
  all(): lock_stats[] {
    return [...this.locks.values()];
  }

  /** Spinlocks held by `cpu` now. */
  held(cpu: number): number {
    return this.spinsHeld[cpu]!;
  }

  spin_lock(name: string): void {
    this.acquire(this.get(name, 'spinlock'), CYCLE_STATS.index.lockWait);
    const cpu = this.machine.currentCpu;
    this.spinsHeld[cpu] = this.spinsHeld[cpu]! + 1;
  }

  spin_unlock(name: string): void {
    const cpu = this.machine.currentCpu;
    this.release(this.get(name, 'spinlock'));
    this.spinsHeld[cpu] = Math.max(0, this.spinsHeld[cpu]! - 1);
  }

  mutex_lock(name: string): void {
    this.acquire(this.get(name, 'mutex'), CYCLE_STATS.index.mutexWait);
  }

  mutex_unlock(name: string): void {
    this.release(this.get(name, 'mutex'));
  }

  /**
   * cond_resched_lock(): with a preemptible kernel (Debian's PREEMPT_DYNAMIC
   * builds have CONFIG_PREEMPTION), spin_needbreak() is "someone spins on
   * it": drop the lock, let the others run, take it again.
   */
  cond_resched_lock(name: string): void {
    this.spin_unlock(name);
    this.spin_lock(name);
  }

  private acquire(l: lock_stats, waitBucket: number): void {
    const m = this.machine;
    const cpu = m.currentCpu;
    if (this.spinsHeld[cpu] === 0) this.sched.catchUp(cpu);
    const c = m.cpu(cpu);
    const cost = m.costVector;
    if (l.holder >= 0) this.checkDeadlock(l, cpu);
    if (l.holder >= 0 && l.holder !== cpu) l.nested++;
    const now = c.now;
    if (l.releasedAt > now) {
      const wait = l.releasedAt - now;
      c.charge(waitBucket, wait);
      l.waitCycles[cpu] = l.waitCycles[cpu]! + wait;
      l.contended++;
      this.onWait?.(cpu, l, now, l.releasedAt);
    }
    if (l.lastHolder >= 0 && l.lastHolder !== cpu) c.charge(COST_INDEX.lockHandoff, cost[COST_INDEX.lockHandoff]!);
    else c.charge(COST_INDEX.lockAcquire, cost[COST_INDEX.lockAcquire]!);
    l.holder = cpu;
    l.holderTask = this.taskOn(cpu);
    l.acquisitions++;
  }

  private taskOn(cpu: number): string {
    const t = this.sched.curr(cpu);
    return t ? `${t.comm}-${t.pid}` : 'the caller';
  }

  /**
   * A lock the acquirer can never get: its own spinlock taken again, or one
   * held by a task that has exited or is between its steps (only its later
   * steps could release it, and the acquirer cannot wait across them).
   */
  private checkDeadlock(l: lock_stats, cpu: number): void {
    const me = `${this.taskOn(cpu)} on CPU ${cpu}`;
    if (l.holder === cpu) {
      throw new DeadlockError(`deadlock: ${me} takes ${l.kind} ${l.name}, which ${l.holderTask} already holds on this CPU`);
    }
    if (l.holder !== cpu && !this.sched.isOnStack(l.holder)) {
      throw new DeadlockError(`deadlock: ${me} waits for ${l.kind} ${l.name}, held by ${l.holderTask} on CPU ${l.holder}, which is no longer running kernel code that could release it`);
    }
  }

  /** Locks still held (at the end of a run: never released). */
  held_at_exit(): string[] {
    return this.all()
      .filter((l) => l.holder >= 0)
      .map((l) => `${l.kind} ${l.name} held by ${l.holderTask} on CPU ${l.holder}`);
  }

  private release(l: lock_stats): void {
    const m = this.machine;
    const cpu = m.currentCpu;
    l.holder = -1;
    l.lastHolder = cpu;
    l.releasedAt = Math.max(l.releasedAt, m.cpu(cpu).now);
  }
}
