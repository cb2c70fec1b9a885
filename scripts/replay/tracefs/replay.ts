// SPDX-License-Identifier: GPL-2.0-only
/*
 * Replay a real kernel's vmalloc trace (tracefs text, parse.ts)
 * on the ported allocator versions, starting from the /proc/vmallocinfo
 * snapshot read just before recording (vmallocinfo.ts).
 *
 * 0. Purge lines are put where they took effect (placePurges): a purge
 *    line with num_purged = n releases the n oldest lazily freed areas; it
 *    is applied at its line, earlier if an allocation needs the space or a
 *    later free was not in it, later if a free it includes prints after it
 *    (7.3's lazy preemption can delay either line; README of the real
 *    traces).
 * 1. The op stream is rebuilt from the events, in timestamp order: each
 *    allocation (size, align, vstart, vend; a failed=1 line and the retry
 *    lines of the same task that follow it are one call), each lazy free,
 *    and an explicit purge for a purge line that neither a free over the
 *    threshold nor a failing allocation explains (vm_unmap_aliases()).
 *    Purge lines become the recorded purges, each placed after the op that
 *    caused it, with the nr_lazy that triggered it.
 * 2. Each version is seeded (its seed_areas() method) with the snapshot's
 *    busy ranges (vm areas and vm_map_ram ranges) and unpurged ones; for a
 *    version with vmap nodes at 2+ CPUs, also with the pool contents the
 *    snapshot cannot show, inferred from the trace (inferPools).
 * 3. The ops run on it, each on the CPU it was recorded on, in the trace
 *    environment. The purges it makes are taken from its flush/purged hooks.
 * 4. Compared: each allocation's address with the recorded one, each purge
 *    (where, what triggered it, how many areas, the flush range) with the
 *    recorded ones, and the end state with the after snapshot when given.
 */

import { ERR_PTR, IS_ERR } from '../../../kernel/include/linux/errno.js';
import { hex, udec, ule, ult, type ulong } from '../../../kernel/include/u64.js';

const PAGE = 0x1000;
/** The lock whose release ends alloc_vmap_area()'s global search (a preemption point). */
const SEARCH_LOCK = 'free_vmap_area_lock';
/** The lock whose release ends node_pool_del_va(), when node_alloc() takes a pooled area. */
const POOL_LOCK = 'vn->pool_lock';
import { type AllocatorSnapshot, type AreaView, defaultEnv, nullHooks, type VmapAllocator, type vmap_area_common } from '../../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../../kernel/mm/vmalloc/index.js';
import { capsOf } from '../../../kernel/manifest/index.js';
import { formatSnapshot } from '../golden.js';
import type { TracefsTrace, VmallocEvent } from './parse.js';
import type { Vmallocinfo, VmallocinfoArea } from './vmallocinfo.js';

/** The registered version that wrote traces in this format (6.2+ events, 6.12 semantics). */
export const MATCHING_VERSION = 'linux-6.12';

/**
 * The version that wrote a trace: the registered version its file name
 * starts with (`linux-7.3.c_rand...trace.gz` names linux-7.3; the longest
 * registered name wins), else MATCHING_VERSION.
 */
export function matchingVersionFor(file: string, names: readonly string[]): string {
  const base = file.replace(/^.*[\\/]/, '');
  let best: string | null = null;
  for (const n of names) if (base.startsWith(n + '.') && (!best || n.length > best.length)) best = n;
  return best ?? MATCHING_VERSION;
}

export type TraceOp =
  | {
      kind: 'a';
      size: ulong;
      align: ulong;
      vstart: ulong;
      vend: ulong;
      /** Recorded start, or null when the call failed. */
      addr: ulong | null;
      /** alloc_vmap_area lines of this call (2+ when it failed and retried). */
      attempts: number;
      line: number;
      pid: number;
      cpu: number;
    }
  | { kind: 'l'; addr: ulong; nr_lazy: number; nr_lazy_max: number; line: number; pid: number; cpu: number }
  | { kind: 'p'; line: number; pid: number; cpu: number }
  /** The kworker ran the queued drain work here (a threshold purge line). */
  | { kind: 'w'; line: number; pid: number; cpu: number };

export interface RecordedPurge {
  /** Index of the op during which it ran (a 'w' op for a threshold purge). */
  op: number;
  /** Index of the op that caused it (the free that queued the drain work). */
  trigger: number;
  /** Why: the free over the threshold, a failing allocation's reclaim, or explicit. */
  cause: 'threshold' | 'alloc-failure' | 'explicit';
  /** nr_lazy of the free that queued it (threshold purges). */
  nr_lazy: number | null;
  start: ulong;
  end: ulong;
  num_purged: number;
  line: number;
}

export interface OpStream {
  ops: TraceOp[];
  purges: RecordedPurge[];
  /** Purge lines that found nothing (num_purged=0): not compared. */
  emptyPurges: number;
  /** Purge lines applied elsewhere than at their line (placePurges). */
  moved: PurgePlacement['moved'];
  /** Purge lines whose placement constraints contradict each other. */
  conflicts: number[];
  /** Free lines put after the free line that followed them (orderLazyFrees). */
  swappedFrees: number[];
}

export interface PurgePlacement {
  /** The events, each purge line moved to where it took effect. */
  events: VmallocEvent[];
  /** Purge lines moved earlier or later than their line (by: events passed, negative when earlier). */
  moved: { line: number; by: number; why: 'allocation' | 'later-free' | 'early-free' }[];
  /** Purges whose constraints contradict each other (left at the best place found). */
  conflicts: number[];
}

/**
 * Place each non-empty purge line where it took effect. The lazily freed
 * areas form a FIFO (the snapshot's unpurged areas first, in address
 * order; then each free line); a purge of n takes the n oldest, S. It goes
 * after the free that completes S (later than its line when that free
 * prints after it), before the free of the (n+1)-th area (earlier when that
 * free printed first), and before the first allocation after the previous
 * purge that overlaps an area of S (the space was free already); otherwise
 * at its line. Empty purges stay where they are.
 */
export function placePurges(events: readonly VmallocEvent[], before?: Vmallocinfo): PurgePlacement {
  interface Lazy {
    start: ulong;
    end: ulong;
    /** index of its free event; -1 for the snapshot's */
    at: number;
  }
  // Every lazily freed area, in free order; an area's end from its allocation.
  const fifo: Lazy[] = [];
  const ends = new Map<ulong, ulong>();
  if (before) {
    for (const a of before.areas) if (a.kind !== 'lazy') ends.set(a.start, a.end);
    for (const a of before.areas) if (a.kind === 'lazy') fifo.push({ start: a.start, end: a.end, at: -1 });
  }
  const allocs: { at: number; start: ulong; end: ulong }[] = [];
  events.forEach((e, i) => {
    if (e.kind === 'alloc_vmap_area' && !e.failed) {
      ends.set(e.addr, e.addr + e.size);
      allocs.push({ at: i, start: e.addr, end: e.addr + e.size });
    } else if (e.kind === 'free_vmap_area_noflush') fifo.push({ start: e.va_start, end: ends.get(e.va_start) ?? e.va_start + 0x1000, at: i });
  });

  /** purge event index -> the position it goes before (fractional keys keep the order stable) */
  const key = events.map((_, i) => i);
  const moved: PurgePlacement['moved'] = [];
  const conflicts: number[] = [];
  let head = 0; // fifo entries released so far
  let floor = -1; // the previous purge's position
  let ai = 0; // first allocation not before floor
  events.forEach((e, t) => {
    if (e.kind !== 'purge_vmap_area_lazy' || e.num_purged === 0) return;
    const n = e.num_purged;
    const S = fifo.slice(head, head + n);
    const lo = Math.max(floor, ...S.map((x) => x.at)) + 0.5; // after every free of S
    const next = fifo[head + n];
    const m = next ? next.at - 0.5 : Infinity; // before the free of the next area
    while (ai < allocs.length && allocs[ai]!.at < floor) ai++;
    let a = Infinity;
    for (let j = ai; j < allocs.length && allocs[j]!.at < Math.min(t, m); j++) {
      const x = allocs[j]!;
      if (S.some((s) => s.at < x.at && ult(s.start, x.end) && ult(x.start, s.end))) {
        a = x.at - 0.5;
        break;
      }
    }
    let pos = Math.min(t, a, m);
    if (pos < lo) {
      if (a < lo) conflicts.push(e.line);
      pos = lo;
    }
    if (pos !== t) {
      key[t] = pos;
      moved.push({ line: e.line, by: Math.trunc(pos - t), why: pos === a ? 'allocation' : pos === m ? 'early-free' : 'later-free' });
    }
    floor = pos;
    head += Math.min(n, fifo.length - head);
  });
  const order = events.map((_, i) => i).sort((x, y) => key[x]! - key[y]! || x - y);
  return { events: order.map((i) => events[i]!), moved, conflicts };
}

/**
 * Put two lazy frees back in the order they took effect. vmap_lazy_nr is
 * added to atomically before the free's line prints, so a free printed
 * first by one task can have been added after another task's free that
 * printed next (preempted, or on another CPU, between the two). Two
 * adjacent free lines of different tasks are swapped when the first's
 * nr_lazy exceeds the second's by exactly the first area's pages (its
 * allocation in the trace, or the snapshot, gives its size): the first
 * area was added right after the second.
 */
export function orderLazyFrees(events: readonly VmallocEvent[], before?: Vmallocinfo): { events: VmallocEvent[]; swapped: number[] } {
  const ends = new Map<ulong, ulong>();
  if (before) for (const a of before.areas) if (a.kind !== 'lazy') ends.set(a.start, a.end);
  const out = events.slice();
  const swapped: number[] = [];
  for (let i = 0; i + 1 < out.length; i++) {
    const e = out[i]!;
    if (e.kind === 'alloc_vmap_area' && !e.failed) ends.set(e.addr, e.addr + e.size);
    const n = out[i + 1]!;
    if (e.kind !== 'free_vmap_area_noflush' || n.kind !== 'free_vmap_area_noflush' || e.pid === n.pid || e.nr_lazy <= n.nr_lazy) continue;
    const end = ends.get(e.va_start);
    if (end === undefined || e.nr_lazy - n.nr_lazy !== (end - e.va_start) / PAGE) continue;
    out[i] = n;
    out[i + 1] = e;
    swapped.push(e.line);
    i++;
  }
  return { events: out, swapped };
}

/** Rebuild the op stream from the (sorted) events, each purge placed where it took effect (placePurges). */
export function buildOps(trace: TracefsTrace, before?: Vmallocinfo): OpStream {
  const ops: TraceOp[] = [];
  const purges: RecordedPurge[] = [];
  let emptyPurges = 0;
  /** per task: the index of an allocation whose last line failed */
  const pending = new Map<number, number>();
  /** a free went over the threshold and no purge has run since */
  let drainQueued: { op: number; nr_lazy: number } | null = null;

  const ordered = orderLazyFrees(trace.events, before);
  const placed = placePurges(ordered.events, before);
  for (const e of placed.events) {
    if (e.kind === 'alloc_vmap_area') {
      const p = pending.get(e.pid);
      const prev = p !== undefined ? ops[p] : undefined;
      if (prev && prev.kind === 'a' && prev.size === e.size && prev.align === e.align && prev.vstart === e.vstart && prev.vend === e.vend) {
        prev.attempts++;
        prev.addr = e.failed ? null : e.addr;
        if (!e.failed) pending.delete(e.pid);
        continue;
      }
      ops.push({ kind: 'a', size: e.size, align: e.align, vstart: e.vstart, vend: e.vend, addr: e.failed ? null : e.addr, attempts: 1, line: e.line, pid: e.pid, cpu: e.cpu });
      if (e.failed) pending.set(e.pid, ops.length - 1);
      else pending.delete(e.pid);
    } else if (e.kind === 'free_vmap_area_noflush') {
      ops.push({ kind: 'l', addr: e.va_start, nr_lazy: e.nr_lazy, nr_lazy_max: e.nr_lazy_max, line: e.line, pid: e.pid, cpu: e.cpu });
      if (e.nr_lazy > e.nr_lazy_max && !drainQueued) drainQueued = { op: ops.length - 1, nr_lazy: e.nr_lazy };
    } else {
      const p = pending.get(e.pid);
      let rec: RecordedPurge;
      if (p !== undefined) {
        rec = { op: p, trigger: p, cause: 'alloc-failure', nr_lazy: null, start: e.start, end: e.end, num_purged: e.num_purged, line: e.line };
      } else if (drainQueued) {
        ops.push({ kind: 'w', line: e.line, pid: e.pid, cpu: e.cpu });
        rec = { op: ops.length - 1, trigger: drainQueued.op, cause: 'threshold', nr_lazy: drainQueued.nr_lazy, start: e.start, end: e.end, num_purged: e.num_purged, line: e.line };
        drainQueued = null;
      } else {
        if (e.num_purged === 0) {
          emptyPurges++;
          continue;
        }
        ops.push({ kind: 'p', line: e.line, pid: e.pid, cpu: e.cpu });
        rec = { op: ops.length - 1, trigger: ops.length - 1, cause: 'explicit', nr_lazy: null, start: e.start, end: e.end, num_purged: e.num_purged, line: e.line };
      }
      if (e.num_purged === 0) {
        emptyPurges++;
        continue;
      }
      purges.push(rec);
    }
  }
  return { ops, purges, emptyPurges, moved: placed.moved, conflicts: placed.conflicts, swappedFrees: ordered.swapped };
}

/** The areas a snapshot gives the allocator. */
export function seedAreas(info: Vmallocinfo): { start: ulong; end: ulong; state: 'busy' | 'lazy'; vm_map_ram?: boolean }[] {
  return info.areas.map((a: VmallocinfoArea) => ({ start: a.start, end: a.end, state: a.kind === 'lazy' ? 'lazy' : 'busy', vm_map_ram: a.kind === 'vm_map_ram' }));
}

interface Seedable {
  seed_areas(areas: readonly { start: ulong; end: ulong; state: 'busy' | 'lazy'; vm_map_ram?: boolean }[]): void;
}

/** An area for a version with vmap nodes: lazy ones may carry the CPU that allocated them, and pooled ones sit in a node's pool. */
export interface NodeSeedArea {
  start: ulong;
  end: ulong;
  state: 'busy' | 'lazy' | 'pooled';
  vm_map_ram?: boolean;
  cpu?: number;
}

/** Versions with vmap nodes and per-node pools (linux-6.12 and later): their seed_areas() takes pooled and node-tagged areas. */
interface NodeSeedable {
  readonly nr_vmap_nodes: number;
  seed_areas(areas: readonly NodeSeedArea[]): void;
  /** The pool node_alloc() tries for that CPU and size (null: none). */
  pool_of(cpu: number, size: ulong): { len: number } | null;
  /** Take a free range out of the free tree: held in a busy tree, or at the head of that CPU's pool. Null if not free. */
  hold_range(start: ulong, end: ulong, pool: boolean, cpu?: number): vmap_area_common | null;
  /** Give an area in a pool back to the free tree (as a decay does). */
  unpool(start: ulong, end: ulong): boolean;
  /** Move an area from a pool (or, with busy, just allocated) into that CPU's pool. */
  repool(start: ulong, end: ulong, cpu: number, head: boolean, busy?: boolean): boolean;
  free_vmap_area(va: vmap_area_common): void;
}

function isNodeSeedable(a: VmapAllocator): a is VmapAllocator & NodeSeedable {
  return isSeedable(a) && typeof (a as Partial<NodeSeedable>).nr_vmap_nodes === 'number' && typeof (a as Partial<NodeSeedable>).hold_range === 'function';
}

/**
 * What the before snapshot cannot show, inferred from the trace (see
 * inferPools): the contents of the vmap nodes' pools.
 */
export interface PoolHints {
  /**
   * Areas in a pool when recording started, handed out before any purge:
   * in the pool node_alloc() tries on `cpu`; per pool the first listed is
   * the first handed out.
   */
  pooled: { cpu: number; start: ulong; end: ulong; line: number }[];
  /**
   * Areas of the snapshot (by start; unpurged ones, or busy ones the trace
   * frees) that a node_alloc() on a CPU of the node of `cpu` had
   * allocated: their purge parks them in that node's pool, which later
   * hands them out.
   */
  areaCpu: Map<ulong, { cpu: number; line: number }>;
  /**
   * The CPU whose node the other unpurged areas of the snapshot (of at
   * most 256 pages) carry, or null: none (they go back to the free tree).
   */
  lazyRest: number | null;
  /**
   * Ranges the kernel kept out of the free tree although the emulation
   * has them free: parked in a pool that did not hand them out (a pool of
   * another node or size, or one longer than the emulated one, whose decay
   * reached them later or never). Held from after op `from` (-1: from the
   * start) until after op `until` (the purge that decayed them, the last
   * before the kernel used them; null: to the end).
   */
  held: { start: ulong; end: ulong; from: number; until: number | null; line: number }[];
  /**
   * Areas the kernel's pool decay gave back to the free tree at the purge
   * of op `at` while the emulated pool (shorter: it lacks what the
   * snapshot cannot show) still held them.
   */
  decayed: { start: ulong; end: ulong; at: number; line: number }[];
}

export function emptyHints(): PoolHints {
  return { pooled: [], areaCpu: new Map(), lazyRest: null, held: [], decayed: [] };
}

/** A snapshot without the ranges held at that point (from before `op`; Infinity: the end). */
function withoutHeld(s: AllocatorSnapshot, hints: PoolHints | undefined, op: number): AllocatorSnapshot {
  if (!hints || !hints.held.length) return s;
  const h = new Set(hints.held.filter((x) => x.from < op && (x.until === null || x.until >= op)).map((x) => `${x.start}:${x.end}`));
  return { ...s, areas: s.areas.filter((a) => !(a.state === 'busy' && h.has(`${a.start}:${a.end}`))) };
}

function isSeedable(a: VmapAllocator): a is VmapAllocator & Seedable {
  return typeof (a as Partial<Seedable>).seed_areas === 'function';
}

/** Versions whose queued work can wait for the environment (linux-6.12). */
interface Deferrable {
  work_mode: 'inline' | 'deferred';
  drain_vmap_work_pending: boolean;
  run_pending_work(): boolean;
}

/** The manifest's capability: its queued work can wait (caps.deferredWork). */
function isDeferrable(a: VmapAllocator): a is VmapAllocator & Deferrable {
  return capsOf(a)?.deferredWork === true;
}

export interface EmulatedPurge {
  op: number;
  /** vmap_lazy_nr when it flushed (before the purged pages are taken off). */
  nr_lazy: number;
  start: ulong;
  end: ulong;
  num_purged: number;
}

export interface PurgeComparison {
  recorded: RecordedPurge;
  emulated: EmulatedPurge | null;
  samePoint: boolean;
  sameTrigger: boolean;
  sameCount: boolean;
  sameRange: boolean;
}

export interface FirstDivergence {
  /** 0-based op index and the trace line. */
  op: number;
  line: number;
  text: string;
  expected: string;
  actual: string;
  reason: string;
  /** The emulated allocator after the op: an address map around the recorded address. */
  around: string;
}

export interface VersionReplay {
  kernel: string;
  matching: boolean;
  allocations: number;
  sameAddress: number;
  share: number;
  /** Recorded purges (non-empty) and how many the version made at the same point with the same count and range. */
  recordedPurges: number;
  purges: number;
  purgesMatched: number;
  firstPurgeMismatch: PurgeComparison | null;
  /** Lazy frees whose nr_lazy (pages pending after the free) equals the recorded one. */
  nrLazyMatched: number;
  lazyFrees: number;
  firstDivergence: FirstDivergence | null;
  /** Frees of an address never allocated nor in the snapshot. */
  unknownFrees: { line: number; addr: string }[];
  /** Frees skipped because this version had failed the recorded allocation. */
  skippedFrees: number;
  touchesPerAlloc: number;
  /** Mean pages per flush range, and the ranges' total. */
  flushPagesMean: number;
  flushPagesTotal: number;
  /** The end state against the after snapshot (null without one). */
  after: { busy: boolean; lazy: boolean; busyDiff: string[]; lazyDiff: string[] } | null;
  /** The state seeded from the before snapshot equals it. */
  seededEqualsBefore: boolean;
  /** Set when the version could not run the stream (e.g. a BUG). */
  error: string | null;
  /** The emulated purges, in order (for tests and JSON). */
  emulatedPurges: EmulatedPurge[];
  comparisons: PurgeComparison[];
  /** The final snapshot. */
  final: AllocatorSnapshot | null;
  /** Pool contents inferred from the trace and seeded (versions with vmap nodes): pooled areas, unpurged areas given a node. */
  inferredPooled: number;
  inferredAreaNodes: number;
  /** Ranges the kernel kept in a pool the emulation does not know (PoolHints.held). */
  inferredHeld: number;
  /** Pooled areas the kernel's decay gave back earlier than the emulated one (PoolHints.decayed). */
  inferredDecayed: number;
  /** Why the inference left allocations unexplained (the first such), or null. */
  inferenceStopped: string | null;
  /** The node (as a CPU) the other unpurged areas were given (PoolHints.lazyRest; null: none, back to the free tree). */
  lazyRest: number | null;
  /** Purge lines run inside the allocation printed after them (its choice was made before the purge): the two lines. */
  purgesInsideAlloc: { line: number; alloc: number }[];
}

/** Coalesce adjacent/overlapping ranges (address sorted input). */
function coalesce(r: { start: ulong; end: ulong }[]): { start: ulong; end: ulong }[] {
  const out: { start: ulong; end: ulong }[] = [];
  for (const x of r) {
    const last = out[out.length - 1];
    if (last && ule(x.start, last.end)) {
      if (ult(last.end, x.end)) last.end = x.end;
    } else out.push({ start: x.start, end: x.end });
  }
  return out;
}

function rangesText(r: { start: ulong; end: ulong }[]): string[] {
  return r.map((x) => `${hex(x.start)}-${hex(x.end)}`);
}

/** The differences of two sorted string lists, as "-missing" / "+extra" (first few). */
function listDiff(expected: string[], actual: string[], max = 8): string[] {
  const e = new Set(expected);
  const a = new Set(actual);
  const out: string[] = [];
  for (const x of expected) if (!a.has(x) && out.length < max) out.push(`-${x}`);
  for (const x of actual) if (!e.has(x) && out.length < max) out.push(`+${x}`);
  return out;
}

/** Compare a snapshot's areas with a vmallocinfo: busy sets exactly; lazy as coalesced coverage (versions that merge lazy areas) and exactly. */
export function compareWithInfo(s: AllocatorSnapshot, info: Vmallocinfo): { busy: boolean; lazy: boolean; lazyExact: boolean; busyDiff: string[]; lazyDiff: string[] } {
  const eb = rangesText(info.areas.filter((a) => a.kind !== 'lazy'));
  const ab = rangesText(s.areas.filter((a) => a.state === 'busy'));
  const el = info.areas.filter((a) => a.kind === 'lazy');
  const al = s.areas.filter((a) => a.state === 'lazy');
  const elc = rangesText(coalesce(el));
  const alc = rangesText(coalesce(al));
  const busyDiff = listDiff(eb, ab);
  const lazyDiff = listDiff(elc, alc);
  return {
    busy: busyDiff.length === 0 && eb.length === ab.length,
    lazy: lazyDiff.length === 0 && elc.length === alc.length,
    lazyExact: JSON.stringify(rangesText(el)) === JSON.stringify(rangesText(al)),
    busyDiff,
    lazyDiff,
  };
}

/** Where [start, end) stands in a list of areas: the states it overlaps. */
function overlapping(areas: readonly AreaView[], start: ulong, end: ulong): AreaView[] {
  return areas.filter((a) => ult(a.start, end) && ult(start, a.end));
}

export interface ReplayOptions {
  cpus: number;
  after?: Vmallocinfo;
  /**
   * When the drain work runs, for versions that queue it (linux-6.12):
   * 'recorded' (default): where the trace shows the kworker's purge line;
   * 'inline': at once, inside the free that queued it.
   */
  workTiming?: 'recorded' | 'inline';
  /** Pool contents inferred from the trace (inferPools), seeded for versions with vmap nodes. */
  hints?: PoolHints;
  /** For inferPools: infer pool contents as the replay goes (they are filled into this object). */
  infer?: PoolHints;
  /** replayTracefs: infer pool contents for versions with vmap nodes (default true). */
  inferPools?: boolean;
  /** The version that wrote the trace (default MATCHING_VERSION). */
  matching?: string;
}

/** Replay the stream on one version. */
export function replayOnVersion(name: string, stream: OpStream, before: Vmallocinfo, opts: ReplayOptions): VersionReplay {
  const info = getVersion(name);
  const emulatedPurges: EmulatedPurge[] = [];
  let curOp = -1;
  let alloc: VmapAllocator | null = null;
  let pendingFlush: { start: ulong; end: ulong; nr_lazy: number } | null = null;
  let traceNrLazy: number | null = null;
  /** nr_lazy of the free that queued the drain work still pending */
  let queuedNrLazy: number | null = null;
  const hooks = nullHooks();
  hooks.flush_tlb_kernel_range = (start, end) => {
    pendingFlush = { start, end, nr_lazy: queuedNrLazy ?? (alloc ? alloc.vmap_lazy_nr : 0) };
    queuedNrLazy = null;
  };
  hooks.purged = (n, start, end) => {
    const f = pendingFlush ?? { start, end, nr_lazy: alloc ? alloc.vmap_lazy_nr : 0 };
    emulatedPurges.push({ op: curOp, nr_lazy: f.nr_lazy, start: f.start, end: f.end, num_purged: n });
    pendingFlush = null;
  };
  hooks.trace_free_vmap_area_noflush = (_s, nr_lazy) => {
    traceNrLazy = nr_lazy;
  };
  /**
   * A purge that ran while the allocation printed after it was preempted
   * between its choice and its trace line (chosenBeforePurge): it runs at
   * that allocation's first spin_unlock of free_vmap_area_lock or of a
   * node's pool_lock. While probing, that unlock is only noted.
   */
  let atChoiceUnlock: (() => void) | null = null;
  /** That purge, from its op to the start of the allocation (armed only while the allocation runs). */
  let runInsideNext: (() => void) | null = null;
  let purgeTouches = 0;
  let probing = false;
  let probeSawUnlock = false;
  hooks.spin_unlock = (lock) => {
    if (lock !== SEARCH_LOCK && lock !== POOL_LOCK) return;
    if (probing) probeSawUnlock = true;
    else if (atChoiceUnlock) {
      const run = atChoiceUnlock;
      atChoiceUnlock = null;
      run();
    }
  };
  const env = defaultEnv({ ncpu: opts.cpus, hooks });
  alloc = info.create(env);
  const worker: Deferrable | null = (opts.workTiming ?? 'recorded') === 'recorded' && isDeferrable(alloc) ? alloc : null;
  const deferred = worker !== null;
  if (worker) worker.work_mode = 'deferred';
  const res: VersionReplay = {
    kernel: name,
    matching: name === (opts.matching ?? MATCHING_VERSION),
    allocations: 0,
    sameAddress: 0,
    share: 0,
    recordedPurges: stream.purges.length,
    purges: 0,
    purgesMatched: 0,
    firstPurgeMismatch: null,
    nrLazyMatched: 0,
    lazyFrees: 0,
    firstDivergence: null,
    unknownFrees: [],
    skippedFrees: 0,
    touchesPerAlloc: 0,
    flushPagesMean: 0,
    flushPagesTotal: 0,
    after: null,
    seededEqualsBefore: false,
    error: null,
    emulatedPurges,
    comparisons: [],
    final: null,
    inferredPooled: 0,
    inferredAreaNodes: 0,
    inferredHeld: 0,
    inferredDecayed: 0,
    inferenceStopped: null,
    lazyRest: null,
    purgesInsideAlloc: [],
  };
  if (!isSeedable(alloc)) {
    res.error = `${name} has no seed_areas(): cannot start from the snapshot`;
    return res;
  }
  const hints = opts.hints;
  const nodal = isNodeSeedable(alloc) && alloc.nr_vmap_nodes > 1 ? alloc : null;
  /** After op k: ranges to take out of the free tree, areas to give back (held ranges). */
  const holdAfter = new Map<number, PoolHints['held']>();
  const decayAfter = new Map<number, PoolHints['decayed']>();
  const releaseAfter = new Map<number, vmap_area_common[]>();
  const later = <T>(m: Map<number, T[]>, k: number, x: T) => {
    const l = m.get(k);
    if (l) l.push(x);
    else m.set(k, [x]);
  };
  const seedHints = hints ?? (opts.infer && opts.infer.lazyRest !== null ? opts.infer : undefined);
  if (seedHints && nodal) {
    const hints = seedHints;
    const areas: NodeSeedArea[] = seedAreas(before).map((a) => {
      const t = hints.areaCpu.get(a.start);
      if (t) return { ...a, cpu: t.cpu };
      if (a.state === 'lazy' && hints.lazyRest !== null && (a.end - a.start) / PAGE <= MAX_POOLED_PAGES) return { ...a, cpu: hints.lazyRest };
      return a;
    });
    for (const p of hints.pooled) areas.push({ start: p.start, end: p.end, state: 'pooled', cpu: p.cpu });
    for (const h of hints.held) if (h.from < 0) areas.push({ start: h.start, end: h.end, state: 'busy' });
    nodal.seed_areas(areas);
    for (const x of hints.decayed) later(decayAfter, x.at, x);
    for (const h of hints.held) {
      if (h.from >= 0) later(holdAfter, h.from, h);
      else if (h.until !== null) {
        const t = alloc.touches;
        const va = alloc.find_vmap_area(h.start);
        alloc.touches = t;
        if (va) later(releaseAfter, h.until, va);
      }
    }
    res.inferredPooled = hints.pooled.length;
    res.inferredAreaNodes = hints.areaCpu.size;
    res.inferredHeld = hints.held.length;
    res.inferredDecayed = hints.decayed.length;
    res.lazyRest = hints.lazyRest;
  } else alloc.seed_areas(seedAreas(before));
  const seeded = compareWithInfo(withoutHeld(alloc.snapshot(), hints, 0), before);
  res.seededEqualsBefore = seeded.busy && seeded.lazy;
  const infer = opts.infer && nodal ? new Inference(opts.infer, nodal, env, stream, before, (k, va) => later(releaseAfter, k, va)) : null;

  /** recorded start -> the emulated area standing for it */
  const byRecorded = new Map<ulong, vmap_area_common>();
  for (const a of before.areas) {
    if (a.kind === 'lazy') continue;
    const t = alloc.touches;
    const va = alloc.find_vmap_area(a.start);
    alloc.touches = t;
    if (va) byRecorded.set(a.start, va);
  }
  /** recorded allocations this version failed: their frees are skipped */
  const failedHere = new Set<ulong>();
  /** the recorded history: start -> [end, what] */
  const history = new Map<ulong, { end: ulong; state: 'busy' | 'lazy'; line: number }>();
  for (const a of before.areas) history.set(a.start, { end: a.end, state: a.kind === 'lazy' ? 'lazy' : 'busy', line: a.line });
  const recordedPurgeAt = new Map<number, RecordedPurge[]>();
  for (const p of stream.purges) {
    const l = recordedPurgeAt.get(p.op) ?? [];
    l.push(p);
    recordedPurgeAt.set(p.op, l);
  }
  let touches = 0;

  try {
    /** Versions that know the calling CPU (linux-6.12: node_alloc, the per-CPU spare area). */
    const percpu = typeof (alloc as Partial<{ cpu: number }>).cpu === 'number' ? (alloc as unknown as { cpu: number }) : null;
    /**
     * With lazy preemption a task can be preempted after its allocation
     * made its choice and before it printed its line: a purge that ran
     * meanwhile prints first. The choice is made when node_alloc() takes
     * the head of this CPU's node's pool (the unlock of vn->pool_lock
     * ends it), or else in the global free tree (the unlock of
     * free_vmap_area_lock ends it, where the kernel may reschedule). The
     * allocation printed right after a purge line is taken to have made
     * its choice before the purge when doing so gives the recorded
     * address. Probed: allocated, then given back (free_vmap_area(), or
     * repool() to the head of the pool it came from). A pool is probed
     * only for an alignment every page meets (otherwise node_pool_del_va()
     * could rotate it).
     */
    const chosenBeforePurge = (next: AllocOp): boolean => {
      if (next.addr === null || next.attempts !== 1) return false;
      const saveCpu = percpu ? percpu.cpu : 0;
      if (percpu) percpu.cpu = next.cpu < opts.cpus ? next.cpu : 0;
      const full = next.vstart === env.VMALLOC_START && next.vend === env.VMALLOC_END;
      const pool = nodal && full ? nodal.pool_of(next.cpu, next.size) : null;
      let hit = false;
      if (!pool || pool.len === 0 || ule(next.align, PAGE)) {
        const len = pool ? pool.len : 0;
        const t = alloc.touches;
        const n = emulatedPurges.length;
        probing = true;
        probeSawUnlock = false;
        const va = alloc.alloc_vmap_area(next.size, next.align, next.vstart, next.vend);
        probing = false;
        if (!IS_ERR(va)) {
          if (pool && nodal && pool.len < len) nodal.repool(va.va_start, va.va_end, next.cpu, true, true);
          else alloc.free_vmap_area(va);
        }
        alloc.touches = t;
        hit = probeSawUnlock && emulatedPurges.length === n && !IS_ERR(va) && va.va_start === next.addr;
      }
      if (percpu) percpu.cpu = saveCpu;
      return hit;
    };
    /** The environment's actions after op k (held ranges of the pools). */
    const afterOp = (k: number) => {
      for (const va of releaseAfter.get(k) ?? []) (nodal as NodeSeedable).free_vmap_area(va);
      for (const x of decayAfter.get(k) ?? []) (nodal as NodeSeedable).unpool(x.start, x.end);
      for (const h of holdAfter.get(k) ?? []) {
        const va = (nodal as NodeSeedable).hold_range(h.start, h.end, false);
        if (va && h.until !== null) later(releaseAfter, h.until, va);
      }
    };
    for (let i = 0; i < stream.ops.length; i++) {
      if (i > 0 && nodal) afterOp(i - 1);
      const op = stream.ops[i]!;
      curOp = i;
      if (percpu) percpu.cpu = op.cpu < opts.cpus ? op.cpu : 0;
      if (op.kind === 'a') {
        res.allocations++;
        const t0 = alloc.touches;
        atChoiceUnlock = runInsideNext;
        runInsideNext = null;
        let va = infer ? infer.alloc(op, i, emulatedPurges) : alloc.alloc_vmap_area(op.size, op.align, op.vstart, op.vend);
        if (atChoiceUnlock) {
          // The allocation reached neither unlock (it failed first): the purge runs after it.
          const run: () => void = atChoiceUnlock;
          atChoiceUnlock = null;
          run();
        }
        touches += alloc.touches - t0 - purgeTouches;
        purgeTouches = 0;
        const actual = IS_ERR(va) ? null : va.va_start;
        if (actual === op.addr) res.sameAddress++;
        else if (!res.firstDivergence) res.firstDivergence = explain(alloc, op, i, actual, history, emulatedPurges, stream.purges);
        va = va as typeof va;
        if (op.addr !== null) {
          if (!IS_ERR(va)) byRecorded.set(op.addr, va);
          else failedHere.add(op.addr);
          history.set(op.addr, { end: op.addr + op.size, state: 'busy', line: op.line });
        }
      } else if (op.kind === 'l') {
        const h = history.get(op.addr);
        if (h) h.state = 'lazy';
        const va = byRecorded.get(op.addr);
        if (!va) {
          if (failedHere.delete(op.addr)) res.skippedFrees++;
          else res.unknownFrees.push({ line: op.line, addr: hex(op.addr) });
          continue;
        }
        byRecorded.delete(op.addr);
        const live = alloc.find_vmap_area(va.va_start);
        if (!live) {
          res.unknownFrees.push({ line: op.line, addr: hex(op.addr) });
          continue;
        }
        res.lazyFrees++;
        traceNrLazy = null;
        const before = alloc.vmap_lazy_nr;
        const pages = Math.floor((live.va_end - live.va_start) / 0x1000);
        alloc.free_unmap_vmap_area(live);
        const nr = traceNrLazy ?? before + pages;
        if (nr === op.nr_lazy) res.nrLazyMatched++;
        if (deferred && nr > alloc.lazy_max_pages() && queuedNrLazy === null) queuedNrLazy = nr;
      } else {
        const a = alloc;
        const purge = () => {
          if (op.kind === 'w') {
            if (worker) worker.run_pending_work();
            return;
          }
          // An explicit purge: vm_unmap_aliases() where the version has it.
          const un = (a as Partial<{ vm_unmap_aliases(): void }>).vm_unmap_aliases;
          if (typeof un === 'function') un.call(a);
          else a.purge_vmap_area_lazy();
        };
        // The ranges held until this purge go back to the free tree at its
        // start (its decay_va_pool_node()), before anything it refills.
        if (nodal) for (const va of releaseAfter.get(i) ?? []) nodal.free_vmap_area(va);
        releaseAfter.delete(i);
        const next = stream.ops[i + 1];
        if (deferred && next && next.kind === 'a' && next.pid !== op.pid && chosenBeforePurge(next)) {
          // The purge runs inside the next allocation (its op stays this one).
          res.purgesInsideAlloc.push({ line: op.line, alloc: next.line });
          runInsideNext = () => {
            const k = curOp;
            const t = a.touches;
            curOp = i;
            purge();
            curOp = k;
            purgeTouches += a.touches - t; // the purge's, not the allocation's
          };
          // If its request finds the pool empty, it does so before this purge.
          if (infer) infer.foundEmpty(next, i);
        } else purge();
      }
      // Recorded purges at this op clear the recorded history's lazy areas.
      if (recordedPurgeAt.has(i)) for (const [s, h] of history) if (h.state === 'lazy') history.delete(s);
    }
    if (nodal && stream.ops.length) afterOp(stream.ops.length - 1);
  } catch (e) {
    res.error = e instanceof Error ? e.message : String(e);
  }

  res.share = res.allocations ? res.sameAddress / res.allocations : 1;
  res.touchesPerAlloc = res.allocations ? touches / res.allocations : 0;
  res.purges = emulatedPurges.length;
  const pages = emulatedPurges.map((p) => (p.end - p.start) / 0x1000);
  res.flushPagesTotal = pages.reduce((x, y) => x + y, 0);
  res.flushPagesMean = pages.length ? res.flushPagesTotal / pages.length : 0;

  for (const [k, r] of stream.purges.entries()) {
    const e = emulatedPurges[k] ?? null;
    const c: PurgeComparison = {
      recorded: r,
      emulated: e,
      // At the recorded point, or inline in the free that queued it when
      // the kworker ran right after that free.
      samePoint: !!e && (e.op === r.op || (e.op === r.trigger && r.op === r.trigger + 1)),
      sameTrigger: !!e && (r.nr_lazy === null || e.nr_lazy === r.nr_lazy),
      sameCount: !!e && e.num_purged === r.num_purged,
      sameRange: !!e && e.start === r.start && e.end === r.end,
    };
    res.comparisons.push(c);
    if (c.samePoint && c.sameTrigger && c.sameCount && c.sameRange) res.purgesMatched++;
    else if (!res.firstPurgeMismatch) res.firstPurgeMismatch = c;
  }

  if (infer) {
    res.inferredPooled = infer.hints.pooled.length;
    res.inferredAreaNodes = infer.hints.areaCpu.size;
    res.inferredHeld = infer.hints.held.length;
    res.inferredDecayed = infer.hints.decayed.length;
    res.inferenceStopped = infer.stopped;
  }
  const final = withoutHeld(alloc.snapshot(), opts.infer ?? hints, Infinity);
  res.final = final;
  if (opts.after) {
    const c = compareWithInfo(final, opts.after);
    res.after = { busy: c.busy, lazy: c.lazy, busyDiff: c.busyDiff, lazyDiff: c.lazyDiff };
  }
  return res;
}

/** Why the version put an allocation elsewhere than the kernel did. */
function explain(
  alloc: VmapAllocator,
  op: Extract<TraceOp, { kind: 'a' }>,
  i: number,
  actual: ulong | null,
  history: Map<ulong, { end: ulong; state: 'busy' | 'lazy'; line: number }>,
  emulated: EmulatedPurge[],
  recorded: RecordedPurge[],
): FirstDivergence {
  const snap = alloc.snapshot();
  // The state before the op: the new area taken out again.
  const areas = actual === null ? snap.areas : snap.areas.filter((a) => !(a.start === actual && a.state === 'busy'));
  const fmt = (x: ulong | null) => (x === null ? 'failed (EBUSY)' : `0x${hex(x)} (${udec(x)})`);
  const reasons: string[] = [];
  const purgesBefore = (list: { op: number }[]) => list.filter((p) => p.op < i).length;
  const pe = purgesBefore(emulated);
  const pr = purgesBefore(recorded);
  if (pe !== pr) reasons.push(`purge timing: ${pe} purge(s) before this op in the emulation against ${pr} recorded`);
  if (op.addr !== null) {
    const here = overlapping(areas, op.addr, op.addr + op.size);
    if (here.length)
      reasons.push(
        `the recorded range [${hex(op.addr)}, ${hex(op.addr + op.size)}) is not free in the emulation: ${here
          .map((a) => `[${hex(a.start)}, ${hex(a.end)}) ${a.state}`)
          .join(', ')}`,
      );
    else reasons.push(`the recorded range [${hex(op.addr)}, ${hex(op.addr + op.size)}) is free in the emulation too`);
  }
  if (actual !== null) {
    const hist = [...history.entries()].filter(([s, h]) => ult(s, actual + op.size) && ult(actual, h.end));
    if (hist.length)
      reasons.push(
        `in the recorded history [${hex(actual)}, ${hex(actual + op.size)}) was not free: ${hist
          .map(([s, h]) => `[${hex(s)}, ${hex(h.end)}) ${h.state} (line ${h.line})`)
          .join(', ')}`,
      );
    else if (op.addr !== null && ult(actual, op.addr))
      reasons.push(
        `the emulation found a lower hole at ${hex(actual)} that the recorded history shows free: the kernel did not take it (a range used outside the trace, a pool, or a search that is not lowest-fit)`,
      );
    else if (op.addr !== null)
      reasons.push(`the emulation chose a higher address: this version's search or pools differ`);
  }
  return {
    op: i,
    line: op.line,
    text: `alloc_vmap_area size=${udec(op.size)} align=${udec(op.align)} vstart=0x${hex(op.vstart)} vend=0x${hex(op.vend)}`,
    expected: fmt(op.addr),
    actual: fmt(actual),
    reason: reasons.join('; '),
    around: formatSnapshot({ ...snap, areas }, op.addr ?? actual ?? undefined, 16),
  };
}

/** The first piece of [s, e) outside the (sorted, disjoint) ranges, or null. */
function unusedPiece(used: { start: ulong; end: ulong }[], s: ulong, e: ulong): { start: ulong; end: ulong } | null {
  let lo = 0;
  let hi = used.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (ule(used[m]!.end, s)) lo = m + 1;
    else hi = m;
  }
  let cur = s;
  for (let k = lo; k < used.length && ult(used[k]!.start, e); k++) {
    if (ult(cur, used[k]!.start)) return { start: cur, end: used[k]!.start };
    if (ult(cur, used[k]!.end)) cur = used[k]!.end;
  }
  return ult(cur, e) ? { start: cur, end: e } : null;
}

/** The largest pooled area of 6.12's vmap-node pools (MAX_VA_SIZE_PAGES), in pages. */
export const MAX_POOLED_PAGES = 256;

type AllocOp = Extract<TraceOp, { kind: 'a' }>;

const byStart = (x: { start: ulong }, y: { start: ulong }) => (x.start === y.start ? 0 : ult(x.start, y.start) ? -1 : 1);

/**
 * The inference of pool contents, as the replay goes (replayOnVersion with
 * opts.infer; see inferPools). At an allocation the emulation places
 * elsewhere than the kernel, for a request node_alloc() serves from a pool
 * (the whole vmalloc range, at most 256 pages, several nodes), the
 * emulated area is given back and the kernel's choice explained, in this
 * order, each time from what the trace shows:
 *  1. the kernel's range is an area of the snapshot (unpurged, or busy and
 *     freed in the trace), a purge has run since it was freed, and no
 *     request since that purge found this pool empty: a node_alloc() on
 *     this CPU's node had allocated it, and its purge parked it in this
 *     pool (hints.areaCpu);
 *  2. no purge has run yet, no earlier request found this pool empty, and
 *     neither the snapshot nor the trace has used the kernel's range: it
 *     was in this pool when recording started (hints.pooled);
 *  3. the kernel's range sits in an emulated pool, after a purge: the
 *     kernel's pool, longer, had decayed it back to the free tree at the
 *     last purge (hints.decayed);
 *  4. the emulation took a lower range: the kernel did not have it free.
 *     Its range, less what the kernel allocates before the next purge, was
 *     parked in some pool the emulation does not know; held from the last
 *     purge before (from the start if neither the snapshot nor the trace
 *     used it before) until the last purge before the kernel uses it
 *     (hints.held).
 * The change is made to the emulated state in place (as if seeded), and
 * the allocation runs again. A seeded replay (opts.hints) checks the result.
 */
class Inference {
  /** Per pool, the last request that found it empty. */
  private readonly emptied = new Map<object, number>();
  /** Per pool, the op before which the next request found it empty (a purge run inside that request). */
  private readonly emptiedBefore = new Map<object, number>();
  /** The recorded allocations, in op order. */
  private readonly allocs: { op: number; start: ulong; end: ulong }[] = [];
  /** Ops with a recorded purge, ascending. */
  private readonly purgeOps: number[];
  private readonly lazyBefore: { start: ulong; end: ulong }[];
  stopped: string | null = null;

  constructor(
    readonly hints: PoolHints,
    private readonly a: VmapAllocator & NodeSeedable,
    private readonly env: { VMALLOC_START: ulong; VMALLOC_END: ulong },
    private readonly stream: OpStream,
    private readonly before: Vmallocinfo,
    private readonly release: (afterOp: number, va: vmap_area_common) => void,
  ) {
    stream.ops.forEach((o, k) => {
      if (o.kind === 'a' && o.addr !== null) this.allocs.push({ op: k, start: o.addr, end: o.addr + o.size });
    });
    this.purgeOps = [...new Set(stream.purges.map((p) => p.op))].sort((x, y) => x - y);
    this.lazyBefore = before.areas.filter((x) => x.kind === 'lazy');
  }

  /** The first index of allocs with op > k. */
  private allocAfter(k: number): number {
    let lo = 0;
    let hi = this.allocs.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (this.allocs[m]!.op <= k) lo = m + 1;
      else hi = m;
    }
    return lo;
  }

  /** [s, e) overlaps an area of the snapshot (lazy ones only, if onlyLazy) or an allocation recorded before op i. */
  private touched(s: ulong, e: ulong, i: number, onlyLazy = false): boolean {
    const hit = (x: { start: ulong; end: ulong }) => ult(x.start, e) && ult(s, x.end);
    if ((onlyLazy ? this.lazyBefore : this.before.areas).some(hit)) return true;
    for (let k = 0, n = this.allocAfter(i - 1); k < n; k++) if (hit(this.allocs[k]!)) return true;
    return false;
  }

  /** The last recorded purge op before op i, or -1. */
  private purgeBefore(i: number): number {
    let r = -1;
    for (const p of this.purgeOps) if (p < i) r = p;
    return r;
  }

  /**
   * [R, R + size) is exactly an area of the snapshot, not yet given a node,
   * that was freed (before the trace if unpurged, else by a free of the
   * trace before op i) and then purged before op i: the op of that purge,
   * else null.
   */
  private snapshotBack(R: ulong, size: ulong, i: number, purges: EmulatedPurge[]): number | null {
    const snap = this.before.areas.find((x) => x.start === R && x.end === R + size);
    if (!snap || this.hints.areaCpu.has(R)) return null;
    let freed = -1;
    if (snap.kind !== 'lazy') {
      freed = Infinity;
      for (let k = 0; k < i; k++) {
        const o = this.stream.ops[k]!;
        if (o.kind === 'l' && o.addr === R) {
          freed = k;
          break;
        }
      }
    }
    const back = purges.find((p) => p.op > freed && p.op < i);
    return back ? back.op : null;
  }

  /** The allocation of op i, explained where the emulation differs. */
  alloc(op: AllocOp, i: number, purges: EmulatedPurge[]): vmap_area_common | ERR_PTR {
    const a = this.a;
    const cpu = op.cpu;
    const pooled = op.vstart === this.env.VMALLOC_START && op.vend === this.env.VMALLOC_END && op.size / PAGE <= MAX_POOLED_PAGES;
    const pool = pooled ? a.pool_of(cpu, op.size) : null;
    const tried = new Set<string>();
    for (;;) {
      const len = pool ? pool.len : 0;
      const va = a.alloc_vmap_area(op.size, op.align, op.vstart, op.vend);
      const actual = IS_ERR(va) ? null : va.va_start;
      if (actual === op.addr || !pool || op.addr === null || actual === null) {
        if (pool && len === 0) this.emptied.set(pool, this.emptiedBefore.get(pool) ?? i);
        if (pool) this.emptiedBefore.delete(pool);
        return va;
      }
      const R = op.addr;
      const last = this.emptied.get(pool);
      const back = this.snapshotBack(R, op.size, i, purges);
      if (pool.len < len) {
        // From the pool, not the area the kernel's pool gave. An unpurged
        // area of the snapshot given this node by default: the kernel had
        // it in another node's pool.
        const x = this.lazyBefore.find((l) => l.start === actual && l.end === actual + op.size);
        const other = (cpu + 1) % a.nr_vmap_nodes;
        if (x && this.hints.lazyRest !== null && !this.hints.areaCpu.has(actual) && a.repool(x.start, x.end, other, false, true)) {
          this.hints.areaCpu.set(actual, { cpu: other, line: op.line });
          continue;
        }
        // An area of the snapshot the trace freed, back from a purge and
        // free here: the kernel's pool had it first (rule 1).
        if (back !== null && (last === undefined || last <= back) && a.repool(actual, actual + op.size, cpu, true, true)) {
          if (a.hold_range(R, R + op.size, true, cpu)) {
            this.hints.areaCpu.set(R, { cpu, line: op.line });
            continue;
          }
          return this.stop(op, a.alloc_vmap_area(op.size, op.align, op.vstart, op.vend), 'the emulated pool handed out another area');
        }
        return this.stop(op, va, 'the emulated pool handed out another area');
      }
      const key = `${actual}`;
      if (tried.has(key)) return this.stop(op, va, 'an inference did not change the emulation\'s choice');
      tried.add(key);
      // Give the emulated area back; explain the kernel's choice.
      a.free_vmap_area(va as vmap_area_common);
      if (back !== null && (last === undefined || last <= back) && (a.hold_range(R, R + op.size, true, cpu) || a.repool(R, R + op.size, cpu, true))) {
        this.hints.areaCpu.set(R, { cpu, line: op.line });
        continue;
      }
      const at = this.purgeBefore(i);
      if (at >= 0 && a.unpool(R, R + op.size)) {
        // Still in an emulated pool: the kernel's (longer) pool had decayed it.
        this.hints.decayed.push({ start: R, end: R + op.size, at, line: op.line });
        continue;
      }
      if (!purges.length && last === undefined && !this.touched(R, R + op.size, i) && a.hold_range(R, R + op.size, true, cpu)) {
        this.hints.pooled.push({ cpu, start: R, end: R + op.size, line: op.line });
        continue;
      }
      if (ult(actual, R)) {
        const next = this.purgeOps.find((p) => p >= i) ?? Infinity;
        // Less what the kernel allocates before the next purge.
        const uses: { start: ulong; end: ulong }[] = [];
        for (let k = this.allocAfter(i - 1); k < this.allocs.length && this.allocs[k]!.op < next; k++) uses.push(this.allocs[k]!);
        const piece = unusedPiece(coalesce(uses.sort(byStart)), actual, actual + op.size);
        if (piece) {
          let until: number | null = null;
          for (let k = this.allocAfter(i); k < this.allocs.length; k++) {
            const x = this.allocs[k]!;
            if (ult(x.start, piece.end) && ult(piece.start, x.end)) {
              until = this.purgeBefore(x.op);
              break;
            }
          }
          // Used before (or held before and given back): held from the last purge only.
          const used = this.touched(piece.start, piece.end, i) || this.hints.held.some((h) => ult(h.start, piece.end) && ult(piece.start, h.end));
          const from = used ? this.purgeBefore(i) : -1;
          const held = (until === null || until > i) && (from >= 0 || !used) ? a.hold_range(piece.start, piece.end, false) : null;
          if (held) {
            this.hints.held.push({ start: piece.start, end: piece.end, from, until, line: op.line });
            if (until !== null) this.release(until, held);
            continue;
          }
        }
      }
      return this.stop(op, a.alloc_vmap_area(op.size, op.align, op.vstart, op.vend), 'no pool explains it');
    }
  }

  /** The request of `op` found its pool empty at op k (before the purge of op k ran inside it). */
  foundEmpty(op: AllocOp, k: number): void {
    const pool = this.a.pool_of(op.cpu, op.size);
    if (pool && pool.len === 0) this.emptiedBefore.set(pool, k);
  }

  private stop(op: AllocOp, va: vmap_area_common | ERR_PTR, why: string): vmap_area_common | ERR_PTR {
    const pool = this.a.pool_of(op.cpu, op.size);
    if (pool && pool.len === 0) this.emptied.set(pool, Infinity);
    if (!this.stopped) this.stopped = `line ${op.line}: ${why}`;
    return va;
  }
}

export interface PoolInference {
  hints: PoolHints;
  /** The first allocation the inference could not explain, and why (null if none). */
  stopped: string | null;
  /** The seeded replay that checked the hints (null when nothing was inferred). */
  replay: VersionReplay | null;
}

/** The version has vmap nodes with pools at this CPU count. */
export function hasNodePools(name: string, cpus: number): boolean {
  const a = getVersion(name).create(defaultEnv({ ncpu: cpus }));
  return isNodeSeedable(a) && a.nr_vmap_nodes > 1;
}

/**
 * Infer the pool contents the before snapshot cannot show (a version with
 * vmap nodes; nothing for others or at one CPU): one replay that explains
 * each allocation placed elsewhere by a pool (the Inference class), then a
 * replay seeded with what it found. Which node the other unpurged areas of
 * the snapshot carry is a hypothesis tried in turn (none: they go back to
 * the free tree when purged, or each node in turn): the one whose seeded
 * replay places the most allocations at the recorded address wins (the
 * first on a tie).
 */
export function inferPools(name: string, stream: OpStream, before: Vmallocinfo, opts: ReplayOptions): PoolInference {
  if (!hasNodePools(name, opts.cpus)) return { hints: emptyHints(), stopped: null, replay: null };
  const nodes = Math.min(opts.cpus, 128);
  let best: PoolInference | null = null;
  for (const rest of [null, ...Array.from({ length: nodes <= 4 ? nodes : 0 }, (_, k) => k)]) {
    const hints = emptyHints();
    hints.lazyRest = rest;
    const r = replayOnVersion(name, stream, before, { ...opts, hints: undefined, infer: hints });
    const checked = replayOnVersion(name, stream, before, { ...opts, hints, infer: undefined });
    const cand = { hints, stopped: r.error ?? r.inferenceStopped, replay: checked };
    if (!best || (best.replay as VersionReplay).sameAddress < checked.sameAddress) best = cand;
    if (checked.sameAddress === checked.allocations) break;
  }
  return best as PoolInference;
}

export interface TracefsReplay {
  trace: string;
  before: string;
  after: string | null;
  cpus: number;
  events: number;
  ops: number;
  /** Ops by kind: allocations, lazy frees, drain-work runs, explicit purges. */
  opKinds: { a: number; l: number; w: number; p: number };
  recordedPurges: number;
  emptyPurges: number;
  /** Purge lines placed elsewhere than at their line. */
  movedPurges: number;
  /** Free lines swapped with the next one (orderLazyFrees). */
  swappedFrees: number;
  versions: VersionReplay[];
}

/** Replay on each named version. */
export function replayTracefs(trace: TracefsTrace, before: Vmallocinfo, kernels: string[], opts: ReplayOptions): TracefsReplay {
  const stream = buildOps(trace, before);
  return {
    trace: trace.file,
    before: before.file,
    after: opts.after?.file ?? null,
    cpus: opts.cpus,
    events: trace.events.length,
    ops: stream.ops.length,
    opKinds: {
      a: stream.ops.filter((o) => o.kind === 'a').length,
      l: stream.ops.filter((o) => o.kind === 'l').length,
      w: stream.ops.filter((o) => o.kind === 'w').length,
      p: stream.ops.filter((o) => o.kind === 'p').length,
    },
    recordedPurges: stream.purges.length,
    emptyPurges: stream.emptyPurges,
    movedPurges: stream.moved.length,
    swappedFrees: stream.swappedFrees.length,
    versions: kernels.map((k) => {
      if (opts.inferPools === false) return replayOnVersion(k, stream, before, opts);
      const inf = inferPools(k, stream, before, opts);
      if (!inf.replay) return replayOnVersion(k, stream, before, opts);
      inf.replay.inferenceStopped = inf.stopped;
      inf.replay.lazyRest = inf.hints.lazyRest;
      return inf.replay;
    }),
  };
}
