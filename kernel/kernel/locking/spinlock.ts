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
 * The work done under a lock is part of its hold: the allocator's touches
 * are charged (Scheduler.settle) when a lock is taken and when it is
 * released, so a release happens after them. A spinlock taken over from
 * another CPU protects data that CPU wrote last: while a CPU holds one,
 * each area it touches costs a cache-line transfer (cycles.remoteTouch)
 * instead of a hot pointer chase (cycles.areaTouch); see docs/concurrency.md
 * §"Cache lines under a lock".
 *
 * A CPU can find a lock held by code suspended below it on the stack (a
 * mutex whose holder is waiting for IPI ACKs, say). The model cannot
 * suspend its step there, and going on would break mutual exclusion, so
 * the acquisition throws NestedLockError: the run is started again with
 * that lock's class atomic (`atomic`), that is, while a CPU holds it no
 * other CPU catches up (Scheduler.holdCatchUp), so no step can reach it
 * held. Classes atomic from the start: ATOMIC_LOCK_CLASSES. See
 * docs/concurrency.md, "Nested acquisitions".
 */

import type { Machine } from '../../../hw/index.js';
import { COST_INDEX } from '../../../hw/costs.js';
import { CYCLE_STATS } from '../../../hw/cpu.js';
import type { Scheduler } from '../sched/core.js';
import { HoldSchedule } from './holds.js';
import { virt_spin_lock, virt_spin_lock_key } from './qspinlock.js';

/**
 * Touches of one hold taken over from another CPU that pay a line transfer
 * (cycles.remoteTouch); the rest of the hold finds its lines here. Fitted on
 * the one public per-lock measurement at 64 CPUs, Uladzislau Rezki's
 * /proc/lock_stat of 64 threads mapping one page with vm_map_ram() (linux-mm,
 * 22 March 2023): free_vmap_area_lock held 0.78 us on average, where the same
 * loop here holds it 0.77 us with 9 (docs/concurrency.md, "lock_stat";
 * test/kernel/kernel/locking/lock-stat-fit.test.ts). It was 32 before, one
 * tree path at 65,535 areas, which priced every node of a descent as written
 * by the previous holder: twice the measured hold. Most of a descent reads
 * upper levels nobody changed; the lines the previous holders wrote are the
 * clipped or merged area, its neighbours and their augment updates.
 */
export const REMOTE_TOUCHES_PER_HOLD = 9;

/**
 * Lock classes whose sections are atomic in every run: pcpu_alloc_mutex,
 * taken by the percpu allocator's steps on every CPU (chunk population,
 * the balance work) around code that sleeps and flushes.
 */
export const ATOMIC_LOCK_CLASSES: readonly string[] = ['pcpu_alloc_mutex'];

/** A lock's class: its name without the instance suffix (`vn->busy.lock#3` is `vn->busy.lock`). */
export function lock_class(name: string): string {
  const i = name.indexOf('#');
  return i < 0 ? name : name.slice(0, i);
}

/**
 * A step took a lock held by code suspended below it on the stack, which
 * the model cannot let it wait for (see the file header). Not a kernel
 * result: the run is repeated with `lockClass` atomic (scripts/run/runner.ts).
 */
export class NestedLockError extends Error {
  override readonly name = 'NestedLockError';
  constructor(
    readonly lockClass: string,
    readonly kind: 'spinlock' | 'mutex',
    detail: string,
  ) {
    super(detail);
  }
}

/** Tasks waiting on locks that will never be released: the tasks, CPUs and locks involved. */
export class DeadlockError extends Error {
  override readonly name = 'DeadlockError';
}

/** A CPU's place at a queued spinlock while the CPUs behind it catch up (lock_stats.pending). */
export interface reservation {
  readonly cpu: number;
  readonly arrival: number;
  readonly need: number;
  slot: number;
}

/** One lock's figures. */
export class lock_stats {
  holder = -1;
  /** The task holding it (comm-pid), for deadlock reports. */
  holderTask = '';
  releasedAt = 0;
  lastHolder = -1;
  /** The current hold took the lock over from another CPU (its data is in that CPU's cache). */
  remote = false;
  acquisitions = 0;
  contended = 0;
  /** lock_stat's bounces: contentions and acquisitions where another CPU held the lock last. */
  conBounces = 0;
  acqBounces = 0;
  /** lock_stat's waittime-min/-max and holdtime-min/-total/-nr, in cycles (maxHold is holdtime-max). */
  waitMin = Infinity;
  waitMax = 0;
  holdMin = Infinity;
  holdTotal = 0;
  holdCount = 0;
  /** spin_trylock()/mutex_trylock() calls that found it held and gave up. */
  trylockFailed = 0;
  /** Its class is atomic: while a CPU holds it, no other CPU catches up. */
  atomic = false;
  /** When the last hold began. */
  acquiredAt = 0;
  /**
   * CPUs that reached this (queued) spinlock and are letting the CPUs behind
   * them catch up before they take it: when each arrived and how long its
   * last hold was. A CPU that arrives later waits for such a reservation
   * (queuedFit), as it would queue behind it in a qspinlock. `slot` caches
   * where firstFit puts it (NaN: to be found again); recordHold clears it
   * when a new hold overlaps it, the only change that can move it.
   */
  readonly pending: reservation[] = [];
  /**
   * Waits for a hold that began after the waiter's clock: the holder ran
   * ahead in a step while the waiter was suspended below it, so the order
   * is the reverse of modelled time (docs/concurrency.md, "Lock order").
   */
  overtaken = 0;
  overtakenWait = 0;
  readonly waitCycles: Float64Array;
  /**
   * The holds that may still matter, sorted by start: [start, end) and the
   * CPU. Holds that ended before every running CPU's clock are dropped.
   */
  readonly holds = new HoldSchedule();
  /** The longest hold recorded. */
  maxHold = 0;
  /** Prune the schedule when it grows past this many holds. */
  pruneAt = 64;
  /** Each CPU's last hold of this lock, in cycles: what it will need next time. */
  readonly lastHold: Float64Array;
  constructor(
    readonly name: string,
    readonly kind: 'spinlock' | 'mutex',
    ncpu: number,
  ) {
    this.waitCycles = new Float64Array(ncpu);
    this.lastHold = new Float64Array(ncpu);
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
  /** Spinlocks each CPU holds that it took over from another CPU. */
  private readonly remoteHeld: Int32Array;
  /** Touches each CPU still pays as line transfers in its current taken-over hold. */
  private readonly remoteLeft: Int32Array;
  /** Called for every wait: `cpu` waited for `lock` from `start` to `end` (a timeline). */
  onWait: ((cpu: number, lock: lock_stats, start: number, end: number) => void) | null = null;

  /** virt_spin_lock_key: spinlocks are test-and-set (the CPUs report a hypervisor; qspinlock.ts). */
  readonly tas: boolean;

  /** Lock classes whose sections are atomic (ATOMIC_LOCK_CLASSES and those a run found nested). */
  readonly atomic: ReadonlySet<string>;

  constructor(
    readonly machine: Machine,
    readonly sched: Scheduler,
    atomic: readonly string[] = [],
  ) {
    this.atomic = new Set([...ATOMIC_LOCK_CLASSES, ...atomic]);
    this.tas = virt_spin_lock_key(machine);
    this.spinsHeld = new Int32Array(machine.config.cpus);
    this.remoteHeld = new Int32Array(machine.config.cpus);
    this.remoteLeft = new Int32Array(machine.config.cpus);
  }

  get(name: string, kind: 'spinlock' | 'mutex'): lock_stats {
    let l = this.locks.get(name);
    if (!l) {
      l = new lock_stats(name, kind, this.machine.config.cpus);
      l.atomic = this.atomic.has(lock_class(name));
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

  /**
   * The cost bucket of an area touched on `cpu` now: remoteTouch while it
   * holds a spinlock it took over from another CPU, else areaTouch.
   */
  touchBucket(cpu: number): number {
    return cpu >= 0 && this.remoteHeld[cpu]! > 0 && this.remoteLeft[cpu]! > 0 ? COST_INDEX.remoteTouch : COST_INDEX.areaTouch;
  }

  /**
   * Of `n` touches made on `cpu` now, how many are line transfers: the first
   * REMOTE_TOUCHES_PER_HOLD of a hold taken over from another CPU; later
   * touches of that hold find the lines already here. Counts them off.
   */
  remoteTouches(cpu: number, n: number): number {
    if (cpu < 0 || this.remoteHeld[cpu]! === 0) return 0;
    const r = Math.min(n, this.remoteLeft[cpu]!);
    this.remoteLeft[cpu] = this.remoteLeft[cpu]! - r;
    return r;
  }

  /** spin_lock() of a lock by name, or of its lock_stats (from get(); the hot path). */
  spin_lock(name: string | lock_stats): void {
    const l = typeof name === 'string' ? this.get(name, 'spinlock') : name;
    this.acquire(l, CYCLE_STATS.index.lockWait);
    const cpu = this.machine.currentCpu;
    this.spinsHeld[cpu] = this.spinsHeld[cpu]! + 1;
    if (l.remote) {
      this.remoteHeld[cpu] = this.remoteHeld[cpu]! + 1;
      this.remoteLeft[cpu] = this.remoteLeft[cpu]! + REMOTE_TOUCHES_PER_HOLD;
    }
  }

  spin_unlock(name: string | lock_stats): void {
    const cpu = this.machine.currentCpu;
    const l = typeof name === 'string' ? this.get(name, 'spinlock') : name;
    this.release(l);
    this.spinsHeld[cpu] = Math.max(0, this.spinsHeld[cpu]! - 1);
    if (l.remote) this.remoteHeld[cpu] = Math.max(0, this.remoteHeld[cpu]! - 1);
    if (this.remoteHeld[cpu] === 0) this.remoteLeft[cpu] = 0;
    l.remote = false;
  }

  /**
   * spin_trylock(): take the lock if it is free at this CPU's clock, else
   * give up at once (no wait). Free means: no hold under way now, none of
   * code on the stack, and a gap as long as this CPU's last hold before the
   * next hold run ahead (the rule of firstFit with no waiting).
   */
  spin_trylock(name: string | lock_stats): boolean {
    const l = typeof name === 'string' ? this.get(name, 'spinlock') : name;
    if (!this.tryAcquire(l)) return false;
    const cpu = this.machine.currentCpu;
    this.spinsHeld[cpu] = this.spinsHeld[cpu]! + 1;
    if (l.remote) {
      this.remoteHeld[cpu] = this.remoteHeld[cpu]! + 1;
      this.remoteLeft[cpu] = this.remoteLeft[cpu]! + REMOTE_TOUCHES_PER_HOLD;
    }
    return true;
  }

  /** mutex_trylock(): as spin_trylock(), for a mutex. */
  mutex_trylock(name: string | lock_stats): boolean {
    return this.tryAcquire(typeof name === 'string' ? this.get(name, 'mutex') : name);
  }

  mutex_lock(name: string | lock_stats): void {
    this.acquire(typeof name === 'string' ? this.get(name, 'mutex') : name, CYCLE_STATS.index.mutexWait);
  }

  mutex_unlock(name: string | lock_stats): void {
    this.release(typeof name === 'string' ? this.get(name, 'mutex') : name);
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
    // What the allocator touched before the lock is not part of the hold.
    this.sched.settle();
    const queued = l.kind === 'spinlock' && !this.tas;
    if (this.spinsHeld[cpu] === 0) {
      // Only a catch-up lets others reach the lock before this CPU: that is when it needs its place kept.
      const mine: reservation | null = queued && this.sched.active ? { cpu, arrival: m.cpu(cpu).now, need: l.lastHold[cpu]!, slot: NaN } : null;
      if (mine) l.pending.push(mine);
      try {
        this.sched.catchUp(cpu);
      } finally {
        if (mine) l.pending.splice(l.pending.indexOf(mine), 1);
      }
    }
    const c = m.cpu(cpu);
    if (l.holder >= 0) this.checkDeadlock(l, cpu);
    if (l.holder >= 0 && l.holder !== cpu) this.nested(l, cpu);
    const now = c.now;
    const need = l.lastHold[cpu]!;
    // Under a hypervisor a contended spinlock is test-and-set (qspinlock.ts).
    const fit =
      l.kind === 'spinlock' && this.tas
        ? virt_spin_lock(m.host, cpu, now, (t) => this.firstFit(l, t, need))
        : queued
          ? this.queuedFit(l, cpu, now, need)
          : this.firstFit(l, now, need);
    if (fit.start > now) {
      const wait = fit.start - now;
      c.charge(waitBucket, wait);
      l.waitCycles[cpu] = l.waitCycles[cpu]! + wait;
      l.contended++;
      if (fit.prev >= 0 && fit.prev !== cpu) l.conBounces++;
      if (wait < l.waitMin) l.waitMin = wait;
      if (wait > l.waitMax) l.waitMax = wait;
      if (l.acquiredAt > now) {
        l.overtaken++;
        l.overtakenWait += wait;
      }
      this.onWait?.(cpu, l, now, fit.start);
    }
    this.grant(l, cpu, fit.prev);
  }

  /** `cpu` takes `l` now; `prev` held it last. */
  private grant(l: lock_stats, cpu: number, prev: number): void {
    const c = this.machine.cpu(cpu);
    const cost = this.machine.costVector;
    l.remote = prev >= 0 && prev !== cpu;
    l.acquiredAt = c.now;
    if (l.remote) {
      c.charge(COST_INDEX.lockHandoff, cost[COST_INDEX.lockHandoff]!);
      l.acqBounces++;
    } else c.charge(COST_INDEX.lockAcquire, cost[COST_INDEX.lockAcquire]!);
    l.holder = cpu;
    l.holderTask = this.taskOn(cpu);
    l.acquisitions++;
    if (l.atomic) this.sched.holdCatchUp(cpu, 1);
  }

  /**
   * The trylock of spin_trylock()/mutex_trylock(). Its catch-up is the
   * acquire's, so the attempt is made in time order. It fails when code on
   * the stack holds the lock (this CPU's own, or a CPU suspended below: the
   * kernel's trylock would see it taken, so no NestedLockError), or when a
   * hold is under way at this CPU's clock or starts before a hold as long
   * as its last one could end. A failed attempt is one locked cmpxchg on a
   * line the holder owns: a transfer of the lock word, charged as
   * lockHandoff.
   */
  private tryAcquire(l: lock_stats): boolean {
    const m = this.machine;
    const cpu = m.currentCpu;
    this.sched.settle();
    if (this.spinsHeld[cpu] === 0) this.sched.catchUp(cpu);
    const c = m.cpu(cpu);
    const fit = l.holder >= 0 ? null : this.firstFit(l, c.now, l.lastHold[cpu]!);
    if (!fit || fit.start > c.now) {
      l.trylockFailed++;
      c.charge(COST_INDEX.lockHandoff, m.costVector[COST_INDEX.lockHandoff]!);
      return false;
    }
    this.grant(l, cpu, fit.prev);
    return true;
  }

  /**
   * `cpu` reaches `l` while code suspended below it holds it. For a class
   * not yet atomic, the run must be repeated with it atomic. For an atomic
   * one it cannot happen (its holder lets nothing run above it): a bug.
   */
  private nested(l: lock_stats, cpu: number): never {
    const what = `${this.taskOn(cpu)} on CPU ${cpu} takes ${l.kind} ${l.name}, held by ${l.holderTask} on CPU ${l.holder}, suspended below it`;
    if (l.atomic) throw new Error(`lock model: ${what}, although ${lock_class(l.name)} is atomic`);
    throw new NestedLockError(lock_class(l.name), l.kind, what);
  }

  /**
   * When a CPU that reaches the lock at `now` gets it, and who held it
   * last before then. Holds already run are a schedule of the lock: the
   * CPU waits for the hold under way at `now`, then for each next one that
   * leaves no room for a hold as long as its own last one. A hold that
   * began after `now` was run ahead of this CPU while it was suspended
   * below (a catch-up runs a step whole): the CPU arrived first, so it
   * takes a gap before such a hold when there is one, instead of queueing
   * behind everything run ahead (docs/concurrency.md, "Lock order").
   */
  private firstFit(l: lock_stats, now: number, need: number): { start: number; prev: number } {
    // Holds that began more than the longest hold before `now` ended before it:
    // the walk starts at the last of them (it names who held the lock last).
    return l.holds.fit(now, l.maxHold, need, l.lastHolder);
  }

  /**
   * firstFit for a queued spinlock (qspinlock's MCS queue is FIFO): a CPU
   * suspended in the catch-up of its own spin_lock (l.pending) arrived at
   * the lock first when its arrival is before `now`, so the slot firstFit
   * gives it, as long as its last hold, is kept for it. A gap that would
   * overlap such a slot is not taken; the CPU looks again after the slot.
   * Without this, the holds of a step run whole in the catch-up fill every
   * gap after the suspended CPU's arrival that is shorter than its hold, and
   * a CPU with long holds (the purge kworker) waits for all of them
   * (docs/concurrency.md, "Lock order").
   */
  private queuedFit(l: lock_stats, cpu: number, now: number, need: number): { start: number; prev: number } {
    let t = now;
    for (;;) {
      const f = this.firstFit(l, t, need);
      let moved = false;
      for (const p of l.pending) {
        if (p.cpu === cpu || p.arrival >= now) continue;
        if (Number.isNaN(p.slot)) p.slot = this.firstFit(l, p.arrival, p.need).start;
        const s = p.slot;
        if (s < f.start + need && f.start < s + p.need) {
          t = Math.max(t, s + p.need);
          moved = true;
        }
      }
      if (!moved) return f;
    }
  }

  /** Record a finished hold in the lock's schedule (sorted by start), dropping holds no CPU can reach any more. */
  private recordHold(l: lock_stats, cpu: number, start: number, end: number): void {
    const hold = end - start;
    l.lastHold[cpu] = hold;
    if (hold > l.maxHold) l.maxHold = hold;
    if (hold < l.holdMin) l.holdMin = hold;
    l.holdTotal += hold;
    l.holdCount++;
    const hs = l.holds;
    hs.insert(start, end, cpu);
    for (const p of l.pending) if (start < p.slot + p.need && p.slot < end) p.slot = NaN;
    if (hs.length > l.pruneAt) {
      const floor = this.lowestClock();
      let k = 0;
      for (const h = hs.first(); h.valid && h.end < floor; h.next()) k++;
      // Keep the last hold before the floor: it names who wrote the data last.
      hs.dropFront(Math.max(0, k - 1));
      l.pruneAt = Math.max(64, 2 * hs.length);
    }
  }

  /** The lowest clock of a CPU that is running or can run: no later lock attempt can start before it. */
  private lowestClock(): number {
    let lo = Infinity;
    const n = this.machine.config.cpus;
    for (let c = 0; c < n; c++) {
      if (this.sched.active && this.sched.idle(c) && c !== this.machine.currentCpu) continue;
      lo = Math.min(lo, this.machine.cpu(c).now);
    }
    return lo;
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
    // What the allocator touched under the lock is part of the hold.
    this.sched.settle();
    if (l.atomic && l.holder === cpu) this.sched.holdCatchUp(cpu, -1);
    l.holder = -1;
    l.lastHolder = cpu;
    l.releasedAt = Math.max(l.releasedAt, m.cpu(cpu).now);
    this.recordHold(l, cpu, l.acquiredAt, m.cpu(cpu).now);
  }
}
