// SPDX-License-Identifier: GPL-2.0-only
/*
 * A plain reference model of each version's placement rule: "the lowest
 * address that fits", written without any tree, cache or search trick, with
 * exact unsigned arithmetic (nothing wraps past 2^64: a range that would
 * reach 2^64 does not fit). `vmapsim check --against first-fit` runs it
 * beside the real port and reports the first operation where they part.
 *
 * The rules, per version (each declared in its manifest, kernel/manifest/,
 * as caps.firstFit; gaps are between a new area N = [a, a + size)
 * and every existing area E = [s, e), live or lazily freed):
 *
 *   linux-2.6.35, mmotm-2010-vmap-cache-v1
 *     N must start at least one page after E ends (a >= e + PAGE_SIZE: the
 *     walk steps to ALIGN(va_end + PAGE_SIZE, align)) or end at or before
 *     E starts (a + size <= s: the walk stops when addr + size > va_start
 *     is false, so N may end exactly where the next area begins).
 *   linux-2.6.39
 *     as above, but N must also end strictly before the next area starts
 *     (a + size < s: Hugh's walk condition addr + size >= va_start), so
 *     with page-aligned areas one free page is kept on both sides.
 *   linux-3.18, linux-5.2, linux-6.1, linux-6.12
 *     no gap: a >= e or a + size <= s.
 *
 *   Range: a = the lowest value >= vstart that is a multiple of align and
 *   satisfies the gap rule, and a + size <= vend. 5.2, 6.1 and 6.12 only ever
 *   hand out [1, ULONG_MAX) (vmap_init_free_space), so there a >= 1 and
 *   a + size <= 0xffffffffffffffff; the older versions have no such bound.
 *
 *   Lazy frees: a lazily freed area blocks its range until a purge.
 *   vmap_lazy_nr counts its pages; a lazy free that takes vmap_lazy_nr
 *   above lazy_max_pages() (fls(ncpu) * 32 MiB of pages) purges. A failed
 *   allocation purges and retries once, then gives -EBUSY. A purge that
 *   finds lazily freed areas reports one flush over [lowest start, highest
 *   end) of them and `purged N` (N areas); an empty purge reports nothing.
 *
 * Not modelled on purpose: anything a version does that is not "lowest
 * fit" (5.2's search for size + align - 1, the 2.6.x/3.18 wrap of ALIGN()
 * past 2^64, BUG_ONs). Those are exactly what the comparison should show.
 */

import { EBUSY, ERR_PTR } from '../../kernel/include/linux/errno.js';
import { PAGE_SIZE } from '../../kernel/include/asm/page.js';
import { ALIGN, fls, hex, ule, ult, ULONG_MAX, type ulong } from '../../kernel/include/u64.js';
import type { AllocatorSnapshot, VmallocEnv, VmapAllocator, vmap_area_common } from '../../kernel/mm/vmalloc/common.js';
import { type AllocatorCaps, BUILTIN_MANIFESTS, type FirstFitRule } from '../../kernel/manifest/index.js';

export interface FirstFitRules extends FirstFitRule {
  /** The version whose rule this is. */
  readonly version: string;
}

/** The rule of each allocator version, from its manifest (kernel/manifest/<name>.ts, caps.firstFit). */
export const FIRST_FIT_RULES: Record<string, FirstFitRules> = Object.fromEntries(
  BUILTIN_MANIFESTS.filter((m) => m.kind === 'version' && m.allocator.caps.firstFit).map((m) => [m.name, { version: m.name, ...(m.allocator.caps.firstFit as FirstFitRule) }]),
);

/** What the model is, for the capability readers (the branch describer, the invariant checker). */
export const FIRST_FIT_CAPS: AllocatorCaps = {
  busy: 'global',
  lazy: 'flag',
  cache: null,
  search: 'lowest-fit-scan',
  lowestMatchTakesRoot: false,
  firstFit: null,
  tracepoints: false,
  vaFlags52: false,
  deferredWork: false,
};

/** An area of the model. */
export class ff_area implements vmap_area_common {
  constructor(
    public va_start: ulong,
    public va_end: ulong,
    public lazy = false,
  ) {}
}

/** a + b as an unsigned value, or null if the sum reaches 2^64 or beyond. */
function addBelow2p64(a: ulong, b: ulong): ulong | null {
  const s = a + b;
  // b is a small non-negative size. In the signed view the sum crosses 2^64
  // exactly when a is "negative" (>= 2^63) and the sum is not.
  if (a < 0 && s >= 0) return null;
  return s;
}

export class FirstFitModel implements VmapAllocator {
  readonly version: string;
  touches = 0;
  vmap_lazy_nr = 0;
  /** All areas, live and lazily freed, by address. */
  readonly areas: ff_area[] = [];

  constructor(
    readonly rules: FirstFitRules,
    readonly env: VmallocEnv,
  ) {
    this.version = `first-fit(${rules.version})`;
  }

  lazy_max_pages(): number {
    return fls(this.env.ncpu) * ((32 * 1024 * 1024) / PAGE_SIZE);
  }

  /** The lowest fitting start, or null. */
  place(size: ulong, align: ulong, vstart: ulong, vend: ulong): ulong | null {
    const { gapAfter, strictBefore, freeTreeSpace } = this.rules;
    let a = freeTreeSpace && vstart === 0 ? 1 : vstart;
    const aligned = ALIGN(a, align);
    if (ult(aligned, a)) return null; // aligning would pass 2^64
    a = aligned;
    for (const E of this.areas) {
      const afterE = addBelow2p64(E.va_end, gapAfter);
      if (afterE !== null && ule(afterE, a)) continue; // E lies wholly below, gap kept
      const end = addBelow2p64(a, size);
      if (end === null) return null;
      if (strictBefore ? ult(end, E.va_start) : ule(end, E.va_start)) break; // fits before E
      if (afterE === null) return null; // nothing fits after E
      const next = ALIGN(afterE, align);
      if (ult(next, afterE)) return null;
      a = next;
    }
    const end = addBelow2p64(a, size);
    if (end === null) return null;
    if (freeTreeSpace && end === 0) return null;
    if (!ule(end, vend)) return null;
    return a;
  }

  alloc_vmap_area(size: ulong, align: ulong, vstart: ulong, vend: ulong): vmap_area_common | ERR_PTR {
    let a = this.place(size, align, vstart, vend);
    if (a === null) {
      this.purge_vmap_area_lazy();
      a = this.place(size, align, vstart, vend);
    }
    if (a === null) return ERR_PTR(-EBUSY);
    const va = new ff_area(a, a + size);
    let lo = 0;
    let hi = this.areas.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ult(this.areas[mid]!.va_start, a)) lo = mid + 1;
      else hi = mid;
    }
    this.areas.splice(lo, 0, va);
    return va;
  }

  find_vmap_area(addr: ulong): vmap_area_common | null {
    return this.areas.find((v) => v.va_start === addr && !v.lazy) ?? null;
  }

  free_vmap_area(va: vmap_area_common): void {
    const i = this.areas.indexOf(va as ff_area);
    if (i >= 0) this.areas.splice(i, 1);
  }

  free_unmap_vmap_area(va: vmap_area_common): void {
    const v = va as ff_area;
    v.lazy = true;
    this.vmap_lazy_nr += (v.va_end - v.va_start) / PAGE_SIZE;
    if (this.vmap_lazy_nr > this.lazy_max_pages()) this.purge_vmap_area_lazy();
  }

  purge_vmap_area_lazy(): void {
    let start: ulong = ULONG_MAX;
    let end: ulong = 0;
    let n = 0;
    for (const v of this.areas)
      if (v.lazy) {
        if (ult(v.va_start, start)) start = v.va_start;
        if (ult(end, v.va_end)) end = v.va_end;
        n++;
      }
    if (!n) return;
    this.env.hooks.flush_tlb_kernel_range(start, end);
    this.env.hooks.purged(n, start, end);
    for (let i = this.areas.length - 1; i >= 0; i--) if (this.areas[i]!.lazy) this.areas.splice(i, 1);
    this.vmap_lazy_nr = 0;
  }

  golden_state(): string {
    return `lazy=${hex(this.vmap_lazy_nr)}`;
  }

  snapshot(): AllocatorSnapshot {
    return {
      areas: this.areas.map((v) => ({ start: v.va_start, end: v.va_end, state: v.lazy ? ('lazy' as const) : ('busy' as const) })),
      state: this.golden_state(),
    };
  }
}
