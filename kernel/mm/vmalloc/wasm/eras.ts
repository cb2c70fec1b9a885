// SPDX-License-Identifier: GPL-2.0-only
/*
 * A wasm core as the allocator an API layer drives (kernel/mm/vmalloc/api/,
 * docs/wasm.md "The API layer over a core"): the allocator interface each
 * API era was written against (allocator_2_6, allocator_6), over the one
 * binding (WasmCore). The ported API text stays as it is; these classes
 * adapt:
 *
 * - an area is a wasm_area view (va_start, va_end, flags and vm/private
 *   read and written in linear memory);
 * - the era's lazy free without unmapping and __purge_vmap_area_lazy with
 *   the era's signature (2.6: a range the function widens, 6.1: start and
 *   end by value, a bool back);
 * - vmap_area_list (and 6.1's purge_vmap_area_list) as a list_head chain
 *   of views built on each read, for /proc/vmallocinfo (not counted).
 *
 * Not kernel code; each core family keeps its era's names so the API layer
 * calls them as it calls a port.
 */

import { list_add_tail, list_head } from '../../../include/linux/list.js';
import type { ulong } from '../../../include/u64.js';
import type { vmap_area_common } from '../common.js';
import { LIST_BUSY, LIST_PURGE, WasmCore, wasm_allocator, wasm_area, type WasmRange } from './binding.js';
import type { VmallocEnv } from '../common.js';
import type { allocator_id } from '../shims/customised.js';

/** One of the core's lists as a list_head chain of area views (for the API layer's walks; not counted). */
function listOf(core: WasmCore, which: number): list_head<wasm_area> {
  const head = new list_head<wasm_area>(null);
  for (const va of core.list(which)) list_add_tail(new list_head<wasm_area>(new wasm_area(core, va)), head);
  return head;
}

/** 2.6.35-era cores (lazily freed areas flagged in the busy list): what allocator_2_6 names. */
export class wasm_allocator_2_6 extends wasm_allocator {
  /** set_iounmap_nonlazy(), where the core exports it (2.6.37 on: the 2.6.39 and 3.18 cores). */
  readonly set_iounmap_nonlazy?: () => void;

  constructor(core: string, env: VmallocEnv, id: allocator_id, range?: WasmRange) {
    super(core, env, id, 'flag', range);
    const nonlazy = this.core.x.op_set_iounmap_nonlazy;
    if (nonlazy) this.set_iounmap_nonlazy = () => nonlazy();
  }

  get vmap_area_list(): list_head<wasm_area> {
    return listOf(this.core, LIST_BUSY);
  }

  free_unmap_vmap_area_noflush(va: vmap_area_common): void {
    this.core.freeNoflush((va as wasm_area).ptr);
  }

  /** __purge_vmap_area_lazy(&start, &end, sync, force_flush): the range comes back widened, as through the C pointers. */
  __purge_vmap_area_lazy(range: { start: ulong; end: ulong }, sync: number, force_flush: number): void {
    const r = this.core.purgeRange(range.start, range.end, sync, force_flush);
    range.start = r.start;
    range.end = r.end;
  }
}

/** 6.1-era cores (busy, purge and free trees): what allocator_6 names. */
export class wasm_allocator_6 extends wasm_allocator {
  constructor(core: string, env: VmallocEnv, id: allocator_id, range?: WasmRange) {
    super(core, env, id, 'purge-tree', range);
  }

  get vmap_area_list(): list_head<wasm_area> {
    return listOf(this.core, LIST_BUSY);
  }

  get purge_vmap_area_list(): list_head<wasm_area> {
    return listOf(this.core, LIST_PURGE);
  }

  free_vmap_area_noflush(va: vmap_area_common): void {
    this.core.freeNoflush((va as wasm_area).ptr);
  }

  /** __purge_vmap_area_lazy(start, end): false when there was nothing to purge. */
  __purge_vmap_area_lazy(start: ulong, end: ulong): boolean {
    return this.core.purgeRange(start, end, 0, 0).ret !== 0;
  }
}
