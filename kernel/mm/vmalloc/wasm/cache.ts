// SPDX-License-Identifier: GPL-2.0-only
/*
 * The cache-era wasm cores (mmotm-2010-vmap-cache-v1, linux-2.6.39,
 * linux-3.18 and their check variants) as VmapAllocators: the 2.6-era
 * allocator (wasm_allocator_2_6: lazily freed areas flagged in the busy
 * list, what the 2.6/3.x API layers call), whose
 * state line also carries the free area cache (free_vmap_cache's area,
 * cached_hole_size, cached_vstart / cached_start, cached_align), read
 * through the cores' `cache_area`, `cached_lo` and `cached_hi` exports, as
 * the TypeScript ports print it (golden/FORMAT.md). The 2010 drafts before
 * cached_align (linux-2.6.35-nick-v1, -minchan) print `start=` alone, as
 * their TypeScript variants do.
 */

import { hex } from '../../../include/u64.js';
import type { VmallocEnv } from '../common.js';
import type { allocator_id } from '../shims/customised.js';
import { joinHalves, type WasmRange } from './binding.js';
import { wasm_allocator_2_6 } from './eras.js';

/** What a cache-era core exports beyond the binding's CoreExports. */
interface CacheExports {
  cache_area(): number;
  cached_lo(which: number): number;
  cached_hi(which: number): number;
}

/* The `which` of cached_lo/cached_hi. */
const CACHED_HOLE_SIZE = 0;
const CACHED_VSTART = 1; // cached_start in the 2010 drafts
const CACHED_ALIGN = 2;

/** The cache fields a state line shows: the merged cache's, or a 2010 draft's `start=` alone. */
export type CacheFields = 'vstart-align' | 'start';

/**
 * A cache-era wasm core (`<version>@wasm`) as a VmapAllocator, and as the
 * allocator the 2.6/3.x API layers drive (allocator_2_6) when the core
 * exports what they call (the manifest's `wasm.boots`).
 */
export class wasm_cache_allocator extends wasm_allocator_2_6 {
  constructor(
    core: string,
    env: VmallocEnv,
    id: allocator_id,
    private readonly fields: CacheFields = 'vstart-align',
    range?: WasmRange,
  ) {
    super(core, env, id, range);
  }

  golden_state(): string {
    const x = this.core.x as unknown as CacheExports;
    const cached = (which: number) => hex(joinHalves(x.cached_lo(which), x.cached_hi(which)));
    const va = x.cache_area();
    const cache = va ? hex(this.core.vaStart(va)) : '-';
    if (this.fields === 'start') return `cache=${cache} hole=${cached(CACHED_HOLE_SIZE)} start=${cached(CACHED_VSTART)} ${super.golden_state()}`;
    return `cache=${cache} hole=${cached(CACHED_HOLE_SIZE)} vstart=${cached(CACHED_VSTART)} align=${cached(CACHED_ALIGN)} ${super.golden_state()}`;
  }
}
