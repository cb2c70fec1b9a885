// SPDX-License-Identifier: GPL-2.0-only
/*
 * Replay a golden trace on the version its header names and compare, op for
 * op, the result, every event (flush, purged, bug, warn) and the state line.
 */

import { isKernelBug } from '../../kernel/include/asm-generic/bug.js';
import { errname, IS_ERR } from '../../kernel/include/linux/errno.js';
import { hex, type ulong } from '../../kernel/include/u64.js';
import { type AllocatorSnapshot, defaultEnv, NOOP_HOOK, type VmallocHooks, type VmapAllocator } from '../../kernel/mm/vmalloc/common.js';
import { findVersion, versionNames } from '../../kernel/mm/vmalloc/index.js';
import { WASM_SUFFIX, wasmCoreNames } from '../../kernel/manifest/index.js';
import { InputError } from '../lib/input-error.js';
import { readText } from '../lib/read-text.js';
import { type GoldenBlock, type GoldenTrace, parseGolden } from './golden-format.js';

export interface Divergence {
  file: string;
  /** 1-based index of the op. */
  op: number;
  /** Line of the first differing text. */
  line: number;
  what: 'result' | 'events' | 'state' | 'end' | 'header' | 'lookup';
  expected: string;
  actual: string;
  /** The allocator as it stood after the op (or before, for a lookup failure). */
  snapshot: AllocatorSnapshot;
}

export interface ReplayResult {
  file: string;
  variant: string;
  workload: string;
  ops: number;
  allocs: number;
  /** rb_entry/list_entry evaluations inside alloc_vmap_area, summed. */
  allocTouches: number;
  bug: string | null;
  divergence: Divergence | null;
}

/** Hooks that record the events the golden format shows. */
export function recordingHooks(events: string[]): VmallocHooks {
  return {
    flush_tlb_kernel_range(start: ulong, end: ulong) {
      events.push(`flush ${hex(start)} ${hex(end)}`);
    },
    vunmap_page_range: NOOP_HOOK,
    flush_cache_vunmap: NOOP_HOOK,
    purge_fragmented_blocks_allcpus: NOOP_HOOK,
    purged(nr: number) {
      events.push(`purged ${nr}`);
    },
    warn(w) {
      events.push(`warn ${w.func}:${w.line} ${w.cond}`);
    },
  };
}

function firstEventMismatch(block: GoldenBlock, actual: string[]): { line: number; expected: string; actual: string } | null {
  const n = Math.max(block.events.length, actual.length);
  for (let k = 0; k < n; k++) {
    if (block.events[k] !== actual[k]) {
      return {
        line: block.line + 1 + Math.min(k, block.events.length),
        expected: block.events[k] !== undefined ? `! ${block.events[k]}` : '(no more events)',
        actual: actual[k] !== undefined ? `! ${actual[k]}` : '(no more events)',
      };
    }
  }
  return null;
}

/** How to replay: `wasm` runs the version's wasm core (`<variant>@wasm`, docs/wasm.md) instead of its TypeScript port. */
export interface ReplayOptions {
  readonly wasm?: boolean;
}

/** Replay a parsed trace. */
export function replayGoldenTrace(trace: GoldenTrace, opts: ReplayOptions = {}): ReplayResult {
  const { header, file } = trace;
  const known = findVersion(header.variant);
  if (!known) throw new InputError(file, 2, `variant: unknown version "${header.variant}" (known: ${versionNames().join(', ')})`);
  const info = opts.wasm ? findVersion(header.variant + WASM_SUFFIX) : known;
  if (!info) throw new InputError(file, 2, `variant: ${header.variant} has no wasm core (there is one for ${wasmCoreNames().join(', ')})`);
  const events: string[] = [];
  const alloc: VmapAllocator = info.create(
    defaultEnv({ ncpu: header.ncpu, VMALLOC_START: header.vmalloc_start, VMALLOC_END: header.vmalloc_end, hooks: recordingHooks(events) }),
  );
  const res: ReplayResult = {
    file,
    variant: info.name,
    workload: header.workload,
    ops: 0,
    allocs: 0,
    allocTouches: 0,
    bug: null,
    divergence: null,
  };
  const diverge = (op: number, line: number, what: Divergence['what'], expected: string, actual: string): ReplayResult => {
    res.divergence = { file, op, line, what, expected, actual, snapshot: alloc.snapshot() };
    return res;
  };

  if (alloc.lazy_max_pages() !== header.lazy_max_pages)
    return diverge(0, 5, 'header', `lazy_max_pages: ${hex(header.lazy_max_pages)}`, `lazy_max_pages: ${hex(alloc.lazy_max_pages())}`);

  for (const [k, b] of trace.blocks.entries()) {
    const opno = k + 1;
    const op = b.op;
    events.length = 0;
    let result = '';
    let bugged = false;
    try {
      switch (op.kind) {
        case 'a': {
          const t0 = alloc.touches;
          res.allocs++;
          try {
            const va = alloc.alloc_vmap_area(op.size, op.align, op.vstart, op.vend);
            result = IS_ERR(va) ? errname(va) : hex(va.va_start);
          } finally {
            res.allocTouches += alloc.touches - t0;
          }
          break;
        }
        case 'f':
        case 'l': {
          const va = alloc.find_vmap_area(op.addr);
          if (!va) return diverge(opno, b.line, 'lookup', `a live area at ${hex(op.addr)}`, 'find_vmap_area() found none');
          if (op.kind === 'f') alloc.free_vmap_area(va);
          else alloc.free_unmap_vmap_area(va);
          break;
        }
        case 'p':
          alloc.purge_vmap_area_lazy();
          break;
      }
    } catch (e) {
      if (!isKernelBug(e)) throw e;
      events.push(`bug ${e.site}`);
      res.bug = e.site;
      result = 'BUG';
      bugged = true;
    }
    if (op.kind === 'a') {
      const expected = op.result === 'EBUSY' || op.result === 'BUG' ? op.result : hex(op.result.addr);
      if (expected !== result) {
        const prefix = b.text.slice(0, b.text.lastIndexOf('-> ') + 3);
        return diverge(opno, b.line, 'result', b.text, prefix + result);
      }
    }
    const ev = firstEventMismatch(b, events);
    if (ev) return diverge(opno, ev.line, 'events', ev.expected, ev.actual);
    const state = alloc.golden_state();
    if (state !== b.state) return diverge(opno, b.stateLine, 'state', `= ${b.state}`, `= ${state}`);
    if (bugged) break;
    res.ops++;
  }

  const endStatus = res.bug ? 'bug' : 'ok';
  const expectedEnd = `# end: ${trace.end.status} ops=${trace.end.ops}`;
  const actualEnd = `# end: ${endStatus} ops=${res.ops}`;
  if (expectedEnd !== actualEnd) return diverge(res.ops, trace.end.line, 'end', expectedEnd, actualEnd);
  return res;
}

/** Read, parse and replay one golden trace file. */
export function replayGoldenFile(file: string, opts: ReplayOptions = {}): ReplayResult {
  return replayGoldenTrace(parseGolden(file, readText(file)), opts);
}

/** An address map of a snapshot, one area per line. */
export function formatSnapshot(s: AllocatorSnapshot, around?: ulong, max = 40): string {
  const out: string[] = [`state: ${s.state}`, `areas (${s.areas.length}):`];
  let list = s.areas;
  if (list.length > max) {
    let centre = 0;
    if (around !== undefined) {
      const idx = list.findIndex((a) => a.start === around || a.end > around);
      centre = idx < 0 ? list.length - 1 : idx;
    }
    const lo = Math.max(0, Math.min(centre - max / 2, list.length - max));
    out.push(`  ... ${lo} areas before`);
    list = list.slice(lo, lo + max);
  }
  for (const a of list) out.push(`  [${hex(a.start)}, ${hex(a.end)}) ${(a.end - a.start) / 0x1000} pages ${a.state}`);
  if (s.free) {
    out.push(`free blocks (${s.free.length}):`);
    for (const f of s.free.slice(0, max)) out.push(`  [${hex(f.start)}, ${hex(f.end)})`);
    if (s.free.length > max) out.push(`  ... ${s.free.length - max} more`);
  }
  return out.join('\n');
}

/** The one-paragraph report of a divergence. */
export function formatDivergence(d: Divergence): string {
  return [
    `${d.file}:${d.line}: divergence at op ${d.op} (${d.what})`,
    `  expected: ${d.expected}`,
    `  actual:   ${d.actual}`,
    formatSnapshot(d.snapshot),
  ].join('\n');
}

/** The one-line summary of a replay that matched. */
export function formatSummary(r: ReplayResult): string {
  const t = r.allocs ? (r.allocTouches / r.allocs).toFixed(1) : '0';
  return `${r.file}: ok ${r.variant} ${r.workload}: ${r.ops} ops, ${r.allocs} allocs, ${t} touches/alloc${r.bug ? `, ends in BUG ${r.bug}` : ''}`;
}
