// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmalloc-loop: the loop a kernel developer writes as a throwaway test
 * module, on a booted kernel of the machine:
 *
 *   for (i = 0; i < iterations; i++) {
 *       p = <api>(pages);            vmalloc | vmap | vm_map_ram | ioremap
 *       for each page: *(u64 *)(p + page * PAGE_SIZE) = i;
 *       <undo>(p);                   vfree | vunmap | vm_unmap_ram | iounmap
 *       if (unmap_aliases_every && !((i + 1) % unmap_aliases_every))
 *           vm_unmap_aliases();
 *   }
 *
 * Options: `pool` keeps that many areas live, of random sizes 1..`pages`
 * (filled first, then each iteration frees a random one and maps a new
 * one); `busy` vmallocs that many long-lived 1-page areas first (the long
 * busy list of test_vmalloc's long_busy_list_alloc_test); `threads` runs one
 * such loop on every CPU instead of one on CPU 0, interleaved round-robin
 * through hw runInterleaved, one kernel call (or one page's write) per turn,
 * each call running to completion on its CPU.
 *
 * Pages for vmap and vm_map_ram come from alloc_page() before the map and go
 * back with __free_page() after the unmap, as such a module does; ioremap
 * maps a "device BAR": the top 64 MiB of the machine's physical memory,
 * a random page-aligned offset each time (the page allocator does not hand
 * those frames out unless memory runs out). Every page of every area is
 * written through the MMU of the CPU that mapped it, so TLB fills, walks,
 * flush costs and the checker see real accesses.
 *
 * The kernel first gets the long-lived areas of a booted kernel
 * (boot-state.ts: ioremaps, IRQ stacks, vmapped thread stacks and
 * unpurged stacks from boot, or the pre-4.9 shape) unless boot=false.
 */

import { bootKernel, Kernel } from '../../kernel/boot.js';
import type { FlushEraName } from '../../kernel/arch/x86/mm/tlb.js';
import { isKernelBug } from '../../kernel/include/asm-generic/bug.js';
import { lock_class_stats_of } from '../../kernel/kernel/locking/lockdep_proc.js';
import type { ulong } from '../../kernel/include/u64.js';
import type { page } from '../../kernel/mm/page_alloc.js';
import { SplitMix64 } from '../check/prng.js';
import { machineFigures } from '../run/machine-metrics.js';
import type { BugReport, Scenario } from '../run/scenario.js';
import { sample } from '../run/stats.js';
import { bootState, describeBoot, PAGE_SIZE } from './boot-state.js';

export const LOOP_APIS = ['vmalloc', 'vmap', 'vm_map_ram', 'ioremap'] as const;
export type LoopApi = (typeof LOOP_APIS)[number];

const BAR_BYTES = 64 * 1024 * 1024;

interface Area {
  readonly addr: ulong;
  readonly n: number;
  readonly pages: page[] | null;
}

/** Kernel calls and allocation touches of a loop run, shared by the loops. */
export interface LoopCounts {
  calls: number;
  allocations: number;
  failed: number;
  readonly touches: number[];
}

/** Map and unmap `n` pages with one API on one CPU, counted. */
export class Mapper {
  constructor(
    readonly k: Kernel,
    readonly api: LoopApi,
    readonly counts: LoopCounts,
    readonly rnd: SplitMix64,
  ) {}

  map(cpu: number, n: number): Area | null {
    const k = this.k;
    const t0 = k.touchesOn(cpu);
    let pages: page[] | null = null;
    let addr: ulong;
    this.counts.calls++;
    this.counts.allocations++;
    switch (this.api) {
      case 'vmalloc':
        addr = k.vmalloc(cpu, n * PAGE_SIZE, 'vmalloc_loop');
        break;
      case 'vmap':
        pages = k.alloc_pages(n);
        addr = k.vmap(cpu, pages, 0x4, undefined, 'vmalloc_loop');
        break;
      case 'vm_map_ram':
        pages = k.alloc_pages(n);
        addr = k.vm_map_ram(cpu, pages);
        break;
      case 'ioremap': {
        const bar = k.machine.config.physMemBytes - BAR_BYTES;
        const slots = BAR_BYTES / PAGE_SIZE - n + 1;
        addr = k.ioremap(cpu, bar + this.rnd.rnd(slots) * PAGE_SIZE, n * PAGE_SIZE, 'vmalloc_loop');
        break;
      }
    }
    this.counts.touches.push(k.touchesOn(cpu) - t0);
    if (addr === 0) {
      this.counts.failed++;
      if (pages) for (const p of pages) k.pages.__free_page(p);
      return null;
    }
    return { addr, n, pages };
  }

  unmap(cpu: number, a: Area): void {
    const k = this.k;
    this.counts.calls++;
    switch (this.api) {
      case 'vmalloc':
        k.vfree(cpu, a.addr);
        break;
      case 'vmap':
        k.vunmap(cpu, a.addr);
        break;
      case 'vm_map_ram':
        k.vm_unmap_ram(cpu, a.addr, a.n);
        break;
      case 'ioremap':
        k.iounmap(cpu, a.addr);
        break;
    }
    if (a.pages) for (const p of a.pages) k.pages.__free_page(p);
  }
}

interface LoopOpts {
  readonly pages: number;
  readonly iterations: number;
  readonly pool: number;
  readonly unmapAliasesEvery: number;
}

/**
 * One loop as a task; yields after every kernel call and every page write.
 * `at()` is the CPU the task runs on now (it can migrate); `busy` is the
 * long busy list, freed at the end of the loop as the module does.
 */
function* loop(m: Mapper, at: () => number, o: LoopOpts, rnd: SplitMix64, busy: ulong[]): Generator<void, void> {
  const k = m.k;
  const live: Area[] = [];
  const touch = function* (a: Area, i: number): Generator<void, void> {
    for (let p = 0; p < a.n; p++) {
      k.write64(at(), a.addr + p * PAGE_SIZE, i);
      yield;
    }
  };
  if (o.pool > 0) {
    while (live.length < o.pool) {
      const a = m.map(at(), rnd.rnd(o.pages) + 1);
      yield;
      if (!a) break;
      live.push(a);
      yield* touch(a, live.length);
    }
  }
  for (let i = 0; i < o.iterations; i++) {
    if (o.pool > 0 && live.length > 0) {
      const [old] = live.splice(rnd.rnd(live.length), 1);
      m.unmap(at(), old as Area);
      yield;
      const a = m.map(at(), rnd.rnd(o.pages) + 1);
      yield;
      if (a) {
        live.push(a);
        yield* touch(a, i);
      }
    } else {
      const a = m.map(at(), o.pages);
      yield;
      if (a) {
        yield* touch(a, i);
        m.unmap(at(), a);
        yield;
      }
    }
    if (o.unmapAliasesEvery > 0 && (i + 1) % o.unmapAliasesEvery === 0) {
      m.counts.calls++;
      k.vm_unmap_aliases(at());
      yield;
    }
  }
  for (const a of live) {
    m.unmap(at(), a);
    yield;
  }
  for (const addr of busy) {
    m.counts.calls++;
    k.vfree(at(), addr);
    yield;
  }
}

export const vmallocLoop: Scenario = {
  name: 'vmalloc-loop',
  description: 'the generic test-module loop: map N pages with vmalloc/vmap/vm_map_ram/ioremap, write every page, unmap; optional pool of live areas, busy list, vm_unmap_aliases() cadence, one loop per CPU; on a booted kernel',
  params: [
    { name: 'api', kind: 'enum', default: 'vmalloc', values: LOOP_APIS, description: 'what maps the pages' },
    { name: 'pages', kind: 'int', default: 4, min: 1, max: 4096, description: 'pages per area (with pool: the largest of the random sizes 1..pages)' },
    { name: 'iterations', kind: 'int', default: 10000, min: 0, description: 'loop count (per loop)' },
    { name: 'pool', kind: 'int', default: 0, min: 0, max: 100000, description: 'live areas kept; each iteration frees a random one and maps a new one (0: map and unmap each iteration)' },
    { name: 'busy', kind: 'int', default: 0, min: 0, max: 200000, description: 'long-lived 1-page vmalloc areas allocated before the loop' },
    { name: 'unmap_aliases_every', kind: 'int', default: 0, min: 0, description: 'call vm_unmap_aliases() every k iterations (0: never)' },
    { name: 'threads', kind: 'bool', default: false, description: 'one loop on every CPU instead of one on CPU 0' },
    { name: 'boot', kind: 'bool', default: true, description: 'boot with the long-lived areas of a real kernel (boot-state.ts)' },
    { name: 'checker', kind: 'bool', default: true, description: 'TLB-coherence checker on every TLB hit' },
    {
      name: 'paging',
      kind: 'int',
      default: 4,
      min: 4,
      max: 5,
      description: 'paging levels of the machine; 5 (LA57) boots a wasm core (<version>@wasm) with the 5-level vmalloc range 0xffa0000000000000..0xffd1ffffffffffff (the TypeScript ports keep the 4-level range)',
    },
  ],
  versions: ['linux-2.6.35', 'mmotm-2010-vmap-cache-v1', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.1+fc1e0d980037', 'linux-6.12'],
  defaults: { kernels: ['linux-2.6.35', 'linux-3.18', 'linux-6.1', 'linux-6.12'], cpus: [1, 4] },
  run(ctx) {
    const api = ctx.params.api as LoopApi;
    const o: LoopOpts = {
      pages: ctx.params.pages as number,
      iterations: ctx.params.iterations as number,
      pool: ctx.params.pool as number,
      unmapAliasesEvery: ctx.params.unmap_aliases_every as number,
    };
    const k = bootKernel({ version: ctx.kernel, cpus: ctx.cpus, trace: !!ctx.trace || !!ctx.timeline, atomicLocks: ctx.atomicLocks, timeline: ctx.timeline, flushEra: ctx.flushEra as FlushEraName | undefined, machine: { cpus: ctx.cpus, seed: ctx.seed, costs: ctx.costs, checker: ctx.params.checker as boolean, pagingLevels: ctx.params.paging as 4 | 5 } });
    const notes: string[] = [];
    if (ctx.params.paging === 5) notes.push(`${k.machine.config.pagingLevels}-level paging; vmalloc range 0x${BigInt.asUintN(64, BigInt(k.vmallocRange.start)).toString(16)}..0x${k.vmallocEndU64.toString(16)}`);
    const counts: LoopCounts = { calls: 0, allocations: 0, failed: 0, touches: [] };
    if (ctx.params.boot) {
      const b = bootState(k, ctx.seed);
      counts.calls += b.calls;
      k.flush_work();
      notes.push(describeBoot(b));
    }
    const busy = ctx.params.busy as number;
    const busyList: ulong[] = [];
    for (let i = 0; i < busy; i++) {
      counts.calls++;
      const addr = k.vmalloc(0, PAGE_SIZE, 'busy_list');
      if (addr === 0) throw new Error(`vmalloc-loop: busy area ${i} failed on ${ctx.kernel}`);
      busyList.push(addr);
    }
    const purges0 = k.purges.length;
    const ipis0 = k.ipisSent();
    const tlb0 = { full: sum(k.tlbstats.do_flush_tlb_all), ranged: k.tlbstats.kernel_range_ranged, all: k.tlbstats.kernel_range_requests };
    const touches0 = counts.touches.length;
    const threads = ctx.params.threads as boolean;
    const cpus = threads ? [...k.cpu_online_mask] : [0];
    const t0 = Math.max(...k.machine.cpus.map((c) => c.now));
    const tasks = cpus.map((cpu, i) => {
      const rnd = new SplitMix64((ctx.seed * 8191 + cpu * 131 + 17) % 9007199254740991);
      // A kthread bound to its CPU (threads), or the insmod task, which the scheduler may move:
      // each step runs on the task's CPU of the moment.
      const comm = threads ? `vmalloc_loop/${cpu}` : 'insmod';
      const steps = loop(new Mapper(k, api, counts, rnd), () => k.machine.currentCpu, o, rnd, i === 0 ? busyList : []);
      return { comm, pid: 900 + cpu, cpu, bound: threads, steps };
    });
    let bug: BugReport | undefined;
    try {
      k.runTasks(tasks);
      k.flush_work();
    } catch (e) {
      if (!isKernelBug(e)) throw e;
      bug = { version: e.version, func: e.func, line: e.line, cond: e.cond, op: counts.calls, oops: `${e.oops(k.allocator.golden_state())}\nwhile: vmalloc-loop api=${api}` };
    }
    const purges = k.purges.slice(purges0);
    const elapsed = Math.max(...k.machine.cpus.map((c) => c.now)) - t0;
    const ipis = k.ipisSent() - ipis0;
    const lmp = k.allocator.lazy_max_pages();
    const frees = o.iterations * cpus.length;
    notes.push(
      `lazy_max_pages() = ${lmp}; ${purges.length} lazy purge${purges.length === 1 ? '' : 's'} during the loop${purges.length ? ` (one per ${(frees / purges.length).toFixed(1)} iterations, ${mean(purges.map((p) => p.nr_areas)).toFixed(1)} areas each, ${(ipis / purges.length).toFixed(1)} IPIs each)` : ''}`,
      `flushes during the loop: ${sum(k.tlbstats.do_flush_tlb_all) - tlb0.full} do_flush_tlb_all (all CPUs), ${k.tlbstats.kernel_range_ranged - tlb0.ranged} ranged of ${k.tlbstats.kernel_range_requests - tlb0.all} flush_tlb_kernel_range calls; ${ipis} IPIs sent`,
    );
    notes.push(
      `modelled time of the loop: ${elapsed.toFixed(0)} cycles (${(elapsed / 3e9).toFixed(4)} s at 3 GHz); ${k.sched.stats.migrations} task migrations, ${k.sched.stats.preemptions} kworker preemptions`,
    );
    const waits = lockClasses(k);
    if (waits.length) notes.push(`lock waits: ${waits.map((l) => `${l.name} ${l.contended} contended, ${l.wait.toFixed(0)} cycles`).join('; ')}`);
    if (api === 'vm_map_ram') notes.push(`${k.api.nr_vmap_blocks()} vmap blocks live at the end (${k.api.VMAP_BBMAP_BITS} pages each)`);
    const loopTouches = counts.touches.slice(touches0);
    const m = machineFigures(k, { operations: counts.calls, allocations: counts.allocations, failedAllocations: counts.failed, touches: counts.touches, bugs: bug ? 1 : 0 });
    if (ctx.trace) for (const line of k.trace_text().split('\n')) if (line) ctx.trace(line);
    const cut = k.timeline?.truncated();
    if (cut) notes.push(cut);
    return { figures: m.figures, counters: m.counters, flushCost: m.flushCost, lockStat: m.lockStat, touchSeries: sample(loopTouches), bug, notes, ...(k.timeline ? { timeline: k.timeline.toJson() } : {}), reports: k.machine.checker.reports.slice(0, 3).map((r) => JSON.stringify(r)) };
  },
};

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

function mean(xs: readonly number[]): number {
  return xs.length ? sum(xs) / xs.length : 0;
}

/** Waits per lock class (each vmap node's lock of one kind summed), the contended ones. */
export function lockClasses(k: Kernel): { name: string; contended: number; wait: number }[] {
  return lock_class_stats_of(k.locks.all())
    .filter((c) => c.contentions > 0)
    .map((c) => ({ name: c.name, contended: c.contentions, wait: c.waittimeTotal }));
}
