// SPDX-License-Identifier: GPL-2.0-only
/*
 * Replay a real kernel's vmalloc trace (tracefs text, scripts/tracefs/parse.ts)
 * on the ported allocator versions, starting from the /proc/vmallocinfo
 * snapshot read just before recording (scripts/tracefs/vmallocinfo.ts).
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
 *    busy ranges (vm areas and vm_map_ram ranges) and unpurged ones.
 * 3. The ops run on it, in the trace environment (purge work inline). The
 *    purges it makes are taken from its flush/purged hooks.
 * 4. Compared: each allocation's address with the recorded one, each purge
 *    (where, what triggered it, how many areas, the flush range) with the
 *    recorded ones, and the end state with the after snapshot when given.
 */

import { IS_ERR } from '../../kernel/include/linux/errno';
import { hex, udec, ule, ult, ulong } from '../../kernel/include/u64';
import { AllocatorSnapshot, AreaView, defaultEnv, nullHooks, VmapAllocator, vmap_area_common } from '../../kernel/mm/vmalloc/common';
import { getVersion } from '../../kernel/mm/vmalloc/index';
import { capsOf } from '../../kernel/manifest/index';
import { formatSnapshot } from '../replay/golden';
import { TracefsTrace, VmallocEvent } from './parse';
import { Vmallocinfo, VmallocinfoArea } from './vmallocinfo';

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
    while (ai < allocs.length && allocs[ai].at < floor) ai++;
    let a = Infinity;
    for (let j = ai; j < allocs.length && allocs[j].at < Math.min(t, m); j++) {
      const x = allocs[j];
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
  const order = events.map((_, i) => i).sort((x, y) => key[x] - key[y] || x - y);
  return { events: order.map((i) => events[i]), moved, conflicts };
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

  const placed = placePurges(trace.events, before);
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
  return { ops, purges, emptyPurges, moved: placed.moved, conflicts: placed.conflicts };
}

/** The areas a snapshot gives the allocator. */
export function seedAreas(info: Vmallocinfo): { start: ulong; end: ulong; state: 'busy' | 'lazy'; vm_map_ram?: boolean }[] {
  return info.areas.map((a: VmallocinfoArea) => ({ start: a.start, end: a.end, state: a.kind === 'lazy' ? 'lazy' : 'busy', vm_map_ram: a.kind === 'vm_map_ram' }));
}

interface Seedable {
  seed_areas(areas: readonly { start: ulong; end: ulong; state: 'busy' | 'lazy'; vm_map_ram?: boolean }[]): void;
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
  alloc = info.create(defaultEnv({ ncpu: opts.cpus, hooks }));
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
  };
  if (!isSeedable(alloc)) {
    res.error = `${name} has no seed_areas(): cannot start from the snapshot`;
    return res;
  }
  alloc.seed_areas(seedAreas(before));
  const seeded = compareWithInfo(alloc.snapshot(), before);
  res.seededEqualsBefore = seeded.busy && seeded.lazy;

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
    for (let i = 0; i < stream.ops.length; i++) {
      const op = stream.ops[i];
      curOp = i;
      if (percpu) percpu.cpu = op.cpu < opts.cpus ? op.cpu : 0;
      if (op.kind === 'a') {
        res.allocations++;
        const t0 = alloc.touches;
        const va = alloc.alloc_vmap_area(op.size, op.align, op.vstart, op.vend);
        touches += alloc.touches - t0;
        const actual = IS_ERR(va) ? null : va.va_start;
        if (actual === op.addr) res.sameAddress++;
        else if (!res.firstDivergence) res.firstDivergence = explain(alloc, op, i, actual, history, emulatedPurges, stream.purges);
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
      } else if (op.kind === 'w') {
        if (worker) worker.run_pending_work();
      } else {
        // An explicit purge: vm_unmap_aliases() where the version has it.
        const un = (alloc as Partial<{ vm_unmap_aliases(): void }>).vm_unmap_aliases;
        if (typeof un === 'function') un.call(alloc);
        else alloc.purge_vmap_area_lazy();
      }
      // Recorded purges at this op clear the recorded history's lazy areas.
      if (recordedPurgeAt.has(i)) for (const [s, h] of history) if (h.state === 'lazy') history.delete(s);
    }
  } catch (e) {
    res.error = e instanceof Error ? e.message : String(e);
  }

  res.share = res.allocations ? res.sameAddress / res.allocations : 1;
  res.touchesPerAlloc = res.allocations ? touches / res.allocations : 0;
  res.purges = emulatedPurges.length;
  const pages = emulatedPurges.map((p) => (p.end - p.start) / 0x1000);
  res.flushPagesTotal = pages.reduce((x, y) => x + y, 0);
  res.flushPagesMean = pages.length ? res.flushPagesTotal / pages.length : 0;

  for (let k = 0; k < stream.purges.length; k++) {
    const r = stream.purges[k];
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

  const final = alloc.snapshot();
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
    versions: kernels.map((k) => replayOnVersion(k, stream, before, opts)),
  };
}
