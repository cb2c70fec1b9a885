// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/test_vmalloc.c (Uladzislau Rezki, merged in v5.1) on a booted kernel
 * of the machine: its module parameters, its test cases and its worker
 * kthreads, as three texts of the module:
 *
 *  - "v5.1": the RFC v3 submission as merged (8 cases; single_cpu_test; one
 *    worker bound to each online CPU unless single_cpu_test; fix_size 3
 *    pages; "All test took CPU%d=%lu cycles"). Run on every kernel before
 *    6.1 (2.6.35 .. 5.2): for the kernels older than the module, as if it
 *    had been backported (it only calls vmalloc, vfree,
 *    __vmalloc_node_range and __alloc_percpu);
 *  - "v6.1": nr_threads (clamped to 1..USHRT_MAX, so 0 gives one worker;
 *    workers are not bound), nr_pages, the two kvfree_rcu cases, "All test
 *    took worker%d=%lu cycles";
 *  - "v6.12": vm_map_ram_test (id 1024) added; use_huge is not offered
 *    (huge mappings are not modelled).
 *  - "v7.3": no_block_alloc_test (id 2048: __vmalloc with GFP_ATOMIC or
 *    GFP_NOWAIT, one page or nr_pages, with preemption off) and
 *    vrealloc_test (id 4096: NULL -> 1 page -> 4 pages -> 1 page -> half a
 *    page -> 1 page); test cases may be expected to fail (xfail:
 *    align_shift_alloc_test and no_block_alloc_test), a failure of those
 *    counts as xfailed, and the Summary line gains "xfailed: N";
 *    nr_pcpu_objects for pcpu_alloc_test; run_test_mask defaults to 7 in
 *    the module (the scenario keeps its own default).
 *
 * pcpu_alloc_test and the two kvfree_rcu cases run on the kernel's own
 * mm/percpu.c (kernel/mm/percpu.ts) and kvfree_rcu batching
 * (kernel/mm/slab_common.ts, RCU grace periods in kernel/kernel/rcu/tree.ts),
 * which are ports of 7.3's text, and on 6.12's percpu.c
 * (kernel/mm/percpu/linux-6.12.ts; its kvfree_rcu batching is 7.3's text
 * for vmalloc'd objects): they are modelled on linux-6.12 and linux-7.3.
 * On the older kernels the Summary line says "not
 * modelled" and why (their percpu.c and kvfree_rcu texts differ and are
 * not ported).
 * Texts read (paraphrased): the v5.1 submission (docs/sources.md#text-
 * test-vmalloc-v5.1), lib/test_vmalloc.c of Debian's 6.1, 6.12 and 7.3
 * (docs/sources.md#text-linux-6.1, #text-linux-6.12, #text-linux-7.3).
 *
 * Workers: each test case is a generator that yields after every kernel call
 * (vmalloc, vfree, a write through the MMU, ...); the workers run through
 * hw runInterleaved in round-robin order, one kernel call per turn, each call
 * running to completion on the worker's CPU (its flush IPIs are handled by
 * the targets before it returns). v5.1 binds worker i to the i-th CPU of
 * its mask; the later module leaves placement to the scheduler, modelled as
 * worker i on CPU i mod online CPUs.
 *
 * Time: a worker's cycles are the modelled cycles its kernel calls took on
 * its CPU: the whole path (the search at areaTouch cycles per area, the
 * call, page allocation and zeroing, PTE writes and clears, TLB fills and
 * walks, flushes, IPIs) and, when the workers run as tasks in modelled time,
 * the lock waits (docs/concurrency.md); "avg: N usec" is those cycles at
 * the kernel's clock (3 GHz) divided by test_repeat_count, and "All test
 * took ...=N cycles" is their sum over the run (get_cycles() at the same
 * clock). They compare versions and CPU counts, not a real machine's time.
 *
 * Random numbers (get_random_bytes, prandom_u32_max, get_random_u8, ...)
 * come from a splitmix64 per worker seeded from the run's seed, used with
 * each text's own arithmetic (v5.1 takes `rnd % 23` and `rnd % 10` of one
 * unsigned long; 6.1 of one u8).
 */

import type { Kernel } from '../boot.js';
import { PAGE_SIZE, THREAD_ALIGN } from '../include/asm/page.js';
import { fromBigInt, type ulong } from '../include/u64.js';
import { releaseNumber } from '../manifest/release.js';
import type { page } from '../mm/page_alloc.js';
import { GFP_KERNEL } from '../mm/page_alloc.js';
import { vmallocNodeRange } from '../mm/vmalloc/api/node-range.js';
import { GFP_ATOMIC, GFP_NOWAIT } from '../mm/vmalloc/linux-7.3.js';
import { SplitMix64 } from './random.js';

/** The calls of the 7.3 API layer the v7.3 cases make. */
interface api_7_3 {
  __vmalloc(size: ulong, gfp_mask: number, caller?: string): ulong;
  vrealloc(p: ulong, size: ulong, flags?: number, caller?: string): ulong;
}

export type ModuleText = 'v5.1' | 'v6.1' | 'v6.12' | 'v7.3';

/** The module text a kernel runs. */
export function moduleText(version: string): ModuleText {
  const r = releaseNumber(version);
  if (r >= 7.03) return 'v7.3';
  if (r >= 6.12) return 'v6.12';
  if (r >= 6.01) return 'v6.1';
  return 'v5.1';
}

/** The module's parameters (every text's; each uses its own). */
export interface ModuleParams {
  readonly run_test_mask: number;
  readonly test_repeat_count: number;
  readonly test_loop_count: number;
  readonly sequential_test_order: boolean;
  readonly single_cpu_test: boolean;
  readonly nr_threads: number;
  readonly nr_pages: number;
  /** v7.3: objects of pcpu_alloc_test (35000 in the older texts, fixed). */
  readonly nr_pcpu_objects: number;
}

/** A case's verdict: 0 passed, -1 failed (the C return values), or not modelled. */
export const NOT_MODELLED = 'not modelled';
type Verdict = number | typeof NOT_MODELLED;

/** What a test case can do: kernel calls on its worker's CPU, each one step. */
export interface Worker {
  readonly id: number;
  readonly cpu: number;
  readonly k: Kernel;
  readonly rnd: SplitMix64;
  readonly p: ModuleParams;
  readonly text: ModuleText;
  /** Name of the case running (for a BUG report). */
  current: string;
  /** Modelled cycles of this worker's calls. */
  cycles: number;
  vmalloc(size: number): ulong;
  vmallocRange(size: number, align: ulong): ulong;
  vfree(addr: ulong): void;
  write(addr: ulong, value: number): void;
  vm_map_ram(pages: readonly page[]): ulong;
  vm_unmap_ram(addr: ulong, count: number): void;
  /** __vmalloc(size, gfp_mask) (v7.3 text). */
  vmallocGfp(size: number, gfp_mask: number): ulong;
  /** vrealloc(p, size, GFP_KERNEL) (v7.3 text). */
  vrealloc(p: ulong, size: number): ulong;
  /** __alloc_percpu(size, align) (mm/percpu.c). */
  alloc_percpu(size: number, align: number): ulong;
  free_percpu(ptr: ulong): void;
  /** kvfree_rcu_mightsleep(ptr) (head false) or kvfree_rcu(ptr, rcu) (head true). */
  kvfree_rcu(ptr: ulong, head: boolean): void;
}

type Case = (w: Worker) => Generator<void, Verdict>;

/** A u32 draw (get_random_bytes into an int, prandom_u32). */
function u32(w: Worker): number {
  return w.rnd.nextHalves()[1];
}

/** An unsigned long draw reduced mod n (v5.1 `rnd % n` of get_random_bytes(&rnd, 8)). */
function ulongMod(h: number, l: number, n: number): number {
  return ((h % n) * (4294967296 % n) + (l % n)) % n;
}

/** prandom_u32_max(n) (6.1): (u32 * n) >> 32. */
function u32Max(w: Worker, n: number): number {
  return Math.floor((u32(w) * n) / 4294967296);
}

function* fix_size_alloc_test(w: Worker): Generator<void, Verdict> {
  const pages = w.text === 'v5.1' ? 3 : w.p.nr_pages > 0 ? w.p.nr_pages : 1;
  for (let i = 0; i < w.p.test_loop_count; i++) {
    const ptr = w.vmalloc(pages * PAGE_SIZE);
    yield;
    if (!ptr) return -1;
    w.write(ptr, 0);
    yield;
    w.vfree(ptr);
    yield;
  }
  return 0;
}

function* full_fit_alloc_test(w: Worker): Generator<void, Verdict> {
  const junk_length = junkLength(w.k.cpu_online_mask.length);
  const ptr = w.vmalloc(8 * junk_length);
  yield;
  if (!ptr) return -1;
  const junk_ptr = w.vmalloc(8 * junk_length);
  yield;
  if (!junk_ptr) {
    w.vfree(ptr);
    yield;
    return -1;
  }
  const a: ulong[] = new Array(junk_length);
  const j: ulong[] = new Array(junk_length);
  for (let i = 0; i < junk_length; i++) {
    a[i] = w.vmalloc(PAGE_SIZE);
    yield;
    w.write(ptr + 8 * i, a[i]!);
    yield;
    j[i] = w.vmalloc(PAGE_SIZE);
    yield;
    w.write(junk_ptr + 8 * i, j[i]!);
    yield;
  }
  for (let i = 0; i < junk_length; i++) {
    w.vfree(j[i]!);
    yield;
  }
  let rv: Verdict = 0;
  for (let i = 0; i < w.p.test_loop_count; i++) {
    const tmp = w.vmalloc(PAGE_SIZE);
    yield;
    if (!tmp) {
      rv = -1;
      break;
    }
    w.write(tmp, 1);
    yield;
    w.vfree(tmp);
    yield;
  }
  for (let i = 0; i < junk_length; i++) {
    w.vfree(a[i]!);
    yield;
  }
  w.vfree(ptr);
  yield;
  w.vfree(junk_ptr);
  yield;
  return rv;
}

/** full_fit_alloc_test's junk_length: fls(num_online_cpus()) * (32 MiB / PAGE_SIZE). */
export function junkLength(ncpu: number): number {
  return (32 - Math.clz32(ncpu)) * ((32 * 1024 * 1024) / PAGE_SIZE);
}

function* long_busy_list_alloc_test(w: Worker): Generator<void, Verdict> {
  const ptr = w.vmalloc(8 * 15000);
  yield;
  if (!ptr) return -1;
  const busy: ulong[] = new Array(15000);
  for (let i = 0; i < 15000; i++) {
    busy[i] = w.vmalloc(PAGE_SIZE);
    yield;
    w.write(ptr + 8 * i, busy[i]!);
    yield;
  }
  let rv: Verdict = 0;
  for (let i = 0; i < w.p.test_loop_count; i++) {
    const p1 = w.vmalloc(100 * PAGE_SIZE);
    yield;
    if (!p1) {
      rv = -1;
      break;
    }
    const p2 = w.vmalloc(PAGE_SIZE);
    yield;
    if (!p2) {
      w.vfree(p1);
      yield;
      rv = -1;
      break;
    }
    w.write(p1, 0);
    yield;
    w.write(p2, 1);
    yield;
    w.vfree(p1);
    yield;
    w.vfree(p2);
    yield;
  }
  for (let i = 0; i < 15000; i++) {
    w.vfree(busy[i]!);
    yield;
  }
  w.vfree(ptr);
  yield;
  return rv;
}

function* random_size_alloc_test(w: Worker): Generator<void, Verdict> {
  for (let i = 0; i < w.p.test_loop_count; i++) {
    const n = w.text === 'v5.1' ? (u32(w) % 100) + 1 : u32Max(w, 100) + 1;
    const p = w.vmalloc(n * PAGE_SIZE);
    yield;
    if (!p) return -1;
    w.write(p, 1);
    yield;
    w.vfree(p);
    yield;
  }
  return 0;
}

function* fix_align_alloc_test(w: Worker): Generator<void, Verdict> {
  for (let i = 0; i < w.p.test_loop_count; i++) {
    const ptr = w.vmallocRange(5 * PAGE_SIZE, THREAD_ALIGN * 2);
    yield;
    if (!ptr) return -1;
    w.vfree(ptr);
    yield;
  }
  return 0;
}

function* random_size_align_alloc_test(w: Worker): Generator<void, Verdict> {
  for (let i = 0; i < w.p.test_loop_count; i++) {
    let a: number;
    let s: number;
    if (w.text === 'v5.1') {
      const [h, l] = w.rnd.nextHalves(); // get_random_bytes(&rnd, sizeof(unsigned long))
      a = ulongMod(h, l, 23);
      s = ulongMod(h, l, 10);
    } else {
      const rnd = w.rnd.nextHalves()[1] & 0xff; // get_random_u8()
      a = rnd % 23;
      s = rnd % 10;
    }
    const ptr = w.vmallocRange((s + 1) * PAGE_SIZE, 2 ** a);
    yield;
    if (!ptr) return -1;
    w.vfree(ptr);
    yield;
  }
  return 0;
}

function* align_shift_alloc_test(w: Worker): Generator<void, Verdict> {
  for (let i = 0; i < 64; i++) {
    const ptr = w.vmallocRange(PAGE_SIZE, fromBigInt(1n << BigInt(i)));
    yield;
    if (!ptr) return -1;
    w.vfree(ptr);
    yield;
  }
  return 0;
}

// eslint-disable-next-line require-yield
function* notModelled(): Generator<void, Verdict> {
  return NOT_MODELLED;
}

/** get_random_u32_inclusive(lo, hi): lo + get_random_u32_below(hi - lo + 1), the multiply-shift draw. */
function u32Inclusive(w: Worker, lo: number, hi: number): number {
  return lo + u32Max(w, hi - lo + 1);
}

/*
 * pcpu_alloc_test (v7.3): nr_pcpu_objects __alloc_percpu() of 1 ..
 * PAGE_SIZE / 4 bytes aligned to 2 .. 2^(PAGE_SHIFT - 1), their pointers
 * kept in a vmalloc'd array, then all freed and the array vfree'd. A
 * failed allocation makes the case fail but the loop goes on.
 */
function* pcpu_alloc_test(w: Worker): Generator<void, Verdict> {
  let rv: Verdict = 0;
  const nr = w.text === 'v7.3' ? w.p.nr_pcpu_objects : 35000;

  const pcpu = w.vmalloc(8 * nr);
  yield;
  if (!pcpu) return -1;

  const ptrs: ulong[] = new Array(nr);
  for (let i = 0; i < nr; i++) {
    const size = u32Inclusive(w, 1, PAGE_SIZE / 4);
    const align = 1 << u32Inclusive(w, 1, 11); // PAGE_SHIFT - 1

    ptrs[i] = w.alloc_percpu(size, align);
    yield;
    w.write(pcpu + 8 * i, ptrs[i]!); // pcpu[i] = ...
    yield;
    if (!ptrs[i]) rv = -1;
  }

  for (let i = 0; i < nr; i++) {
    w.free_percpu(ptrs[i]!);
    yield;
  }

  w.vfree(pcpu);
  yield;
  return rv;
}

/*
 * kvfree_rcu_1_arg_vmalloc_test / kvfree_rcu_2_arg_vmalloc_test (v6.1 on):
 * test_loop_count one-page vmalloc()s, each written ('a') and handed to
 * kvfree_rcu_mightsleep(p) or kvfree_rcu(p, rcu): freed after a grace
 * period by the kvfree_rcu batching, from a kworker.
 */
function* kvfree_rcu_1_arg_vmalloc_test(w: Worker): Generator<void, Verdict> {
  for (let i = 0; i < w.p.test_loop_count; i++) {
    const p = w.vmalloc(PAGE_SIZE);
    yield;
    if (!p) return -1;
    w.write(p + 16, 0x61); // p->array[0] = 'a', after the rcu_head
    yield;
    w.kvfree_rcu(p, false);
    yield;
  }
  return 0;
}

function* kvfree_rcu_2_arg_vmalloc_test(w: Worker): Generator<void, Verdict> {
  for (let i = 0; i < w.p.test_loop_count; i++) {
    const p = w.vmalloc(PAGE_SIZE);
    yield;
    if (!p) return -1;
    w.write(p + 16, 0x61);
    yield;
    w.kvfree_rcu(p, true);
    yield;
  }
  return 0;
}

function* vm_map_ram_test(w: Worker): Generator<void, Verdict> {
  const map_nr_pages = w.p.nr_pages > 0 ? w.p.nr_pages : 1;
  const pages = w.k.alloc_pages(map_nr_pages); // alloc_pages_bulk_array
  for (let i = 0; i < w.p.test_loop_count; i++) {
    const v = w.vm_map_ram(pages);
    yield;
    w.write(v, 0x61); // *v_ptr = 'a' (no NULL check in the module)
    yield;
    w.vm_unmap_ram(v, map_nr_pages);
    yield;
  }
  for (const pg of pages) w.k.pages.__free_page(pg);
  return 0;
}

/*
 * no_block_alloc_test (v7.3): test_loop_count non-blocking __vmalloc()s,
 * each GFP_ATOMIC or GFP_NOWAIT by a random byte's parity, with preemption
 * off (nothing to model: the call does not sleep), written and freed.
 */
function* no_block_alloc_test(w: Worker): Generator<void, Verdict> {
  for (let i = 0; i < w.p.test_loop_count; i++) {
    const use_atomic = (w.rnd.nextHalves()[1] & 0xff) % 2 !== 0; // get_random_u8() % 2
    const gfp = use_atomic ? GFP_ATOMIC : GFP_NOWAIT;
    const size = (w.p.nr_pages > 0 ? w.p.nr_pages : 1) * PAGE_SIZE;

    // preempt_disable()
    const ptr = w.vmallocGfp(size, gfp);
    // preempt_enable()
    yield;

    if (!ptr) return -1;

    w.write(ptr, 0);
    yield;
    w.vfree(ptr);
    yield;
  }
  return 0;
}

/*
 * vrealloc_test (v7.3): from NULL to one page, grown to four pages (a new
 * area), shrunk to one page (across a page boundary: the tail's pages
 * freed), to half a page (the same page), and grown back to one page (in
 * place); the first byte must survive each step.
 */
function* vrealloc_test(w: Worker): Generator<void, Verdict> {
  for (let i = 0; i < w.p.test_loop_count; i++) {
    let err = -1;

    let ptr = w.vrealloc(0, PAGE_SIZE);
    yield;
    if (!ptr) return -1;

    w.write(ptr, 0x61); // 'a'
    yield;

    // No data is modelled beyond the write: the byte checks always pass.
    steps: {
      for (const size of [4 * PAGE_SIZE, PAGE_SIZE, PAGE_SIZE / 2, PAGE_SIZE]) {
        const tmp = w.vrealloc(ptr, size);
        yield;
        if (!tmp) break steps;
        ptr = tmp;
      }
      err = 0;
    }
    w.vfree(ptr);
    yield;
    if (err) return err;
  }
  return 0;
}

export interface CaseDesc {
  readonly name: string;
  readonly fn: Case;
  /** A failure is expected and counted as xfailed (v7.3). */
  readonly xfail?: boolean;
  /** Why it is not run, when it is not modelled. */
  readonly missing?: string;
}

const V51: readonly CaseDesc[] = [
  { name: 'fix_size_alloc_test', fn: fix_size_alloc_test },
  { name: 'full_fit_alloc_test', fn: full_fit_alloc_test },
  { name: 'long_busy_list_alloc_test', fn: long_busy_list_alloc_test },
  { name: 'random_size_alloc_test', fn: random_size_alloc_test },
  { name: 'fix_align_alloc_test', fn: fix_align_alloc_test },
  { name: 'random_size_align_alloc_test', fn: random_size_align_alloc_test },
  { name: 'align_shift_alloc_test', fn: align_shift_alloc_test },
  { name: 'pcpu_alloc_test', fn: notModelled, missing: "__alloc_percpu: mm/percpu.c is ported from 6.12 and 7.3 only (kernel/mm/percpu/index.ts); this kernel's percpu.c is not" },
];
const V61: readonly CaseDesc[] = [
  ...V51,
  { name: 'kvfree_rcu_1_arg_vmalloc_test', fn: notModelled, missing: "kvfree_rcu(): the batching is ported from 7.3's mm/slab_common.c only (kernel/mm/slab_common.ts); this kernel's kernel/rcu/tree.c text is not" },
  { name: 'kvfree_rcu_2_arg_vmalloc_test', fn: notModelled, missing: "kvfree_rcu(): the batching is ported from 7.3's mm/slab_common.c only (kernel/mm/slab_common.ts); this kernel's kernel/rcu/tree.c text is not" },
];
/** The cases that run on the ported percpu.c (6.12, 7.3) and kvfree_rcu batching (7.3's text, 6.12's the same). */
const PORTED: Readonly<Partial<Record<string, Case>>> = {
  pcpu_alloc_test,
  kvfree_rcu_1_arg_vmalloc_test,
  kvfree_rcu_2_arg_vmalloc_test,
};
const ported = (c: CaseDesc): CaseDesc => {
  const fn = PORTED[c.name];
  return fn ? { name: c.name, fn } : c;
};
const V612: readonly CaseDesc[] = [...V61.map(ported), { name: 'vm_map_ram_test', fn: vm_map_ram_test }];
const V73: readonly CaseDesc[] = [
  ...V612.map((c) => (c.name === 'align_shift_alloc_test' ? { ...c, xfail: true } : c)),
  { name: 'no_block_alloc_test', fn: no_block_alloc_test, xfail: true },
  { name: 'vrealloc_test', fn: vrealloc_test },
];

/** test_case_array[] of a module text. */
export function testCases(text: ModuleText): readonly CaseDesc[] {
  return text === 'v5.1' ? V51 : text === 'v6.1' ? V61 : text === 'v6.12' ? V612 : V73;
}

/** The parameters a module text has (module_param names). */
export function moduleParamNames(text: ModuleText): readonly string[] {
  const common = ['sequential_test_order', 'test_repeat_count', 'test_loop_count', 'run_test_mask'];
  return text === 'v5.1' ? ['single_cpu_test', ...common] : text === 'v7.3' ? ['nr_threads', ...common, 'nr_pages', 'nr_pcpu_objects'] : ['nr_threads', ...common, 'nr_pages'];
}

/** Per-worker, per-case results (struct test_case_data). */
export interface CaseData {
  test_passed: number;
  test_failed: number;
  /** v7.3: failures of a case marked xfail */
  test_xfailed?: number;
  not_modelled: number;
  /** usec, averaged over the repeats. */
  time: number;
}

export interface WorkerResult {
  readonly id: number;
  readonly cpu: number;
  readonly data: CaseData[];
  /** t->stop - t->start, modelled cycles. */
  cycles: number;
  done: boolean;
}

/** shuffle_array(): j in [0, i) (never i itself), as both texts do. */
export function shuffleArray(arr: number[], w: Worker): void {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = w.text === 'v5.1' ? u32(w) % i : u32Max(w, i);
    const x = arr[i]!;
    arr[i] = arr[j]!;
    arr[j] = x;
  }
}

/** test_func(): one worker's whole run. */
export function* testFunc(w: Worker, out: WorkerResult, clockHz: number): Generator<void, void> {
  const cases = testCases(w.text);
  const order = cases.map((_, i) => i);
  if (!w.p.sequential_test_order) shuffleArray(order, w);
  const start = w.cycles;
  for (const index of order) {
    if (!((w.p.run_test_mask & (1 << index)) >>> index)) continue;
    const c = cases[index]!;
    w.current = c.name;
    const t0 = w.cycles;
    const d = out.data[index]!;
    for (let j = 0; j < w.p.test_repeat_count; j++) {
      const ret = yield* c.fn(w);
      if (ret === NOT_MODELLED) d.not_modelled++;
      else if (!ret) d.test_passed++;
      else if (ret && c.xfail) d.test_xfailed = (d.test_xfailed ?? 0) + 1;
      else d.test_failed++;
    }
    const usec = Math.floor(((w.cycles - t0) / clockHz) * 1e6);
    d.time = Math.floor(usec / w.p.test_repeat_count);
  }
  out.cycles = Math.round(w.cycles - start);
  out.done = true;
}

/** The module's summary lines for one worker, as pr_info prints them. */
export function summaryLines(text: ModuleText, p: ModuleParams, r: WorkerResult): string[] {
  const cases = testCases(text);
  const lines: string[] = [];
  for (let j = 0; j < cases.length; j++) {
    if (!((p.run_test_mask & (1 << j)) >>> j)) continue;
    const d = r.data[j]!;
    const c = cases[j]!;
    const xfailed = text === 'v7.3' ? ` xfailed: ${d.test_xfailed ?? 0}` : '';
    let line = `Summary: ${c.name} passed: ${d.test_passed} failed: ${d.test_failed}${xfailed} repeat: ${p.test_repeat_count} loops: ${p.test_loop_count} avg: ${d.time} usec`;
    if (c.missing) line += ` [not modelled x${d.not_modelled}: ${c.missing}]`;
    lines.push(line);
  }
  lines.push(text === 'v5.1' ? `All test took CPU${r.cpu}=${r.cycles} cycles` : `All test took worker${r.id}=${r.cycles} cycles`);
  return lines;
}

/** Counts the scenario reports over all workers' kernel calls. */
export interface CallCounts {
  calls: number;
  allocations: number;
  failed: number;
  readonly touches: number[];
  /** Worker id of the latest call (who hit a BUG). */
  last: number;
}

/** Build a worker whose calls run on `cpu` of `k` and are counted in `counts`. */
export function makeWorker(k: Kernel, id: number, cpu: number, text: ModuleText, p: ModuleParams, seed: number, counts: CallCounts): Worker {
  const c = k.machine.cpu(cpu);
  const comm = `vmalloc_test/${id}`;
  const pid = 1000 + id;
  const w: Worker = {
    id,
    cpu,
    k,
    rnd: new SplitMix64((seed * 65537 + id * 7919 + 1) % 9007199254740991),
    p,
    text,
    current: '',
    cycles: 0,
    vmalloc: (size) => alloc(() => k.vmalloc(cpu, size, 'test_vmalloc')),
    vmallocRange: (size, align) => alloc(() => vmallocNodeRange(k, cpu, size, align, 'test_vmalloc')),
    vfree: (addr) => timed(() => k.vfree(cpu, addr)),
    write: (addr, value) => timed(() => k.write64(cpu, addr, value)),
    vm_map_ram: (pages) => alloc(() => k.vm_map_ram(cpu, pages)),
    vm_unmap_ram: (addr, count) => timed(() => k.vm_unmap_ram(cpu, addr, count)),
    vmallocGfp: (size, gfp) => alloc(() => k.call(cpu, '__vmalloc', (api) => (api as unknown as api_7_3).__vmalloc(size, gfp, 'test_vmalloc'))),
    vrealloc: (p, size) => alloc(() => k.call(cpu, 'vrealloc', (api) => (api as unknown as api_7_3).vrealloc(p, size, GFP_KERNEL, 'test_vmalloc'))),
    alloc_percpu: (size, align) => timed(() => k.call(cpu, '__alloc_percpu', () => k.percpu.__alloc_percpu(size, align))),
    free_percpu: (ptr) => timed(() => k.call(cpu, 'free_percpu', () => k.percpu.free_percpu(ptr))),
    kvfree_rcu: (ptr, head) => timed(() => k.call(cpu, 'kvfree_rcu', () => k.kvfree_rcu.kvfree_call_rcu(head, ptr))),
  };
  function timed<T>(fn: () => T): T {
    k.setTask(cpu, comm, pid);
    const c0 = c.now;
    counts.calls++;
    counts.last = id;
    try {
      return fn();
    } finally {
      w.cycles += c.now - c0;
    }
  }
  function alloc(fn: () => ulong): ulong {
    const t0 = k.touchesOn(cpu);
    counts.allocations++;
    try {
      const a = timed(fn);
      if (a === 0) counts.failed++;
      return a;
    } finally {
      counts.touches.push(k.touchesOn(cpu) - t0);
    }
  }
  return w;
}
