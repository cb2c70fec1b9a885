// SPDX-License-Identifier: GPL-2.0-only
/*
 * Booting a kernel on the machine: one value holding the Machine, the
 * allocator port of the chosen version with its hooks wired to the machine
 * (vunmap_page_range -> the page tables, flush_tlb_kernel_range -> the era's
 * x86 flush, purge_fragmented_blocks_allcpus -> the vmap-block layer,
 * schedule_work -> a modelled kworker), the era's vmalloc API layer, the
 * page allocator, per-CPU vm events, the trace buffer and the /proc files.
 * No module-level state: every bootKernel() call builds a new world.
 *
 * API calls name the CPU they run on: k.vmalloc(cpu, size) runs the kernel's
 * vmalloc() as code on that CPU (machine.runOn), so its flushes start there
 * and its reads and writes go through that CPU's MMU.
 *
 * The deferred purge (6.1: free_vmap_area_noflush -> schedule_work(&drain_vmap_work)):
 * - one CPU: the kworker runs when the freeing task reaches a scheduling
 *   point, modelled as the end of the API call that queued it;
 * - more CPUs: it runs on the next CPU, (queuing CPU + 1) mod N, after
 *   `kworkerDelay` further API calls (default 8): the freeing goes on
 *   meanwhile, so vmap_lazy_nr overshoots lazy_max_pages() and the purge
 *   takes more than the crossing amount. schedule_work() of a work item that
 *   is already pending does nothing. Because a purge runs atomically here,
 *   the short "tail" purges that real kernels show (frees landing while the
 *   worker purges re-queue it) do not appear; the overshoot does.
 * k.flush_work() runs pending work now (e.g. before reading /proc).
 */

import { CPU_STATS, Machine, type MachineConfigInput } from '../hw/index.js';
import type { KernelWarning } from './include/asm-generic/bug.js';
import { hex, type ulong } from './include/u64.js';
import { VMALLOC_END_4LEVEL, VMALLOC_END_5LEVEL_U64, VMALLOC_START_4LEVEL, VMALLOC_START_5LEVEL } from './include/asm/page.js';
import { type FlushEraName, getFlushEra, type tlb_fault_injection, tlb_flush_stats, type x86_kernel_tlb } from './arch/x86/mm/tlb.js';
import { arch_show_interrupts } from './arch/x86/kernel/irq.js';
import { ioremap as x86_ioremap, iounmap as x86_iounmap } from './arch/x86/mm/ioremap.js';
import { fmt_alloc_vmap_area, fmt_free_vmap_area_noflush, fmt_purge_vmap_area_lazy, type task_struct, trace_buffer, type trace_event_name } from './kernel/trace/trace.js';
import { GFP_KERNEL, page, page_alloc, __GFP_ZERO } from './mm/page_alloc.js';
import { rcu_state } from './kernel/rcu/tree.js';
import type { percpu } from './mm/percpu.js';
import { PERCPU_TEXTS } from './mm/percpu/index.js';
import { kvfree_rcu } from './mm/slab_common.js';
import { lookup_pte, mm_struct, PAGE_KERNEL, pgtable_report_for, vunmap_page_range } from './mm/pgtable.js';
import { vm_event_states } from './mm/vmstat.js';
import { __GFP_DIRECT_RECLAIM } from './mm/vmalloc/common.js';
import type { VmallocHooks, VmapAllocator } from './mm/vmalloc/common.js';
import { createAllocator } from './mm/vmalloc/index.js';
import { type ApiEraName, getApiEra, getKernel, type KernelName } from './mm/vmalloc/api/index.js';
import { Scheduler, type TaskSpec } from './kernel/sched/core.js';
import { DeadlockError, lock_stats, lock_table } from './kernel/locking/spinlock.js';
import { system_wq, work_struct } from './kernel/workqueue.js';
import { COST_INDEX } from '../hw/costs.js';
import { Timeline } from './kernel/trace/timeline.js';
import { capsOf, isWasmCore } from './manifest/index.js';
import type { vm_struct_view, vmalloc_api, vmalloc_context, vmalloc_fault_injection } from './mm/vmalloc/api/common.js';

/** Fault injections: deliberate bugs the TLB-coherence checker should catch. */
export interface FaultInjection extends tlb_fault_injection, vmalloc_fault_injection {}

export interface BootOptions {
  /** A named kernel (allocator + API era + flush era), e.g. "linux-6.1" or "linux-6.1+fc1e0d980037". */
  readonly version: KernelName | string;
  /** A machine, or its config (default: 4 CPUs, or `cpus`). */
  readonly machine?: MachineConfigInput | Machine;
  /** CPUs of a new machine (ignored when `machine` is a Machine). */
  readonly cpus?: number;
  /** Another TLB-flush era than the version's ("the 2.6.39 allocator with INVLPGB": "linux-6.15"). */
  readonly flushEra?: FlushEraName;
  /** Another API era than the version's. */
  readonly api?: ApiEraName;
  /** CONFIG_NR_CPUS (sizes vmap blocks); default: the version's distribution value. */
  readonly NR_CPUS?: number;
  /** Modelled clock for trace timestamps, Hz (default 3e9). */
  readonly clockHz?: number;
  /** Fire the vmalloc trace events for versions older than them, from the same points (default true). */
  readonly traceOlderVersions?: boolean;
  /** API calls before a kworker runs on another CPU (more than one CPU; default 8). */
  readonly kworkerDelay?: number;
  /** Run the deferred purge inline, as the golden traces do (default false: a kworker). */
  readonly inlineWork?: boolean;
  readonly faults?: FaultInjection;
  /** Record a per-CPU timeline of the run in modelled time (kernel/kernel/trace/timeline.ts; default false). */
  readonly timeline?: boolean;
  /**
   * Lock classes whose sections run atomic in timed mode besides
   * ATOMIC_LOCK_CLASSES: while a CPU holds one, no other CPU catches up
   * (a run that met a NestedLockError is repeated with its class here;
   * docs/concurrency.md, "Nested acquisitions").
   */
  readonly atomicLocks?: readonly string[];
  /** Record trace events (default true); off, the tracepoints cost nothing, as in a kernel with tracing disabled. */
  readonly trace?: boolean;
  /**
   * VMALLOC_START / VMALLOC_END (u64, signed view; default x86-64 4-level:
   * ffffc90000000000 .. ffffe8ffffffffff). A small range models a 32-bit
   * kernel's 128 MiB vmalloc space.
   */
  readonly vmalloc?: { readonly start: ulong; readonly end: ulong };
}

/** A purge as the `purged` hook reported it. */
export interface PurgeRecord {
  readonly cpu: number;
  readonly nr_areas: number;
  readonly start: ulong;
  readonly end: ulong;
  /** IPIs sent by the purge's flush (CAL, all CPUs). */
  ipis: number;
}

interface PendingWork {
  readonly fn: () => void;
  readonly cpu: number;
  remaining: number;
}

/** A booted kernel on its machine. */
export class Kernel {
  readonly machine: Machine;
  readonly version: string;
  readonly allocator: VmapAllocator;
  readonly api: vmalloc_api;
  readonly tlb: x86_kernel_tlb;
  readonly pages: page_alloc;
  readonly init_mm: mm_struct;
  readonly vmstat: vm_event_states;
  readonly tlbstats: tlb_flush_stats;
  readonly trace: trace_buffer;
  readonly cpu_online_mask: number[];
  readonly warnings: KernelWarning[] = [];
  readonly purges: PurgeRecord[] = [];
  /**
   * CONFIG_FAILSLAB, as /sys/kernel/debug/failslab sets it (probability 100,
   * times -1): while set, every vmap_area slab allocation of the allocator
   * fails, or with ignore_gfp_reclaim (ignore-gfp-wait) only those that
   * cannot sleep. null: off (the default).
   */
  failslab: { readonly ignore_gfp_reclaim: boolean } | null = null;
  /** vmap_area allocations failslab made fail. */
  failslabInjected = 0;
  readonly faults: FaultInjection;
  /** VMALLOC_START / VMALLOC_END of this kernel. */
  readonly vmallocRange: { readonly start: ulong; readonly end: ulong };
  /** VMALLOC_END as an exact u64 (vmallocRange.end rounds it under 5-level paging). */
  readonly vmallocEndU64: bigint;
  readonly nativeTrace: boolean;
  readonly traceOlderVersions: boolean;
  readonly kworkerDelay: number;
  private readonly tasks: task_struct[];
  private pending: PendingWork | null = null;
  /** Tasks in modelled time (timed mode: while runTasks() runs). */
  readonly sched: Scheduler;
  /** spinlocks and mutexes with their waits (timed mode). */
  readonly locks: lock_table;
  /** system_wq: per-CPU worker pools and their kworkers (timed mode). */
  readonly wq: system_wq;
  /** drain_vmap_work, the allocator's one static work item. */
  readonly drain_vmap_work = new work_struct('drain_vmap_work', () => {});
  private readonly helperWork = new WeakMap<object, work_struct>();
  /** The run's timeline, when BootOptions.timeline asked for one. */
  readonly timeline: Timeline | null;
  /** Allocator touches already charged as areaTouch cycles. */
  private touchesCharged = 0;
  /**
   * The allocator's touches charged to each CPU (settle()): what an
   * allocation's own code touched. The allocator's counter is global, and
   * in timed mode other CPUs run while a call waits (for a lock, for ACKs),
   * so a difference of it across a call also counts their touches.
   */
  private readonly touchesByCpu: Float64Array;
  private depth = 0;
  /** Kernel calls in progress on each CPU (the API cost is charged to the outermost). */
  private readonly cpuDepth: Int32Array;
  /** Kworker runs so far. */
  kworker_runs = 0;
  /** RCU grace periods in modelled time (kernel/kernel/rcu/tree.ts). */
  readonly rcu: rcu_state;
  private _percpu: percpu | null = null;
  private _kvfree_rcu: kvfree_rcu | null = null;
  /** Work queued outside timed mode by the percpu and kvfree_rcu code: runs at the next scheduling point. */
  private readonly deferred: work_struct[] = [];

  constructor(opts: BootOptions) {
    const info = getKernel(opts.version);
    const m = opts.machine;
    this.machine = m instanceof Machine ? m : new Machine({ cpus: opts.cpus ?? 4, ...(m ?? {}) });
    const ncpu = this.machine.config.cpus;
    this.version = info.name;
    this.faults = opts.faults ?? {};
    this.nativeTrace = info.nativeTrace;
    this.traceOlderVersions = opts.traceOlderVersions ?? true;
    this.kworkerDelay = opts.kworkerDelay ?? 8;
    this.cpu_online_mask = Array.from({ length: ncpu }, (_, i) => i);
    this.pages = new page_alloc(this.machine);
    this.init_mm = new mm_struct(this.machine, this.pages);
    this.vmstat = new vm_event_states(ncpu);
    this.tlbstats = new tlb_flush_stats(ncpu);
    this.trace = new trace_buffer(opts.clockHz ?? 3e9);
    if (opts.trace === false) this.trace.enabled.clear();
    this.tasks = Array.from({ length: ncpu }, () => ({ comm: 'init', pid: 1 }));
    this.cpuDepth = new Int32Array(ncpu);
    this.touchesByCpu = new Float64Array(this.machine.config.cpus);
    this.sched = new Scheduler(this.machine);
    this.sched.fair = info.sched;
    this.locks = new lock_table(this.machine, this.sched, opts.atomicLocks);
    this.wq = new system_wq(this.machine, this.sched, (cpu) => 11 + cpu * 7);
    const labels = new WeakMap<object, string>();
    this.sched.onSwitch = (cpu, t) => {
      this.tasks[cpu] = { comm: t.comm, pid: t.pid };
      let label = labels.get(t);
      if (label === undefined) labels.set(t, (label = `${t.comm}-${t.pid}`));
      this.machine.cpu(cpu).setContext(label);
    };
    this.sched.settle = () => this.settle();
    this.rcu = new rcu_state(this.machine, this.sched);
    this.timeline = opts.timeline ? new Timeline(ncpu, opts.clockHz ?? 3e9, `${info.name} on ${ncpu} CPUs (vmapsim)`) : null;
    const tl = this.timeline;
    if (tl) {
      this.sched.onStep = (cpu, t, start, end) => tl.step(cpu, `${t.comm}-${t.pid}`, start, end, t.worker ? 'kworker' : 'task');
      this.locks.onWait = (cpu, l, start, end) => tl.slice(cpu, `${l.kind === 'mutex' ? 'mutex_lock' : 'spin_lock'} ${l.name} (wait)`, start, end, 'lock');
      this.machine.irqObserver = (cpu, vector, start, end) => tl.slice(cpu, `${vector} IPI handler`, start, end, 'irq');
    }

    const self = this;
    const machine = this.machine;
    const cpu_online_mask = this.cpu_online_mask;
    const tlbctx = {
      machine,
      cpu_online_mask,
      vmstat: this.vmstat,
      tlbstats: this.tlbstats,
      tlbfaults: this.faults,
    };
    this.tlb = getFlushEra(opts.flushEra ?? info.flushEra).create(tlbctx);

    const warn = (version: string, func: string, cond: string): void => {
      this.warnings.push({ version, func, line: 0, cond });
    };
    const hooks: VmallocHooks = {
      flush_tlb_kernel_range: (start, end) => this.flush_tlb_kernel_range(start, end),
      vunmap_page_range: (start, end) => vunmap_page_range(this.init_mm, start, end, pgtable_report_for(this.version, warn)),
      flush_cache_vunmap: () => {},
      purge_fragmented_blocks_allcpus: () => self.api.purge_fragmented_blocks_allcpus(),
      purged: (nr, start, end) => {
        this.purges.push({ cpu: machine.currentCpu, nr_areas: nr, start, end, ipis: this.lastFlushIpis });
        if (this.timeline) {
          const cpu = machine.currentCpu;
          this.timeline.instant(cpu, 'purge', machine.cpu(cpu).now, { nr_areas: nr, start: hex(start), end: hex(end), ipis: this.lastFlushIpis });
          this.timeline.counter('TLB entries (L1 + STLB)', machine.cpu(cpu).now, Object.fromEntries(machine.cpus.map((c) => [`CPU ${c.id}`, c.l1.entries().length + c.stlb.entries().length])));
        }
        if (!this.nativeTrace && this.traceOlderVersions) this.emit('vmalloc:purge_vmap_area_lazy', () => fmt_purge_vmap_area_lazy(start, end, nr));
      },
      // The purge reads a lazily freed area again, long after it was freed (docs/concurrency.md, "Cold areas").
      // Charged with the allocator's touches, at the next settle().
      purge_area_read: () => {
        this.coldAreas++;
      },
      warn: (w) => this.warnings.push(w),
      trace_alloc_vmap_area: (addr, size, align, vstart, vend, failed) => this.emit('vmalloc:alloc_vmap_area', () => fmt_alloc_vmap_area(addr, size, align, vstart, this.exactEnd(vend), failed)),
      trace_free_vmap_area_noflush: (va_start, nr_lazy, nr_lazy_max) => this.emit('vmalloc:free_vmap_area_noflush', () => fmt_free_vmap_area_noflush(va_start, nr_lazy, nr_lazy_max)),
      trace_purge_vmap_area_lazy: (start, end, npurged) => this.emit('vmalloc:purge_vmap_area_lazy', () => fmt_purge_vmap_area_lazy(start, end, npurged)),
    };
    hooks.should_failslab = (gfp_mask) => {
      const f = this.failslab;
      if (!f || (f.ignore_gfp_reclaim && gfp_mask & __GFP_DIRECT_RECLAIM)) return false;
      this.failslabInjected++;
      return true;
    };
    if (!opts.inlineWork) {
      hooks.schedule_work = (fn) => {
        if (!this.sched.active) return this.schedule_work(fn);
        this.drain_vmap_work.func = this.traced('drain_vmap_area_work', fn);
        this.wq.schedule_work(this.drain_vmap_work);
      };
      hooks.schedule_work_on = (cpu, key, fn) => {
        if (!this.sched.active) return;
        let w = this.helperWork.get(key);
        if (!w) this.helperWork.set(key, (w = new work_struct('vn->purge_work', fn)));
        w.func = fn;
        this.wq.schedule_work_on(cpu, w);
      };
      hooks.flush_work = (key) => {
        const w = this.helperWork.get(key);
        if (!this.sched.active || !w) return false;
        // Queued by schedule_work_on above: wait if it has not finished (it may have already).
        if (w.pending || w.running) this.wq.flush_work(w);
        return true;
      };
    }
    hooks.raw_smp_processor_id = () => (machine.currentCpu < 0 ? 0 : machine.currentCpu);
    hooks.spin_lock = (lock, instance) => {
      if (this.sched.active) this.locks.spin_lock(this.lockOf(lock, instance, 'spinlock'));
    };
    hooks.spin_unlock = (lock, instance) => {
      if (this.sched.active) this.locks.spin_unlock(this.lockOf(lock, instance, 'spinlock'));
    };
    hooks.cond_resched_lock = (lock) => {
      if (this.sched.active) this.locks.cond_resched_lock(lock);
    };
    hooks.mutex_lock = (lock) => {
      if (this.sched.active) this.locks.mutex_lock(this.lockOf(lock, undefined, 'mutex'));
    };
    hooks.mutex_unlock = (lock) => {
      if (this.sched.active) this.locks.mutex_unlock(this.lockOf(lock, undefined, 'mutex'));
    };
    hooks.spin_trylock = (lock) => !this.sched.active || this.locks.spin_trylock(this.lockOf(lock, undefined, 'spinlock'));
    hooks.mutex_trylock = (lock) => !this.sched.active || this.locks.mutex_trylock(this.lockOf(lock, undefined, 'mutex'));

    // A machine with 5-level paging gets the 5-level vmalloc range when the
    // allocator holds unsigned long as an exact u64 (a wasm core: its
    // VMALLOC_END needs 54 bits: `<kernel>@wasm` or a user's copy of one);
    // the TypeScript ports keep the 4-level one.
    const la57 = !opts.vmalloc && this.machine.config.pagingLevels === 5 && isWasmCore(info.allocator);
    const VMALLOC_START = opts.vmalloc?.start ?? (la57 ? VMALLOC_START_5LEVEL : VMALLOC_START_4LEVEL);
    const VMALLOC_END = opts.vmalloc?.end ?? (la57 ? Number(BigInt.asIntN(64, VMALLOC_END_5LEVEL_U64)) : VMALLOC_END_4LEVEL);
    this.vmallocRange = { start: VMALLOC_START, end: VMALLOC_END };
    this.vmallocEndU64 = la57 ? VMALLOC_END_5LEVEL_U64 : BigInt.asUintN(64, BigInt(VMALLOC_END));
    this.allocator = createAllocator(info.allocator, { ncpu, VMALLOC_START, VMALLOC_END, ...(la57 ? { VMALLOC_END_U64: VMALLOC_END_5LEVEL_U64 } : {}), hooks });

    const ctx: vmalloc_context = {
      machine,
      init_mm: this.init_mm,
      pages: this.pages,
      cpu_online_mask,
      NR_CPUS: opts.NR_CPUS ?? info.NR_CPUS,
      va_flags_5_2: capsOf(this.allocator)?.vaFlags52 === true,
      nr_cpu_ids: ncpu,
      VMALLOC_START,
      VMALLOC_END,
      vmfaults: this.faults,
      smp_processor_id: () => {
        if (machine.currentCpu < 0) throw new Error('kernel code must run on a CPU (machine.runOn)');
        return machine.currentCpu;
      },
      flush_tlb_kernel_range: (start, end) => this.flush_tlb_kernel_range(start, end),
      mutex_lock: (name) => hooks.mutex_lock?.(name),
      mutex_unlock: (name) => hooks.mutex_unlock?.(name),
      spin_lock: (name, instance) => hooks.spin_lock?.(name, instance),
      spin_unlock: (name, instance) => hooks.spin_unlock?.(name, instance),
      warn,
      list_walk: (n) => {
        const cpu = machine.currentCpu;
        if (cpu >= 0 && n > 0) machine.cpu(cpu).charge(COST_INDEX.areaTouch, n * machine.costVector[COST_INDEX.areaTouch]!);
      },
      trace_alloc_vmap_area: (addr, size, align, vstart, vend, failed) => {
        if (!this.nativeTrace && this.traceOlderVersions) this.emit('vmalloc:alloc_vmap_area', () => fmt_alloc_vmap_area(addr, size, align, vstart, this.exactEnd(vend), failed));
      },
      trace_free_vmap_area_noflush: (va_start, nr_lazy, nr_lazy_max) => {
        if (!this.nativeTrace && this.traceOlderVersions) this.emit('vmalloc:free_vmap_area_noflush', () => fmt_free_vmap_area_noflush(va_start, nr_lazy, nr_lazy_max));
      },
    };
    this.api = getApiEra(opts.api ?? info.api).create(ctx, this.allocator);
  }

  /* ---- flushes, work, trace ---- */

  private lastFlushIpis = 0;

  /**
   * The era's flush_tlb_kernel_range, counting the IPIs it sent. In timed
   * mode the CPUs behind catch up first (the IPIs reach them at this time),
   * and again after the ACK wait (they ran meanwhile).
   */
  private flush_tlb_kernel_range(start: ulong, end: ulong): void {
    const cpu = this.machine.currentCpu;
    if (this.sched.active) this.sched.catchUp(cpu);
    const before = this.ipisSent();
    this.traced('flush_tlb_kernel_range', () => this.tlb.flush_tlb_kernel_range(start, end))();
    this.lastFlushIpis = this.ipisSent() - before;
    if (this.sched.active) this.sched.catchUp(cpu);
  }

  /** `fn` as a slice of the timeline on the CPU that runs it (itself when there is no timeline). */
  private traced(name: string, fn: () => void): () => void {
    const tl = this.timeline;
    if (!tl) return fn;
    return () => {
      const cpu = this.machine.currentCpu;
      this.settle();
      tl.begin(cpu, name, this.machine.cpu(cpu).now, 'kernel');
      try {
        fn();
      } finally {
        this.settle();
        tl.end(cpu, this.machine.cpu(cpu).now);
      }
    };
  }

  private readonly instanceIds = new WeakMap<object, number>();

  /** A lock's name in the lock table: its class, and which instance (each vmap node has its own, #0, #1, ... in the order first taken). */
  private lockName(lock: string, instance: object | undefined): string {
    if (!instance) return lock;
    let id = this.instanceIds.get(instance);
    if (id === undefined) this.instanceIds.set(instance, (id = this.instanceIds_n++));
    return `${lock}#${id}`;
  }
  private instanceIds_n = 0;

  /** The lock_stats of a lock (its name as lockName gives it), looked up once per lock and instance. */
  private lockOf(lock: string, instance: object | undefined, kind: 'spinlock' | 'mutex'): lock_stats {
    let byName = instance ? this.lockCache.get(instance) : this.plainLocks;
    if (!byName) this.lockCache.set(instance as object, (byName = new Map()));
    let l = byName.get(lock);
    if (!l) byName.set(lock, (l = this.locks.get(this.lockName(lock, instance), kind)));
    return l;
  }
  private readonly lockCache = new WeakMap<object, Map<string, lock_stats>>();
  private readonly plainLocks = new Map<string, lock_stats>();

  /** Lazily freed areas a purge read since the last settle (hooks.purge_area_read; cycles.coldArea each). */
  private coldAreas = 0;

  /**
   * The allocator's touches made on `cpu` so far: the difference across a
   * call is that call's touches (its own walk, and a purge it ran), not
   * those of the CPUs that ran while it waited.
   */
  touchesOn(cpu: number): number {
    // Touches not settled yet go to the CPU running now, or, outside any CPU, to the next that settles them:
    // read from outside a call, they count before it (as the global counter counted them).
    const now = this.machine.currentCpu;
    const pending = now === cpu || now < 0 ? this.allocator.touches - this.touchesCharged : 0;
    return this.touchesByCpu[cpu]! + pending;
  }

  /** Charge the allocator's touches since the last settle to the CPU running now (cycles.areaTouch, or cycles.remoteTouch for the first touches of a hold taken over from another CPU: lock_table.remoteTouches). */
  settle(): void {
    if (this.coldAreas !== 0) {
      const cpu = this.machine.currentCpu;
      if (cpu >= 0) this.machine.cpu(cpu).charge(COST_INDEX.coldArea, this.coldAreas * this.machine.costVector[COST_INDEX.coldArea]!);
      this.coldAreas = 0;
    }
    const t = this.allocator.touches;
    const d = t - this.touchesCharged;
    if (d === 0) return;
    this.touchesCharged = t;
    const cpu = this.machine.currentCpu;
    if (cpu < 0) return;
    this.touchesByCpu[cpu] = this.touchesByCpu[cpu]! + d;
    const r = this.locks.remoteTouches(cpu, d);
    const c = this.machine.cpu(cpu);
    const cost = this.machine.costVector;
    if (r > 0) c.charge(COST_INDEX.remoteTouch, r * cost[COST_INDEX.remoteTouch]!);
    if (d > r) c.charge(COST_INDEX.areaTouch, (d - r) * cost[COST_INDEX.areaTouch]!);
  }

  /**
   * Run tasks in modelled time until all have exited and no work is left
   * (timed mode, kernel/kernel/sched/core.ts): the purge runs in kworkers
   * side by side with the tasks, locks are taken in time order.
   */
  runTasks(specs: readonly TaskSpec[]): void {
    this.settle();
    if (this.pending) this.flush_work();
    this.sched.run(specs);
    this.settle();
    const held = this.locks.held_at_exit();
    if (held.length) throw new DeadlockError(`deadlock: every task has exited, and ${held.join('; ')} is never released`);
  }


  /** CAL IPIs sent so far, all CPUs. */
  ipisSent(): number {
    let n = 0;
    for (const c of this.machine.cpus) n += c.stats[ipiSentCalIndex]!;
    return n;
  }

  private schedule_work(fn: () => void): void {
    if (this.pending) return; // already pending: schedule_work() returns false
    const cpu = this.machine.currentCpu;
    this.pending = { fn, cpu, remaining: this.cpu_online_mask.length === 1 ? 0 : this.kworkerDelay };
  }

  /** Run pending work now, on its kworker's CPU; then deferred percpu work and armed timers (RCU, kvfree_rcu), in modelled time. */
  flush_work(): void {
    this.flush_drain_work();
    this.run_deferred();
    if (!this.sched.active && this.sched.nr_timers > 0) {
      this.sched.run([]);
      this.settle();
      this.flush_drain_work();
    }
  }

  /** Work the percpu and kvfree_rcu code queued outside timed mode, on the CPU that queued it. */
  private run_deferred(): void {
    for (let w = this.deferred.shift(); w; w = this.deferred.shift()) {
      const work = w;
      work.pending = false;
      work.running = true;
      try {
        this.machine.runOn(work.cpu, () => work.func());
      } finally {
        work.running = false;
        work.runs++;
      }
    }
  }

  /** schedule_work(work) on system_wq for kernel code beyond mm/vmalloc.c: a kworker in timed mode, the next scheduling point otherwise. */
  schedule_work_item(work: work_struct): void {
    if (this.sched.active) {
      this.wq.schedule_work(work);
      return;
    }
    if (work.pending) return;
    work.pending = true;
    work.cpu = this.machine.currentCpu < 0 ? 0 : this.machine.currentCpu;
    this.deferred.push(work);
  }

  private flush_drain_work(): void {
    const w = this.pending;
    if (!w) return;
    this.pending = null;
    const n = this.cpu_online_mask.length;
    const cpu = n === 1 ? w.cpu : (w.cpu + 1) % n;
    const saved = this.tasks[cpu]!;
    this.tasks[cpu] = { comm: `kworker/${cpu}:1`, pid: 11 + cpu * 7 };
    this.kworker_runs++;
    try {
      this.machine.runOn(cpu, (c) => {
        c.setContext(`kworker/${cpu}:1 drain_vmap_area_work`);
        w.fn();
      });
    } finally {
      this.tasks[cpu] = saved;
    }
  }

  /** A scheduling point after an API call: a due kworker runs. */
  private schedule(): void {
    if (this.deferred.length) this.run_deferred();
    const w = this.pending;
    if (!w) return;
    if (w.remaining > 0) {
      w.remaining--;
      return;
    }
    this.flush_drain_work();
  }

  /** Whether drain work is queued and has not run. */
  get work_pending(): boolean {
    return this.pending !== null;
  }

  /**
   * An unsigned long the API layer passed, for printing: VMALLOC_END as the
   * exact u64 where the double the API layer holds rounds it (5-level
   * paging: 0xffd1ffffffffffff, held as 0xffd2000000000000; a wasm core
   * gets the exact value the same way, docs/wasm.md), else the value.
   */
  private exactEnd(x: ulong): ulong | bigint {
    return x === this.vmallocRange.end && this.vmallocEndU64 !== BigInt.asUintN(64, BigInt(x)) ? this.vmallocEndU64 : x;
  }

  private emit(event: trace_event_name, fields: () => string): void {
    if (!this.trace.enabled.has(event)) return;
    const cpu = this.machine.currentCpu < 0 ? 0 : this.machine.currentCpu;
    const t = this.tasks[cpu]!;
    const now = this.machine.cpu(cpu).now;
    this.trace.record({ event, comm: t.comm, pid: t.pid, cpu, flags: '.....', cycles: now, fields });
    if (this.timeline) {
      this.timeline.instant(cpu, event.replace('vmalloc:', ''), now, { fields: fields() });
      this.timeline.counter('vmap_lazy_nr', now, { pages: this.allocator.vmap_lazy_nr });
    }
  }

  /** Name the task running on `cpu` (trace lines show it). */
  setTask(cpu: number, comm: string, pid: number): void {
    this.machine.cpu(cpu);
    this.tasks[cpu] = { comm, pid };
  }

  /** Run kernel code on `cpu` as the current task, then reach a scheduling point. */
  call<T>(cpu: number, what: string, fn: (api: vmalloc_api) => T): T {
    const t = this.tasks[cpu]!;
    this.depth++;
    try {
      return this.machine.runOn(cpu, (c) => {
        this.settle();
        c.setContextId(this.contextId(t, what));
        const tl = this.timeline;
        tl?.begin(cpu, what, c.now, 'kernel');
        if (this.cpuDepth[cpu] === 0) c.charge(COST_INDEX.apiCall, this.machine.costVector[COST_INDEX.apiCall]!);
        this.cpuDepth[cpu] = this.cpuDepth[cpu]! + 1;
        try {
          return fn(this.api);
        } finally {
          this.settle();
          this.cpuDepth[cpu] = (this.cpuDepth[cpu] as number) - 1;
          tl?.end(cpu, c.now);
        }
      });
    } finally {
      this.depth--;
      if (this.depth === 0 && !this.sched.active) this.schedule();
    }
  }

  /* ---- percpu and kvfree_rcu (mm/percpu.c, mm/slab_common.c of 7.3) ---- */

  /** Whether this kernel's mm/percpu.c is ported (kernel/mm/percpu/index.ts). */
  get has_percpu(): boolean {
    return PERCPU_TEXTS[this.api.era] !== undefined;
  }

  /** The percpu allocator (kernel/mm/percpu.ts; 6.12's in kernel/mm/percpu/linux-6.12.ts), made on first use; its first chunk is full (boot state). */
  get percpu(): percpu {
    if (this._percpu) return this._percpu;
    const text = PERCPU_TEXTS[this.api.era];
    if (!text) throw new Error(`${this.version}: no mm/percpu.c text is ported for API era ${this.api.era} (kernel/mm/percpu/index.ts)`);
    const m = this.machine;
    const here = () => (m.currentCpu < 0 ? 0 : m.currentCpu);
    this._percpu = new text({
      machine: m,
      alloc_page: () => this.pages.alloc_page(GFP_KERNEL),
      __free_page: (p) => this.pages.__free_page(p),
      __vmalloc: (size, caller) => this.call(here(), '__vmalloc', (a) => (a as unknown as api_pcpu).__vmalloc(size, GFP_KERNEL | __GFP_ZERO, caller)),
      vfree: (addr) => this.call(here(), 'vfree', (a) => a.vfree(addr)),
      pcpu_get_vm_areas: (o, sz, n, al) => this.call(here(), 'pcpu_get_vm_areas', (a) => (a as unknown as api_pcpu).pcpu_get_vm_areas(o, sz, n, al)),
      pcpu_free_vm_areas: (vms, n) => this.call(here(), 'pcpu_free_vm_areas', (a) => (a as unknown as api_pcpu).pcpu_free_vm_areas(vms, n)),
      vmap_pages_range_noflush: (addr, end, pages) => (this.api as unknown as api_pcpu).vmap_pages_range(addr, end, PAGE_KERNEL, pages),
      vunmap_range_noflush: (start, end) => (this.api as unknown as api_pcpu).vunmap_range_noflush(start, end),
      flush_tlb_kernel_range: (start, end) => this.flush_tlb_kernel_range(start, end),
      write64: (addr, value) => m.cpu(here()).write64(addr, value),
      schedule_work: (w) => this.schedule_work_item(w),
      // pcpu_alloc_mutex: waited for in time order; an atomic lock class (ATOMIC_LOCK_CLASSES, docs/concurrency.md).
      mutex_lock: (n) => this.sched.active && this.locks.mutex_lock(n),
      mutex_unlock: (n) => this.sched.active && this.locks.mutex_unlock(n),
      spin_lock: (n) => this.sched.active && this.locks.spin_lock(n),
      spin_unlock: (n) => this.sched.active && this.locks.spin_unlock(n),
    });
    this._percpu.pcpu_async_enabled = true; // percpu_enable_async(), a subsys_initcall: boot is over
    return this._percpu;
  }

  /** kvfree_rcu() batching (kernel/mm/slab_common.ts), made on first use. */
  get kvfree_rcu(): kvfree_rcu {
    if (this._kvfree_rcu) return this._kvfree_rcu;
    const m = this.machine;
    const here = () => (m.currentCpu < 0 ? 0 : m.currentCpu);
    this._kvfree_rcu = new kvfree_rcu({
      machine: m,
      wq: this.wq,
      rcu: this.rcu,
      __get_free_page: () => this.pages.alloc_page(GFP_KERNEL),
      free_page: (p) => this.pages.__free_page(p),
      vfree: (addr) => this.call(here(), 'vfree', (a) => a.vfree(addr)),
      is_vmalloc_addr: (addr) => addr >= this.vmallocRange.start && addr <= this.vmallocRange.end,
      raw_spin_lock: (n) => this.sched.active && this.locks.spin_lock(n),
      raw_spin_unlock: (n) => this.sched.active && this.locks.spin_unlock(n),
    });
    return this._kvfree_rcu;
  }

  /** Whether the percpu allocator has been used (for reports). */
  get percpu_in_use(): boolean {
    return this._percpu !== null;
  }

  /* ---- the API, each call on a named CPU; NULL is 0 ---- */

  vmalloc(cpu: number, size: number, caller?: string): ulong {
    return this.call(cpu, 'vmalloc', (a) => a.vmalloc(size, caller));
  }
  vzalloc(cpu: number, size: number, caller?: string): ulong {
    return this.call(cpu, 'vzalloc', (a) => a.vzalloc(size, caller));
  }
  vfree(cpu: number, addr: ulong): void {
    this.call(cpu, 'vfree', (a) => a.vfree(addr));
  }
  vmap(cpu: number, pages: readonly page[], flags = 0x4 /* VM_MAP */, prot: bigint = PAGE_KERNEL, caller?: string): ulong {
    return this.call(cpu, 'vmap', (a) => a.vmap(pages, pages.length, flags, prot, caller));
  }
  vunmap(cpu: number, addr: ulong): void {
    this.call(cpu, 'vunmap', (a) => a.vunmap(addr));
  }
  ioremap(cpu: number, phys_addr: number, size: number, caller?: string): ulong {
    return this.call(cpu, 'ioremap', (a) => x86_ioremap(this.ctx(a), a, phys_addr, size, caller));
  }
  iounmap(cpu: number, addr: ulong): void {
    this.call(cpu, 'iounmap', (a) => x86_iounmap(this.ctx(a), a, addr));
  }
  vm_map_ram(cpu: number, pages: readonly page[]): ulong {
    return this.call(cpu, 'vm_map_ram', (a) => a.vm_map_ram(pages, pages.length));
  }
  vm_unmap_ram(cpu: number, mem: ulong, count: number): void {
    this.call(cpu, 'vm_unmap_ram', (a) => a.vm_unmap_ram(mem, count));
  }
  vm_unmap_aliases(cpu: number): void {
    this.call(cpu, 'vm_unmap_aliases', (a) => a.vm_unmap_aliases());
  }
  get_vm_area(cpu: number, size: number, flags: number): vm_struct_view | null {
    return this.call(cpu, 'get_vm_area', (a) => a.get_vm_area(size, flags));
  }
  remove_vm_area(cpu: number, addr: ulong): vm_struct_view | null {
    return this.call(cpu, 'remove_vm_area', (a) => a.remove_vm_area(addr));
  }
  find_vm_area(addr: ulong): vm_struct_view | null {
    return this.api.find_vm_area(addr);
  }
  set_iounmap_nonlazy(cpu: number): boolean {
    return this.call(cpu, 'set_iounmap_nonlazy', (a) => a.set_iounmap_nonlazy());
  }

  private ctx(a: vmalloc_api): vmalloc_context {
    return (a as unknown as { k: vmalloc_context }).k;
  }

  /** Pages for vmap/vm_map_ram. */
  alloc_pages(n: number): page[] {
    const out: page[] = [];
    for (let i = 0; i < n; i++) {
      const p = this.pages.alloc_page();
      if (p === null) throw new Error('out of physical memory');
      out.push(p);
    }
    return out;
  }

  /* ---- memory through a CPU's MMU ---- */

  /** Read 8 bytes at addr on `cpu` as its current task (TLB fills are labelled "COMM-PID read"). */
  read64(cpu: number, addr: ulong): number {
    return this.machine.runOn(cpu, (c) => {
      this.label(c.id, 'read');
      return c.read64(addr);
    });
  }
  write64(cpu: number, addr: ulong, value: number): void {
    this.machine.runOn(cpu, (c) => {
      this.label(c.id, 'write');
      c.write64(addr, value);
    });
  }

  private label(cpu: number, what: string): void {
    this.machine.cpu(cpu).setContextId(this.contextId(this.tasks[cpu]!, what));
  }

  /** The interned label "COMM-PID WHAT" (kept per pid and call name: building and hashing it per call was 4 % of a run). */
  private contextId(t: task_struct, what: string): number {
    let byTask = this.contextIds.get(t.pid);
    if (byTask === undefined || byTask.comm !== t.comm) this.contextIds.set(t.pid, (byTask = { comm: t.comm, ids: new Map() }));
    let id = byTask.ids.get(what);
    if (id === undefined) byTask.ids.set(what, (id = this.machine.intern(`${t.comm}-${t.pid} ${what}`)));
    return id;
  }
  private readonly contextIds = new Map<number, { comm: string; ids: Map<string, number> }>();

  /** The leaf PTE mapping addr in init_mm (0n: none). */
  pte(addr: ulong): bigint {
    return lookup_pte(this.init_mm, addr);
  }

  /* ---- /proc ---- */

  proc_vmallocinfo(): string {
    return this.api.vmallocinfo();
  }

  /** The vmalloc lines of /proc/meminfo (show_val_kb: 16-wide label, 8-wide value). */
  proc_meminfo(): string {
    const total = Math.floor((this.vmallocRange.end - this.vmallocRange.start) / 1024); // (VMALLOC_END - VMALLOC_START) >> 10
    const kb = (label: string, v: number) => `${label.padEnd(16)}${String(v).padStart(8)} kB\n`;
    return kb('VmallocTotal:', total) + kb('VmallocUsed:', this.api.vmalloc_used_kb()) + kb('VmallocChunk:', 0);
  }

  proc_interrupts(): string {
    return arch_show_interrupts(this.machine, this.cpu_online_mask);
  }

  /** The nr_tlb_* lines of /proc/vmstat (CONFIG_DEBUG_TLBFLUSH; none before 3.12). */
  proc_vmstat(): string {
    return this.vmstat.format(this.tlb.has_tlb_vm_events);
  }

  /** The tracefs `trace` file. */
  trace_text(): string {
    return this.trace.format(this.cpu_online_mask.length);
  }

  /** One line summing up the state, for messages. */
  describe(): string {
    return `${this.version} on ${this.cpu_online_mask.length} CPUs (flush ${this.tlb.era}, api ${this.api.era}): vmap_lazy_nr=${this.allocator.vmap_lazy_nr} lazy_max_pages=${this.allocator.lazy_max_pages()} purges=${this.purges.length} first=${this.purges[0] ? hex(this.purges[0].start) : '-'}`;
  }
}

const ipiSentCalIndex = CPU_STATS.index.ipiSentCal;



/** The 6.12 and 7.3 API layers' calls the percpu allocator makes. */
interface api_pcpu {
  __vmalloc(size: ulong, gfp_mask: number, caller?: string): ulong;
  pcpu_get_vm_areas(offsets: readonly ulong[], sizes: readonly ulong[], nr_vms: number, align: ulong): vm_struct_view[] | null;
  pcpu_free_vm_areas(vms: readonly vm_struct_view[], nr_vms: number): void;
  vmap_pages_range(addr: ulong, end: ulong, prot: bigint, pages: readonly page[]): number;
  vunmap_range_noflush(start: ulong, end: ulong): void;
}

/** Boot a kernel of `version` on a machine. */
export function bootKernel(opts: BootOptions): Kernel {
  return new Kernel(opts);
}
