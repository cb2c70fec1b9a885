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
 * - 5.2's vmap_lazy_nr writable (set_iounmap_nonlazy());
 * - vmap_area_list (and 6.1's purge_vmap_area_list) as a list_head chain
 *   of views built on each read, for /proc/vmallocinfo (not counted);
 * - 6.12's vmap nodes (wasm_allocator_6_12): find_unlink_vmap_area,
 *   unlink_va and addr_to_node as the port names them, and vmap_nodes as
 *   node views whose busy and lazy heads are such chains, built at a
 *   view's first read of them (the node's root is its address in linear
 *   memory); each read of vmap_nodes gives new views.
 *
 * Not kernel code; each core family keeps its era's names so the API layer
 * calls them as it calls a port.
 */

import { list_add_tail, list_head } from '../../../include/linux/list.js';
import type { ulong } from '../../../include/u64.js';
import type { vmap_area_common } from '../common.js';
import { halves, isErrPtr, LIST_BUSY, LIST_PURGE, WasmCore, wasm_allocator, wasm_area, type WasmRange } from './binding.js';
import { ERR_PTR } from '../../../include/linux/errno.js';
import { GFP_KERNEL, NUMA_NO_NODE } from '../common.js';
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

/** The 5.2 core (lazily freed areas on the vmap_purge_list llist, still busy): what allocator_6 names, as the 6.1 API layer drives it with 5.2's va->flags bits. */
export class wasm_allocator_5_2 extends wasm_allocator {
  constructor(core: string, env: VmallocEnv, id: allocator_id, range?: WasmRange) {
    super(core, env, id, 'llist', range);
  }

  get vmap_area_list(): list_head<wasm_area> {
    return listOf(this.core, LIST_BUSY);
  }

  /** vmap_lazy_nr: set_iounmap_nonlazy() of the API layer writes it (atomic_set). */
  override get vmap_lazy_nr(): number {
    return this.core.x.get_lazy_nr();
  }
  override set vmap_lazy_nr(n: number) {
    (this.core.x as unknown as { set_lazy_nr(n: number): void }).set_lazy_nr(n);
  }

  free_vmap_area_noflush(va: vmap_area_common): void {
    this.core.freeNoflush((va as wasm_area).ptr);
  }

  /** __purge_vmap_area_lazy(start, end): false when there was nothing to purge. */
  __purge_vmap_area_lazy(start: ulong, end: ulong): boolean {
    return this.core.purgeRange(start, end, 0, 0).ret !== 0;
  }
}

/** What a vmap-node core (6.12, 7.3) exports for the API layer beyond the binding's CoreExports. */
interface NodeExports {
  OFFSETOF_VN_BUSY_ROOT: { readonly value: unknown };
  op_find_unlink(lo: number, hi: number): number;
  op_addr_to_node(lo: number, hi: number): number;
  op_unlink_va(va: number, root: number): void;
  op_vmap_node(i: number): number;
  get_nr_vmap_nodes(): number;
  vn_list_first(which: number, i: number): number;
  vn_list_next(which: number, i: number, va: number): number;
}

/** A vmap node as the 6.12 API layer reads it: its busy root (an address in linear memory) and its busy and lazy lists. */
export interface wasm_vmap_node {
  readonly busy: { readonly root: number; readonly head: list_head<wasm_area> };
  readonly lazy: { readonly head: list_head<wasm_area> };
}

/** One node's list (0 busy, 1 lazy) as a list_head chain of area views (not counted). */
function nodeListOf(core: WasmCore, x: NodeExports, which: number, i: number): list_head<wasm_area> {
  const head = new list_head<wasm_area>(null);
  for (let va = x.vn_list_first(which, i); va !== 0; va = x.vn_list_next(which, i, va)) list_add_tail(new list_head<wasm_area>(new wasm_area(core, va)), head);
  return head;
}

/** 6.12-era cores (per-node busy and lazy trees): what the 6.12 and 7.3 API layers name beyond allocator_6. */
export class wasm_allocator_6_12 extends wasm_allocator_6 {
  private get nx(): NodeExports {
    return this.core.x as unknown as NodeExports;
  }

  /** The node at linear-memory address `vn`, with its index (which names its lists). */
  private nodeView(vn: number): wasm_vmap_node {
    const x = this.nx;
    const i = (vn - x.op_vmap_node(0)) / (x.get_nr_vmap_nodes() > 1 ? x.op_vmap_node(1) - x.op_vmap_node(0) : 1);
    const core = this.core;
    // Each list is built at its first read and kept by this view, so that a walk's `l !== head` ends.
    let busy: list_head<wasm_area> | null = null;
    let lazy: list_head<wasm_area> | null = null;
    return {
      busy: { root: vn + (x.OFFSETOF_VN_BUSY_ROOT.value as number), get head() { return (busy ??= nodeListOf(core, x, 0, i)); } },
      lazy: { get head() { return (lazy ??= nodeListOf(core, x, 1, i)); } },
    };
  }

  /** alloc_vmap_area(size, align, vstart, vend, node, gfp_mask, va_flags, vm): va->vm is set as the core would set it. */
  override alloc_vmap_area(size: ulong, align: ulong, vstart: ulong, vend: ulong, node = NUMA_NO_NODE, gfp_mask = GFP_KERNEL, va_flags = 0, vm: unknown = null): wasm_area | ERR_PTR {
    const p = va_flags ? this.core.allocFlags(size, align, vstart, vend, node, gfp_mask, va_flags) : this.core.alloc(size, align, vstart, vend, node, gfp_mask);
    if (isErrPtr(p)) return ERR_PTR(p);
    if (vm) this.core.setVaVm(p, vm);
    return new wasm_area(this.core, p);
  }

  /** __purge_vmap_area_lazy(start, end, full_pool_decay) */
  override __purge_vmap_area_lazy(start: ulong, end: ulong, full_pool_decay = false): boolean {
    return this.core.purgeRange(start, end, full_pool_decay ? 1 : 0, 0).ret !== 0;
  }

  find_unlink_vmap_area(addr: ulong): wasm_area | null {
    const a = halves(addr);
    const p = this.nx.op_find_unlink(a[0], a[1]);
    return p ? new wasm_area(this.core, p) : null;
  }

  addr_to_node(addr: ulong): wasm_vmap_node {
    const a = halves(addr);
    return this.nodeView(this.nx.op_addr_to_node(a[0], a[1]));
  }

  unlink_va(va: vmap_area_common, root: unknown): void {
    this.nx.op_unlink_va((va as wasm_area).ptr, root as number);
  }

  get vmap_nodes(): wasm_vmap_node[] {
    const x = this.nx;
    return Array.from({ length: x.get_nr_vmap_nodes() }, (_, i) => this.nodeView(x.op_vmap_node(i)));
  }
}
