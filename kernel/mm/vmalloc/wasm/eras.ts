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
  set_cpu(cpu: number): void;
  /* A real-trace replay's seeding and pools (environment, not kernel code). */
  op_seed_node_areas(recs: number, vmlist: number, n: number): number;
  op_pool_of(cpu: number, lo: number, hi: number): number;
  vmap_pool_len(vp: number): number;
  op_hold_range(sLo: number, sHi: number, eLo: number, eHi: number, pool: number, cpu: number): number;
  op_repool(sLo: number, sHi: number, eLo: number, eHi: number, cpu: number, head: number, busy: number): number;
  op_unpool(sLo: number, sHi: number, eLo: number, eHi: number): number;
}

/** An area of a /proc/vmallocinfo snapshot as a real-trace replay seeds it (scripts/replay/tracefs). */
export interface node_seed_area {
  start: ulong;
  end: ulong;
  state: 'busy' | 'lazy' | 'pooled';
  vm_map_ram?: boolean;
  cpu?: number;
}

/**
 * The environment of a vmap-node core, with schedule_work() going through
 * the allocator's work mode (the port's schedule_work_drain_vmap_work()):
 * inline, the environment's schedule_work or at once; deferred (a replay
 * of a real trace), pending until run_pending_work().
 */
function withDrainWork(env: VmallocEnv, drain: (fn: () => void) => void): VmallocEnv {
  return { ...env, hooks: Object.create(env.hooks, { schedule_work: { value: drain, enumerable: true } }) as VmallocEnv['hooks'] };
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
  /** When drain_vmap_work runs: 'inline' (the environment's kworker, or at once), 'deferred' (run_pending_work(); a real-trace replay). */
  work_mode: 'inline' | 'deferred' = 'inline';
  /** drain_vmap_work queued in deferred mode and not run yet. */
  drain_vmap_work_pending = false;
  private pendingDrain: (() => void) | null = null;
  private cpuSet = 0;

  constructor(core: string, env: VmallocEnv, id: allocator_id, range?: WasmRange) {
    const self: { a: wasm_allocator_6_12 | null } = { a: null };
    const outer = env.hooks.schedule_work;
    super(
      core,
      withDrainWork(env, (fn) => {
        const a = self.a as wasm_allocator_6_12;
        if (a.work_mode === 'inline') {
          if (outer) outer(fn);
          else fn();
          return;
        }
        a.drain_vmap_work_pending = true;
        a.pendingDrain = fn;
      }),
      id,
      range,
    );
    self.a = this;
  }

  /** vm_unmap_aliases(): the callers' explicit purge, which keeps the pools (the golden `p` is the reclaim, purge_vmap_area_lazy()). */
  vm_unmap_aliases(): void {
    (this.core.x.op_vm_unmap_aliases as () => void)();
  }

  /** Run drain_vmap_work if it is pending (deferred mode): true if it ran. */
  run_pending_work(): boolean {
    if (!this.drain_vmap_work_pending) return false;
    this.drain_vmap_work_pending = false;
    const fn = this.pendingDrain as () => void;
    this.pendingDrain = null;
    fn();
    return true;
  }

  /** The CPU the core runs on: the machine's, or the one a replay sets (set_cpu). */
  get cpu(): number {
    return this.core.env.hooks.raw_smp_processor_id?.() ?? this.cpuSet;
  }
  set cpu(v: number) {
    this.cpuSet = v;
    this.nx.set_cpu(v);
  }

  get nr_vmap_nodes(): number {
    return this.nx.get_nr_vmap_nodes();
  }

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

  /* ---- a real-trace replay (scripts/replay/tracefs): environment, not kernel code; touches not counted ---- */

  private scratch = { ptr: 0, cap: 0 };
  private scratchOf(bytes: number): number {
    if (this.scratch.cap < bytes) this.scratch = { ptr: this.core.x.scratch_alloc(bytes), cap: bytes };
    return this.scratch.ptr;
  }

  /** seed_areas(): the port's, for a fresh allocator (busy and lazy areas, node-tagged; pooled areas at their pool's tail). */
  override readonly seed_areas = (areas: readonly node_seed_area[]): void => {
    const n = areas.length;
    const base = this.scratchOf(48 * n + 16);
    const recs = base;
    const vmlist = base + 32 * n;
    const big = (x: ulong) => BigInt.asUintN(64, BigInt(x));
    const sorted = areas.map((a) => ({ addr: big(a.start), size: big(a.end) - big(a.start) })).sort((x, y) => (x.addr === y.addr ? 0 : x.addr < y.addr ? -1 : 1));
    const mem = () => new DataView(this.core.x.memory.buffer);
    areas.forEach((a, k) => {
      const d = mem();
      const r = recs + 32 * k;
      d.setBigUint64(r, big(a.start), true);
      d.setBigUint64(r + 8, big(a.end), true);
      d.setUint32(r + 16, a.state === 'busy' ? 0 : a.state === 'lazy' ? 1 : 2, true);
      d.setUint32(r + 20, a.vm_map_ram ? 1 : 0, true);
      d.setInt32(r + 24, a.cpu ?? -1, true);
      d.setUint32(r + 28, 0, true);
    });
    sorted.forEach((x, k) => {
      const d = mem();
      d.setBigUint64(vmlist + 16 * k, x.addr, true);
      d.setBigUint64(vmlist + 16 * k + 8, x.size, true);
    });
    const err = this.nx.op_seed_node_areas(recs, vmlist, n);
    if (err === 1) throw new Error('seed_areas: the allocator is not fresh');
    if (err === 2) throw new Error('seed_areas: an area is pooled, but one vmap node has no pools');
    if (err === 3) throw new Error('seed_areas: a pooled area is too big for a pool');
    if (err) throw new Error('seed_areas: the slab gave no vmap_area');
    // Busy areas not from vm_map_ram carry a vm_struct, as the port's do.
    areas.forEach((a, k) => {
      if (a.state === 'busy' && !a.vm_map_ram) this.core.setVaVm(mem().getUint32(recs + 32 * k + 28, true), {});
    });
  };

  /** One view per pool (the replay keys its maps by the pool, as the port's vmap_pool objects). */
  private readonly poolViews = new Map<number, { readonly len: number }>();

  /** The pool node_alloc() tries for that CPU and size (a live view of its len, the same object each time), or null. */
  pool_of(cpu: number, size: ulong): { readonly len: number } | null {
    const s = halves(size);
    const vp = this.nx.op_pool_of(cpu, s[0], s[1]);
    if (!vp) return null;
    let view = this.poolViews.get(vp);
    if (!view) {
      const x = this.nx;
      view = {
        get len() {
          return x.vmap_pool_len(vp);
        },
      };
      this.poolViews.set(vp, view);
    }
    return view;
  }

  /** hold_range(): [start, end) taken out of the free tree, held busy or at the head of that CPU's pool; null if not free. */
  hold_range(start: ulong, end: ulong, pool: boolean, cpu = 0): wasm_area | null {
    const s = halves(start);
    const e = halves(end);
    const p = this.nx.op_hold_range(s[0], s[1], e[0], e[1], pool ? 1 : 0, cpu);
    if (!p) return null;
    if (!pool) this.core.setVaVm(p, {});
    return new wasm_area(this.core, p);
  }

  /** repool(): an area in a pool (or, busy, just allocated) moved into that CPU's pool. */
  repool(start: ulong, end: ulong, cpu: number, head: boolean, busy = false): boolean {
    const s = halves(start);
    const e = halves(end);
    return this.nx.op_repool(s[0], s[1], e[0], e[1], cpu, head ? 1 : 0, busy ? 1 : 0) !== 0;
  }

  /** unpool(): an area in a pool given back to the free tree. */
  unpool(start: ulong, end: ulong): boolean {
    const s = halves(start);
    const e = halves(end);
    return this.nx.op_unpool(s[0], s[1], e[0], e[1]) !== 0;
  }
}
