// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel tasks in modelled time: a deterministic discrete-event scheduler
 * over the machine's per-CPU cycle clocks (docs/concurrency.md).
 *
 * What runs in parallel: every CPU has its own clock (Cpu.now, advanced by
 * the cost model as its code runs). Tasks (a scenario's loops, kthreads
 * bound to a CPU, the per-CPU kworkers) run in steps; a task-level step is
 * one kernel call or one memory access and runs to its end as code on its
 * CPU, except at the points where the kernel's own code can wait or give
 * up the CPU: spin_lock, mutex_lock, cond_resched(_lock), the IPI ACK wait
 * of a TLB flush, flush_work. There the running CPU lets every other CPU
 * whose clock is behind its own run (catchUp), so that what it does next
 * (take a lock, read a counter) happens after everything that happened
 * earlier in modelled time; no further than the clock of a CPU suspended
 * below it, though, which comes first. The main loop always runs the CPU whose clock
 * is lowest; ties go to the lowest CPU id. No randomness: same input, same
 * bytes.
 *
 * What is atomic: the code between two such points. A CPU whose step is
 * suspended in a catch-up below the running one (it is "on the stack")
 * cannot run until the catch-up returns; its clock may then lag.
 *
 * Same-CPU scheduling is the voluntary-preemption model: a kworker woken on
 * a CPU runs when the task there reaches the end of its step (a kernel
 * call returning, as a cond_resched() would let it); an unbound task it
 * preempts waits there, unless the kworker still runs at the next
 * scheduler tick (`schedTick`), when idle balancing pulls it to an idle CPU
 * (plus the `migrate` latency); a task bound to its CPU (a kthread) waits.
 *
 * Host cores (costs.hostCores, 0: unlimited): under emulation each vCPU is
 * a host thread, and a vCPU with something to run (a task, or a step in
 * progress: running, spinning on a lock, waiting for ACKs) wants a host
 * core while an idle one halts and wants none. With R such vCPUs and H < R
 * host cores, the host shares its cores evenly, so priced work on every CPU
 * takes R/H times its cost, or, with costs.hostLatency > 0, gives the vCPUs
 * turns on them (hw/hostCores.ts; Machine.host, read by Cpu.charge, the
 * IPI ACK wait and the test-and-set spinlock, kernel/kernel/locking/qspinlock.ts).
 * A spinner holds its share of the cores while the lock holder's critical
 * section is stretched, or waits for its turn.
 */

import { CPU_STATS, Machine } from '../../../hw/index.js';
import { COST_INDEX } from '../../../hw/costs.js';
import { HostCores } from '../../../hw/hostCores.js';

/** A task: a scenario loop, a kthread bound to a CPU, or a kworker. */
export interface sched_task {
  readonly comm: string;
  readonly pid: number;
  /** The CPU it runs on (changes when it migrates). */
  cpu: number;
  /** Bound to its CPU (kthread_bind, a per-CPU kworker): never migrates. */
  readonly bound: boolean;
  /** Each next() runs one step on `cpu`; done when the task exits. */
  readonly steps: Iterator<unknown> | null;
  /** A kworker: runs its CPU's worker pool instead of steps. */
  readonly worker: (() => boolean) | null;
  done: boolean;
  /** Modelled cycles of the task's own steps (not counting waits for the CPU). */
  ran: number;
  /** Preempted by a kworker: the tick at which idle balancing may pull it elsewhere. */
  pullAt?: number;
  /** A kworker: when it was last picked with lag 0 (woken, or eligible again after a yield). */
  burstAt?: number;
  /** A kworker that gave its CPU up at a cond_resched() (EEVDF): the tick that picks it again. */
  resumeAt?: number;
}

/**
 * The fair class of kernel/sched/fair.c and the preemption model of the
 * distribution build: 'cfs' before 6.6; 'eevdf' from 6.6 with voluntary
 * preemption (Debian 6.12); 'eevdf-lazy' with PREEMPT_LAZY (Debian 7.3).
 */
export type fair_class = 'cfs' | 'eevdf' | 'eevdf-lazy';

/**
 * struct timer_list in modelled time: `function` runs on `cpu` (as its
 * timer interrupt) when the modelled clock reaches `expires` cycles. The
 * kernel's timers fire at a jiffy; callers compute `expires` from jiffies
 * (kernel/kernel/workqueue.ts, kernel/kernel/rcu/tree.ts).
 */
export interface timer_list {
  expires: number;
  cpu: number;
  function: () => void;
  /** Armed and not yet fired (timer_pending). */
  pending: boolean;
  /** Order among timers of the same expiry: the one armed first fires first. */
  seq?: number;
}

/** A task as a scenario declares it. */
export interface TaskSpec {
  readonly comm: string;
  readonly pid: number;
  readonly cpu: number;
  readonly bound: boolean;
  readonly steps: Iterator<unknown>;
}

/** The discrete-event scheduler of one kernel. */
export class Scheduler {
  /** True while run() is driving tasks: the kernel is in timed mode. */
  active = false;
  private readonly rq: sched_task[][];
  private readonly onStack: boolean[];
  /** The CPUs with a step in progress, bottom first (onStack, in order). */
  private readonly stack: number[] = [];
  private readonly ready: CpuHeap;
  private readonly current: (sched_task | null)[];
  readonly stats: { steps: number[]; migrations: number; preemptions: number; catchUps: number };
  /** The kworker of each CPU (made by the workqueue). */
  readonly kworkers: sched_task[] = [];
  /** The kernel's fair class (its manifest's `machine.sched`; docs/concurrency.md, "EEVDF and the kworker"). */
  fair: fair_class = 'cfs';
  /** Kworkers that gave the CPU up at the cond_resched() after an item, with items still queued (EEVDF). */
  workerYields = 0;
  /** Called when a task starts a step on a CPU (trace comm/pid). */
  onSwitch: (cpu: number, t: sched_task) => void = () => {};
  /** Called before and after any step or catch-up (charge what the allocator did so far). */
  settle: () => void = () => {};
  /** Called when a step ends: who ran on `cpu` from `start` to `end` (a timeline). */
  onStep: ((cpu: number, t: sched_task, start: number, end: number) => void) | null = null;

  /**
   * Sections during which `cpu` lets no other CPU catch up (a count per
   * CPU): the holds of an atomic lock class, which other CPUs' steps also
   * take where the model could not suspend them (lock_table.atomic;
   * docs/concurrency.md, "Nested acquisitions").
   */
  private readonly noCatchUp: Int32Array;

  /** Enter (+1) or leave (-1) a section of `cpu` that lets no other CPU catch up. */
  holdCatchUp(cpu: number, delta: 1 | -1): void {
    this.noCatchUp[cpu] = this.noCatchUp[cpu]! + delta;
  }

  /** Whether `cpu` is in such a section: nothing else may run above it. */
  catchUpHeld(cpu: number): boolean {
    return this.noCatchUp[cpu]! > 0;
  }

  /** Armed timers, by (expires, seq). */
  private readonly timers: timer_list[] = [];
  private timerSeq = 0;
  /** Timers fired so far. */
  timersFired = 0;

  constructor(readonly machine: Machine) {
    const n = machine.config.cpus;
    this.noCatchUp = new Int32Array(n);
    this.rq = Array.from({ length: n }, () => []);
    this.onStack = new Array<boolean>(n).fill(false);
    this.ready = new CpuHeap(n);
    this.current = new Array<sched_task | null>(n).fill(null);
    this.stats = { steps: new Array<number>(n).fill(0), migrations: 0, preemptions: 0, catchUps: 0 };
  }

  get nr_cpus(): number {
    return this.rq.length;
  }

  /** The task whose step is running on `cpu` (null: idle or not in timed mode). */
  curr(cpu: number): sched_task | null {
    return this.current[cpu] ?? null;
  }

  /** Make a task runnable on its CPU (wake_up_process). */
  enqueue(t: sched_task): void {
    const q = this.rq[t.cpu]!;
    if (!q.includes(t)) q.push(t);
    this.sync(t.cpu);
  }

  /** Keep `cpu` in the ready heap exactly while it has something to run and no step in progress. */
  private sync(cpu: number): void {
    const eligible = this.rq[cpu]!.length > 0 && !this.onStack[cpu];
    if (eligible && !this.ready.has(cpu)) this.ready.insert(cpu, this.machine.cpu(cpu).now);
    else if (!eligible && this.ready.has(cpu)) this.ready.remove(cpu);
    this.machine.host?.setRunnable(cpu, this.active && !this.idle(cpu));
  }

  /** Whether `cpu` has nothing to run and no step in progress. */
  idle(cpu: number): boolean {
    return this.rq[cpu]!.length === 0 && !this.onStack[cpu];
  }

  /**
   * A wake-up from CPU `from` makes `cpu` busy: an idle CPU's clock jumps to
   * the waker's time plus the wake-up latency (it was idle meanwhile).
   */
  wakeIdle(cpu: number, from: number): void {
    if (!this.idle(cpu) || cpu === from) return;
    const c = this.machine.cpu(cpu);
    const t = this.machine.cpu(from).now + this.machine.costVector[COST_INDEX.wakeup]!;
    c.idleUntil(t);
  }

  /** Run `tasks` (and the work they queue) until all have exited and every worker pool is empty. */
  run(specs: readonly TaskSpec[]): void {
    if (this.active) throw new Error('Scheduler.run() is not re-entrant');
    const tasks: sched_task[] = specs.map((s) => ({ comm: s.comm, pid: s.pid, cpu: s.cpu, bound: s.bound, steps: s.steps, worker: null, done: false, ran: 0 }));
    for (const t of tasks) {
      this.machine.cpu(t.cpu);
      this.enqueue(t);
    }
    // Tasks start together: every CPU that has one starts at the latest clock among them.
    let start = 0;
    for (const t of tasks) start = Math.max(start, this.machine.cpu(t.cpu).now);
    for (const t of tasks) this.machine.cpu(t.cpu).idleUntil(start);
    this.active = true;
    const cores = this.machine.costVector[COST_INDEX.hostCores]!;
    if (cores > 0) this.machine.host = new HostCores(cores, this.rq.length, this.machine.costVector[COST_INDEX.hostLatency]!, this.machine.costVector[COST_INDEX.hostMinSlice]!);
    for (let c = 0; c < this.rq.length; c++) this.sync(c);
    try {
      for (;;) {
        const cpu = this.pick(Infinity);
        if (this.timerDue(cpu < 0 ? Infinity : this.machine.cpu(cpu).now)) {
          this.fireTimer();
          continue;
        }
        if (cpu < 0) break;
        this.step(cpu);
      }
    } finally {
      this.active = false;
      this.rq.forEach((q, c) => {
        q.length = 0;
        this.sync(c);
      });
      this.machine.host = null;
    }
  }

  /**
   * A point where the code running on `cpu` may wait: let every other CPU
   * whose clock is behind `cpu`'s run its steps up to it.
   */
  catchUp(cpu: number): void {
    if (!this.active) return;
    if (this.noCatchUp[cpu]) return;
    this.settle();
    this.balance(cpu);
    const limit = this.stackFloor(cpu);
    for (;;) {
      const next = this.pick(limit, cpu);
      const t = next < 0 ? limit : this.machine.cpu(next).now;
      if (this.timerDue(t) && this.timers[0]!.expires < limit) {
        this.fireTimer();
        continue;
      }
      if (next < 0) break;
      this.stats.catchUps++;
      this.step(next);
    }
  }

  /**
   * How far a catch-up from `cpu` lets the others run: `cpu`'s clock, but
   * no further than the clock of any CPU suspended below it. A step that
   * ran in a catch-up can end past the clock of the CPU that started it
   * (it waited for a lock); the CPUs it would let run meanwhile are ahead
   * of that suspended CPU, which comes first in modelled time.
   */
  private stackFloor(cpu: number): number {
    let limit = this.machine.cpu(cpu).now;
    for (const s of this.stack) {
      const t = this.machine.cpu(s).now;
      if (t < limit) limit = t;
    }
    return limit;
  }

  /** add_timer(timer): arm it (re-arming a pending timer moves it, as mod_timer does). */
  add_timer(t: timer_list): void {
    if (t.pending) this.del_timer(t);
    t.pending = true;
    t.seq = this.timerSeq++;
    let i = this.timers.length;
    while (i > 0 && this.before(t, this.timers[i - 1]!)) i--;
    this.timers.splice(i, 0, t);
  }

  /** del_timer(timer): disarm it; true if it was pending. */
  del_timer(t: timer_list): boolean {
    if (!t.pending) return false;
    t.pending = false;
    const i = this.timers.indexOf(t);
    if (i >= 0) this.timers.splice(i, 1);
    return true;
  }

  private before(a: timer_list, b: timer_list): boolean {
    return a.expires < b.expires || (a.expires === b.expires && (a.seq as number) < (b.seq as number));
  }

  /** Whether the first timer expires no later than `t`. */
  private timerDue(t: number): boolean {
    const first = this.timers[0];
    return first !== undefined && first.expires <= t;
  }

  /**
   * Fire the first timer on its CPU: an idle CPU wakes at the expiry; a busy
   * one takes the interrupt where its clock is (it is at or past the expiry
   * whenever the timer is due before its next step).
   */
  private fireTimer(): void {
    const t = this.timers.shift() as timer_list;
    t.pending = false;
    this.timersFired++;
    const c = this.machine.cpu(t.cpu);
    if (this.idle(t.cpu)) c.idleUntil(t.expires);
    this.machine.runOn(t.cpu, () => t.function());
    this.sync(t.cpu);
  }

  /** Timers armed and not fired. */
  get nr_timers(): number {
    return this.timers.length;
  }

  /** The CPU to run next: lowest clock below `limit` with something runnable, not on the stack. */
  private pick(limit: number, except = -1): number {
    const c = this.ready.top((x) => this.machine.cpu(x).now);
    if (c < 0 || c === except) return -1;
    return this.machine.cpu(c).now < limit ? c : -1;
  }

  /** The lowest clock of a CPU with something runnable that is not on the stack (Infinity: none). */
  nextEventTime(): number {
    const c = this.pick(Infinity);
    const t = c < 0 ? Infinity : this.machine.cpu(c).now;
    const first = this.timers[0];
    return first !== undefined && first.expires < t ? first.expires : t;
  }

  /** Run one step on the CPU with the lowest clock (a waiter whose clock moved on to it). False: nothing can run. */
  stepNext(): boolean {
    const c = this.pick(Infinity);
    if (this.timerDue(c < 0 ? Infinity : this.machine.cpu(c).now)) {
      this.fireTimer();
      return true;
    }
    if (c < 0) return false;
    this.step(c);
    return true;
  }

  /** Run one step on `cpu`: its kworker if it has work (it preempts the task), else its first task. */
  private step(cpu: number): void {
    const q = this.rq[cpu]!;
    const kw = this.kworkers[cpu];
    let t = q[0]!;
    const c = this.machine.cpu(cpu);
    if (kw !== undefined && q.includes(kw)) {
      const other = q.find((x) => x !== kw);
      if (other !== undefined && kw.resumeAt !== undefined && kw.resumeAt > c.now) {
        // The kworker gave the CPU up and is not eligible yet: the task it preempted runs.
        t = other;
      } else {
        if (kw.burstAt === undefined || kw.resumeAt !== undefined) kw.burstAt = c.now;
        kw.resumeAt = undefined;
        if (other !== undefined) {
          // The tasks there are preempted at the end of their step: they wait, or an idle CPU pulls them.
          this.stats.preemptions++;
          this.migrateFrom(cpu, kw);
        }
        t = kw;
      }
    }
    this.settle();
    t.pullAt = undefined;
    this.onStack[cpu] = true;
    this.stack.push(cpu);
    this.sync(cpu);
    this.current[cpu] = t;
    this.onSwitch(cpu, t);
    const t0 = c.now;
    let more: boolean;
    try {
      more = this.machine.runOn(cpu, () => (t.worker ? t.worker() : t.steps?.next().done !== true));
      this.settle();
    } finally {
      this.onStack[cpu] = false;
      this.stack.pop();
      this.current[cpu] = null;
    }
    t.ran += c.now - t0;
    this.onStep?.(cpu, t, t0, c.now);
    this.stats.steps[cpu] = this.stats.steps[cpu]! + 1;
    const i = q.indexOf(t);
    if (t.worker) {
      if (more) this.cond_resched_worker(cpu, t, t0, c.now);
      else t.burstAt = undefined;
    }
    if (!more) {
      if (i >= 0) q.splice(i, 1);
      if (!t.worker) t.done = true;
    } else if (!t.worker && i >= 0 && q.length > 1) {
      // Tasks sharing a CPU take turns, one step each (a time slice per step).
      q.splice(i, 1);
      q.push(t);
    }
    this.sync(cpu);
  }

  /**
   * The cond_resched() at the end of process_one_work() (kernel/workqueue.c),
   * under EEVDF with voluntary preemption (kernel/sched/fair.c of 6.12): a
   * tick that finds the kworker past its deadline (one base slice after it
   * was picked) with another task runnable sets need_resched
   * (update_curr(): update_deadline(), resched_curr()), and the kworker
   * gives the CPU up there, between two items. With equal weights it is
   * eligible again (v_i <= V) once the task it preempted has run as long as
   * the kworker ran; the first tick after that (the task's deadline has
   * passed, pick_eevdf()) picks it. docs/concurrency.md, "EEVDF and the
   * kworker".
   */
  private cond_resched_worker(cpu: number, kw: sched_task, t0: number, t1: number): void {
    if (this.fair !== 'eevdf' || kw.burstAt === undefined) return;
    if (!this.rq[cpu]!.some((x) => x !== kw)) return;
    const tick = this.machine.costVector[COST_INDEX.schedTick]!;
    if (!(tick > 0)) return;
    const lastTick = Math.floor(t1 / tick) * tick;
    if (lastTick <= t0 || lastTick < kw.burstAt + this.base_slice(tick)) return;
    kw.resumeAt = Math.ceil((t1 + (t1 - kw.burstAt)) / tick) * tick;
    this.workerYields++;
  }

  /**
   * sysctl_sched_base_slice (6.12: 0.70 ms) times get_update_sysctl_factor(),
   * 1 + ilog2(min(online CPUs, 8)), in cycles: `tick` is the HZ=250 jiffy,
   * 4 ms.
   */
  private base_slice(tick: number): number {
    const factor = 1 + Math.floor(Math.log2(Math.min(this.rq.length, 8)));
    return (tick / 4) * 0.7 * factor;
  }

  /**
   * Preemption by `kw` on `cpu`: the unbound tasks queued there become
   * candidates for idle balancing at the next scheduler tick; if the
   * kworker still runs then, balance() pulls them to an idle CPU.
   */
  private migrateFrom(cpu: number, kw: sched_task): void {
    const tick = this.machine.costVector[COST_INDEX.schedTick]!;
    const now = this.machine.cpu(cpu).now;
    for (const t of this.rq[cpu]!) {
      if (t === kw || t.bound || t.worker || t.pullAt !== undefined) continue;
      t.pullAt = tick > 0 ? (Math.floor(now / tick) + 1) * tick : now;
    }
  }

  /** Idle balancing at a tick: a task waiting behind a running kworker moves to an idle CPU. */
  private balance(cpu: number): void {
    const q = this.rq[cpu]!;
    const cur = this.current[cpu];
    if (!cur?.worker) return;
    const now = this.machine.cpu(cpu).now;
    for (const t of [...q]) {
      if (t.pullAt === undefined || t.pullAt > now) continue;
      const to = this.idleCpu(cpu);
      if (to < 0) return;
      q.splice(q.indexOf(t), 1);
      this.sync(cpu);
      t.cpu = to;
      const dest = this.machine.cpu(to);
      dest.idleUntil(t.pullAt + this.machine.costVector[COST_INDEX.migrate]!);
      dest.count(CPU_STATS.index.migrationsIn);
      t.pullAt = undefined;
      this.enqueue(t);
      this.stats.migrations++;
    }
  }

  private idleCpu(from: number): number {
    const n = this.rq.length;
    for (let i = 1; i < n; i++) {
      const c = (from + i) % n;
      if (this.idle(c)) return c;
    }
    return -1;
  }

  /** Whether a step is in progress on `cpu` (its code is suspended below the running one). */
  isOnStack(cpu: number): boolean {
    return this.onStack[cpu] === true;
  }
}

/**
 * The CPUs that can run next, by (clock, id): a binary min-heap with each
 * CPU's position, so that picking the lowest clock costs O(log n) at 512
 * CPUs. A key can go stale when an interrupt handler runs on a waiting CPU
 * and moves its clock on; clocks only grow, so a stale key is too low and
 * is refreshed when it reaches the top.
 */
class CpuHeap {
  private readonly heap: number[] = [];
  private readonly key: Float64Array;
  private readonly pos: Int32Array;

  constructor(n: number) {
    this.key = new Float64Array(n);
    this.pos = new Int32Array(n).fill(-1);
  }

  has(c: number): boolean {
    return this.pos[c]! >= 0;
  }

  insert(c: number, k: number): void {
    this.key[c] = k;
    this.pos[c] = this.heap.length;
    this.heap.push(c);
    this.up(this.heap.length - 1);
  }

  remove(c: number): void {
    const i = this.pos[c]!;
    if (i < 0) return;
    const last = this.heap.pop() as number;
    this.pos[c] = -1;
    if (last === c) return;
    this.heap[i] = last;
    this.pos[last] = i;
    this.down(i);
    this.up(i);
  }

  /** The CPU with the lowest key after refreshing stale keys with `now`; -1 when empty. */
  top(now: (c: number) => number): number {
    for (;;) {
      const c = this.heap[0];
      if (c === undefined) return -1;
      const k = now(c);
      if (k === this.key[c]) return c;
      this.key[c] = k;
      this.down(0);
    }
  }

  private less(a: number, b: number): boolean {
    const ka = this.key[a]!;
    const kb = this.key[b]!;
    return ka < kb || (ka === kb && a < b);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(i: number, j: number): void {
    const h = this.heap;
    const a = h[i]!;
    const b = h[j]!;
    h[i] = b;
    h[j] = a;
    this.pos[b] = i;
    this.pos[a] = j;
  }
}
