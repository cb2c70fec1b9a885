// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which branch an allocator took for one operation, told from the outside:
 * the version's fields and snapshot before the op, and its result, touch
 * count and snapshot after, read as the allocator's manifest says
 * (kernel/manifest/: its cache and search capabilities). Nothing in the ports is changed or called
 * beyond reading fields; the conditions re-evaluated here are the ports'
 * own (alloc_vmap_area's cache test and the walk's starting point).
 */

import { PAGE_SIZE } from '../../kernel/include/asm/page.js';
import { ALIGN, hex, ule, ult, type ulong } from '../../kernel/include/u64.js';
import type { AllocatorSnapshot, VmapAllocator } from '../../kernel/mm/vmalloc/common.js';
import { type CacheCaps, capsOf } from '../../kernel/manifest/index.js';
import type { CheckOp } from './ops.js';
import type { OpOutcome } from './side.js';

interface Before {
  readonly snap: AllocatorSnapshot;
  readonly touches: number;
  readonly start: string;
  readonly lazy: number;
}

type Fields = Record<string, unknown>;

/** The cache decision of a cache version for this request, from its fields and its manifest's cache capability. */
function cacheDecision(a: VmapAllocator, cc: CacheCaps, gap: number, op: Extract<CheckOp, { k: 'a' }>): string {
  const f = a as unknown as Fields;
  const cache = f.free_vmap_cache as { va_start: ulong; va_end: ulong } | null;
  const hole = f.cached_hole_size as ulong;
  const le = cc.holeTest === '<=';
  const cstart = f[cc.startField] as ulong;
  const calign = f.cached_align as ulong;
  const area = (v: { va_start: ulong; va_end: ulong }) => `[${hex(v.va_start)}, ${hex(v.va_end)})`;
  const descent = `descent from vstart (ALIGN(vstart, align) = ${hex(ALIGN(op.vstart, op.align))})`;
  if (cc.off) return `cache switched off (free_vmap_cache reset to NULL): ${descent}`;
  if (!cache) return `no cache: ${descent}`;
  if (cc.family === 'draft') {
    // Nick's first patch and Minchan's rework: cached_start holds the aligned vstart; no align or vstart test.
    const start = ALIGN(op.vstart, op.align);
    if (ule(op.size, hole)) return `cache dropped (size ${hex(op.size)} <= cached_hole_size ${hex(hole)}): ${descent}`;
    if (ult(start, cstart)) return `cache dropped (ALIGN(vstart, align) ${hex(start)} below cached_start ${hex(cstart)}): ${descent}`;
    const first = ALIGN(cache.va_end + PAGE_SIZE, op.align);
    return `cache hit: walk from the cached area ${area(cache)}, first candidate ${hex(first)}${ult(first, op.vstart) ? ' (below vstart: the patch does not test it)' : ''}`;
  }
  if (le ? ule(op.size, hole) : ult(op.size, hole))
    return `cache dropped (size ${hex(op.size)} ${le ? '<=' : '<'} cached_hole_size ${hex(hole)}): ${descent}`;
  if (ult(op.vstart, cstart)) return `cache dropped (vstart below cached ${cc.startField} ${hex(cstart)}): ${descent}`;
  if (ult(op.align, calign)) return `cache dropped (align ${hex(op.align)} < cached_align ${hex(calign)}): ${descent}`;
  const addr = ALIGN(cache.va_end + gap, op.align);
  if (ult(addr, op.vstart)) return `cache area ${area(cache)} ends below vstart, goto nocache: ${descent}`;
  return `cache hit: walk from the cached area ${area(cache)}, first candidate ${hex(addr)}`;
}

/** Record what is needed to explain the op before it runs. */
export function beforeOp(a: VmapAllocator, op: CheckOp): Before {
  let start = '';
  const caps = capsOf(a);
  if (op.k === 'a' && caps) {
    if (caps.cache) start = cacheDecision(a, caps.cache, caps.cache.gap, op);
    else if (caps.search === 'free-tree-5.2') start = `lowest-match search of the free tree for size + align - 1 = ${hex(op.size + op.align - 1)} from vstart`;
    else if (caps.search === 'free-tree')
      start = `lowest-match search of the free tree for ${ule(op.align, PAGE_SIZE) || op.vend - op.vstart === op.size ? `size ${hex(op.size)}` : `size + align - 1 = ${hex(op.size + op.align - 1)}`} from vstart`;
    else if (caps.search === 'lowest-fit-scan') start = `lowest fit scan from ALIGN(vstart, align) = ${hex(ALIGN(op.vstart, op.align))}`;
    else start = `descent from vstart (ALIGN(vstart, align) = ${hex(ALIGN(op.vstart, op.align))}), then the rb_next walk`;
  } else if (op.k === 'a') start = `an allocator without a manifest: ALIGN(vstart, align) = ${hex(ALIGN(op.vstart, op.align))}`;
  return { snap: a.snapshot(), touches: a.touches, start, lazy: a.vmap_lazy_nr };
}

/** One line: the branch taken, with what it led to. */
export function describeBranch(a: VmapAllocator, op: CheckOp, before: Before, o: OpOutcome | null): string {
  if (!o) return 'threw a JavaScript exception';
  const touched = a.touches - before.touches;
  const purge = o.events.filter((e) => e.startsWith('purged ')).map((e) => e.slice(7));
  const purgeText = purge.length ? `; purged ${purge.join('+')} lazy area(s)` : '';
  if (!o.ran) return 'nothing live: the free was skipped';
  if (op.k === 'a') {
    let tail: string;
    if (o.result === 'BUG') tail = `BUG ${o.bug}`;
    else if (o.result === 'EBUSY') tail = `no fit${purge.length ? ' even after the purge and retry' : ', purge found nothing, -EBUSY'}`;
    else {
      const at = o.result;
      const below = before.snap.areas.filter((v) => ult(v.start, fromHex(at)) && !ult(v.start, op.vstart)).length;
      tail = `placed at ${at} (${below} area(s) between vstart and it)`;
      const free = before.snap.free;
      if (free) {
        const A = fromHex(at);
        const blk = free.find((b) => ule(b.start, A) && ult(A, b.end));
        if (blk) {
          const type = blk.start === A ? (blk.end === A + op.size ? 'FL' : 'LE') : blk.end === A + op.size ? 'RE' : 'NE';
          tail += ` from free block [${hex(blk.start)}, ${hex(blk.end)}), ${type}_FIT_TYPE`;
        }
      }
    }
    return `${before.start}; ${tail}${purgeText}; ${touched} rb_entry/list_entry evaluations`;
  }
  if (op.k === 'p') return purge.length ? `purge: ${o.events.join('; ')}` : 'purge: nothing lazily freed, no flush';
  const what = op.k === 'f' ? 'free_vmap_area (immediate)' : `free_unmap_vmap_area (lazy): vmap_lazy_nr ${hex(before.lazy)} -> ${hex(a.vmap_lazy_nr)}`;
  return `${what} of ${o.line.slice(2)}${purgeText}`;
}

function fromHex(s: string): ulong {
  const v = BigInt('0x' + s);
  return Number(BigInt.asIntN(64, v));
}
