// SPDX-License-Identifier: GPL-2.0-only
/*
 * The boundary of the linux-6.12 wasm core (not kernel code): what
 * kernel/mm/vmalloc/wasm/binding.ts calls, as ./linux-6.1.exports.ts, with
 * the vmap nodes' lists walked node after node and work items by the
 * address of their struct work_struct (./smp.ts).
 */

import { INIT_LIST_HEAD, list_add, list_add_tail, list_del_init, list_head } from '../../../include/linux/as/list';
import { rb_root } from '../../../include/linux/as/rbtree';
import { num_possible_cpus, set_env, set_touches, touches, u64_of } from './shims';
import { raw_smp_processor_id } from './smp';
import { process_one_work, set_cpu, work_struct } from './smp';
import {
  __purge_vmap_area_lazy,
  decode_vn_id,
  encode_vn_id,
  GFP_NOWAIT,
  id_to_node,
  insert_vmap_area,
  insert_vmap_area_augment,
  kmem_cache_alloc,
  kmem_cache_free,
  merge_or_add_vmap_area_augment,
  nr_lazy_areas,
  PAGE_SHIFT,
  size_to_va_pool,
  ULONG_MAX,
  va_clip,
  vmap_pool,
  addr_to_node,
  alloc_vmap_area,
  find_unlink_vmap_area,
  find_vmap_area,
  free_unmap_vmap_area,
  free_vmap_area,
  free_vmap_area_list,
  free_vmap_area_noflush,
  free_vmap_area_root,
  lazy_max_pages,
  ne_fit_preload_node,
  node_alloc_locals,
  nr_vmap_nodes,
  reclaim_and_purge_vmap_areas,
  unlink_va,
  vm_unmap_aliases,
  vmalloc_init,
  vmap_area,
  vmap_lazy_nr,
  vmap_node,
  vmap_node_at,
  vmap_node_shrink_count,
  vmap_node_shrink_scan,
  VMALLOC_END,
  VMALLOC_START,
} from './linux-6.12';
import { pcpu_free_vas, pcpu_get_vm_areas } from './linux-6.12.pcpu';

export { set_cpu };

export const OFFSETOF_VA_START: i32 = <i32>offsetof<vmap_area>('va_start');
export const OFFSETOF_VA_END: i32 = <i32>offsetof<vmap_area>('va_end');
export const OFFSETOF_VA_FLAGS: i32 = <i32>offsetof<vmap_area>('flags');
/* For the API layer (docs/wasm.md, "The API layer over a core"): va->vm, the union with subtree_max_size. */
export const OFFSETOF_VA_VM: i32 = <i32>offsetof<vmap_area>('subtree_max_size');
export const SIZEOF_VA_VM: i32 = <i32>sizeof<u64>(); // the union's size
/* &vn->busy.root of a vmap_node (what the API layer hands unlink_va()). */
export const OFFSETOF_VN_BUSY_ROOT: i32 = <i32>offsetof<vmap_node>('__busy_root');

/** The environment: CPUs, hooks, the vmalloc range (VMALLOC_START/END, for node_alloc()). */
export function init(ncpu: i32, hooks: u32, start_lo: u32, start_hi: u32, end_lo: u32, end_hi: u32): void {
  set_env(ncpu, hooks);
  VMALLOC_START = u64_of(start_lo, start_hi);
  VMALLOC_END = u64_of(end_lo, end_hi);
  const n = <usize>max(num_possible_cpus(), 1);
  ne_fit_preload_node = heap.alloc(n * sizeof<usize>()); // the per-CPU area of ne_fit_preload_node
  memory.fill(ne_fit_preload_node, 0, n * sizeof<usize>());
  node_alloc_locals = heap.alloc(n << 4); // alloc_vmap_area()'s addr and vn_id, per CPU
  memory.fill(node_alloc_locals, 0, n << 4);
  vmalloc_init();
}

/** Touches inside alloc_vmap_area() calls, summed (what the bench reports per allocation). */
let alloc_touches: u64 = 0;

export function op_alloc(s_lo: u32, s_hi: u32, a_lo: u32, a_hi: u32, vs_lo: u32, vs_hi: u32, ve_lo: u32, ve_hi: u32, node: i32, gfp_mask: i32): usize {
  const t0 = touches;
  const va = alloc_vmap_area(u64_of(s_lo, s_hi), u64_of(a_lo, a_hi), u64_of(vs_lo, vs_hi), u64_of(ve_lo, ve_hi), node, gfp_mask, 0, 0);
  alloc_touches += touches - t0;
  return va;
}

export function get_alloc_touches(): f64 {
  return <f64>alloc_touches;
}

/** Linear memory for the binding to fill (a bench stream); never freed. */
export function scratch_alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

/** Replay a bench stream held in linear memory (./linux-6.1.exports.ts's run_stream). */
export function run_stream(code: usize, arg: usize, vals: usize, live: usize, n: i32): i32 {
  for (let i = 0; i < n; i++) {
    const k = <usize>load<u32>(arg + (<usize>i << 2));
    switch (load<u8>(code + <usize>i)) {
      case 0: {
        const v = vals + (k << 5);
        const t0 = touches;
        const va = alloc_vmap_area(load<u64>(v), load<u64>(v, 8), load<u64>(v, 16), load<u64>(v, 24), -1, 0xcc0, 0, 0);
        alloc_touches += touches - t0;
        if (va >= <usize>-4095) return i + 1;
        store<usize>(live + (k << 2), va);
        break;
      }
      case 1:
        free_vmap_area(changetype<vmap_area>(load<usize>(live + (k << 2))));
        break;
      case 2:
        free_unmap_vmap_area(changetype<vmap_area>(load<usize>(live + (k << 2))));
        break;
      default:
        reclaim_and_purge_vmap_areas();
    }
  }
  return 0;
}

/**
 * pcpu_get_vm_areas(offsets, sizes, nr_vms, align): offsets and sizes are
 * u64 arrays in linear memory (scratch_alloc); the vmap_area array (nr_vms
 * addresses, to be given back with op_pcpu_free_vas) or 0.
 */
export function op_pcpu_get_vm_areas(offsets: usize, sizes: usize, nr_vms: i32, a_lo: u32, a_hi: u32): usize {
  return pcpu_get_vm_areas(offsets, sizes, nr_vms, u64_of(a_lo, a_hi));
}

export function op_pcpu_free_vas(vas: usize): void {
  pcpu_free_vas(vas);
}

export function op_find(a_lo: u32, a_hi: u32): usize {
  return changetype<usize>(find_vmap_area(u64_of(a_lo, a_hi)));
}

export function op_free(va: usize): void {
  free_vmap_area(changetype<vmap_area>(va));
}

export function op_free_lazy(va: usize): void {
  free_unmap_vmap_area(changetype<vmap_area>(va));
}

/** The golden `p`: 6.12 has no purge_vmap_area_lazy(); its body is reclaim_and_purge_vmap_areas(). */
export function op_purge(): void {
  reclaim_and_purge_vmap_areas();
}

/* The API layer's calls into the allocator (docs/wasm.md, "The API layer over a core"). */

/** alloc_vmap_area(size, align, vstart, vend, node, gfp_mask, va_flags, NULL): vm_map_ram's VMAP_RAM | VMAP_BLOCK. */
export function op_alloc_flags(s_lo: u32, s_hi: u32, a_lo: u32, a_hi: u32, vs_lo: u32, vs_hi: u32, ve_lo: u32, ve_hi: u32, node: i32, gfp_mask: i32, va_flags: u32): usize {
  const t0 = touches;
  const va = alloc_vmap_area(u64_of(s_lo, s_hi), u64_of(a_lo, a_hi), u64_of(vs_lo, vs_hi), u64_of(ve_lo, ve_hi), node, gfp_mask, <u64>va_flags, 0);
  alloc_touches += touches - t0;
  return va;
}

/** free_vmap_area_noflush(va): free_vmap_block()'s lazy free (the caller unlinked va). */
export function op_free_noflush(va: usize): void {
  free_vmap_area_noflush(changetype<vmap_area>(va));
}

/** The range as passed, by value: PURGE_RANGE is only written, for the binding's one shape. */
export const PURGE_RANGE: usize = memory.data(16);

/** __purge_vmap_area_lazy(start, end, full_pool_decay = sync) (the caller holds vmap_purge_lock): 1 if it purged, else 0. */
export function op_purge_range(s_lo: u32, s_hi: u32, e_lo: u32, e_hi: u32, sync: i32, force_flush: i32): i32 {
  store<u64>(PURGE_RANGE, u64_of(s_lo, s_hi));
  store<u64>(PURGE_RANGE + 8, u64_of(e_lo, e_hi));
  return __purge_vmap_area_lazy(u64_of(s_lo, s_hi), u64_of(e_lo, e_hi), sync != 0) ? 1 : 0;
}

/** find_unlink_vmap_area(addr): an area's address (out of its busy tree) or 0. */
export function op_find_unlink(a_lo: u32, a_hi: u32): usize {
  return changetype<usize>(find_unlink_vmap_area(u64_of(a_lo, a_hi)));
}

/** addr_to_node(addr): the vmap_node's address. */
export function op_addr_to_node(a_lo: u32, a_hi: u32): usize {
  return changetype<usize>(addr_to_node(u64_of(a_lo, a_hi)));
}

/** unlink_va(va, root): root is the address of an rb_root (&vn->busy.root). */
export function op_unlink_va(va: usize, root: usize): void {
  unlink_va(changetype<vmap_area>(va), changetype<rb_root>(root));
}

/** &vmap_nodes[i] */
export function op_vmap_node(i: u32): usize {
  return changetype<usize>(vmap_node_at(i));
}

/* One node's busy (0) or lazy (1) list, for /proc/vmallocinfo's walk of vmap_nodes; not counted. */
export function vn_list_first(which: i32, i: u32): usize {
  const head = node_head(which, i);
  return head.next === head ? 0 : changetype<usize>(head.next) - offsetof<vmap_area>('__list');
}

export function vn_list_next(which: i32, i: u32, va: usize): usize {
  const l = changetype<vmap_area>(va).list.next;
  return l === node_head(which, i) ? 0 : changetype<usize>(l) - offsetof<vmap_area>('__list');
}

/** vm_unmap_aliases(): the purge that keeps the pools. */
export function op_vm_unmap_aliases(): void {
  vm_unmap_aliases();
}

/** The vmap-node shrinker: count (areas in the pools), then scan (empty them). */
export function op_shrink(): f64 {
  const n = vmap_node_shrink_count();
  if (n) vmap_node_shrink_scan();
  return <f64>n;
}

/** A kworker runs a work item the environment queued: `work` is its struct work_struct's address. */
export function run_work(work: usize): void {
  process_one_work(changetype<work_struct>(work));
}

export function get_touches(): f64 {
  return <f64>touches;
}

export function put_touches(t: f64): void {
  set_touches(<u64>t);
}

export function get_lazy_nr(): f64 {
  return <f64>vmap_lazy_nr;
}

export function get_lazy_max_pages(): f64 {
  return <f64>lazy_max_pages();
}

export function get_nr_vmap_nodes(): i32 {
  return <i32>nr_vmap_nodes;
}

/* Lists for snapshots, not counted: 0 = every node's busy list, 1 = every node's lazy list (node after node), 2 = free_vmap_area_list. */
function node_head(which: i32, i: u32): list_head {
  const vn = vmap_node_at(i);
  return which == 0 ? vn.busy.head : vn.lazy.head;
}

function first_from(which: i32, i: u32): usize {
  for (; i < nr_vmap_nodes; i++) {
    const head = node_head(which, i);
    if (head.next !== head) return changetype<usize>(head.next) - offsetof<vmap_area>('__list');
  }
  return 0;
}

export function list_first(which: i32): usize {
  if (which == 2) {
    const head = free_vmap_area_list;
    return head.next === head ? 0 : changetype<usize>(head.next) - offsetof<vmap_area>('__list');
  }
  return first_from(which, 0);
}

export function list_next(which: i32, va: usize): usize {
  const l = changetype<vmap_area>(va).list.next;
  if (which == 2) return l === free_vmap_area_list ? 0 : changetype<usize>(l) - offsetof<vmap_area>('__list');
  for (let i: u32 = 0; i < nr_vmap_nodes; i++) if (l === node_head(which, i)) return first_from(which, i + 1);
  return changetype<usize>(l) - offsetof<vmap_area>('__list');
}

/** Lazily freed areas are on the lazy lists in 6.12, never flagged. */
export function area_lazy(va: usize): i32 {
  return 0;
}

/** va->flags of vm_map_ram areas (mm/vmalloc.c's VMAP_RAM). */
const VMAP_RAM: u64 = 0x1;

/*
 * Seeding and the pools of a real-trace replay: environment, not kernel
 * code (the twins of the TypeScript port's seed_areas() and of
 * shims/node-pools.ts, for scripts/replay/tracefs). Touches are not
 * counted.
 */

/**
 * seed_areas(): a fresh allocator given the areas of a /proc/vmallocinfo
 * snapshot. `recs` holds n records of 32 bytes in the order given
 * (va_start u64, va_end u64, state u32: 0 busy, 1 lazy, 2 pooled;
 * vm_map_ram u32; cpu i32, -1 for none; and a u32 the area's address is
 * written to), `vmlist` the (addr, size) u64 pairs of all of them in
 * address order. As the port: the boot-time free block is dropped, busy
 * and lazy areas go into their node's tree, the free space is built from
 * the gaps (vmap_init_free_space() over that vmlist), then each pooled
 * area goes to the tail of its pool. 0 when done; 1 not fresh; 2 a pooled
 * area with one node; 3 a pooled area too big for a pool; 4 the slab gave
 * no vmap_area.
 */
export function op_seed_node_areas(recs: usize, vmlist: usize, n: i32): i32 {
  if (vmap_node_shrink_count() != 0 || vmap_lazy_nr != 0 || list_first(0) != 0) return 1;
  const saved = touches;
  // Drop the boot-time free block.
  for (let l = free_vmap_area_list.next; l !== free_vmap_area_list; ) {
    const nx = l.next;
    kmem_cache_free(changetype<vmap_area>(changetype<usize>(l) - offsetof<vmap_area>('__list')));
    l = nx;
  }
  INIT_LIST_HEAD(free_vmap_area_list);
  free_vmap_area_root.rb_node = null;

  for (let k = 0; k < n; k++) {
    const r = recs + (<usize>k << 5);
    const state = load<u32>(r, 16);
    const cpu = load<i32>(r, 24);
    const p = kmem_cache_alloc(0);
    if (!p) {
      set_touches(saved);
      return 4;
    }
    const va = changetype<vmap_area>(p);
    memory.fill(changetype<usize>(va), 0, offsetof<vmap_area>());
    va.va_start = load<u64>(r);
    va.va_end = load<u64>(r, 8);
    store<u32>(r, <u32>changetype<usize>(va), 28);
    if (state == 0) {
      va.flags = load<u32>(r, 20) ? VMAP_RAM : 0;
      if (cpu >= 0 && nr_vmap_nodes > 1) va.flags |= <u64>encode_vn_id(<u32>cpu % nr_vmap_nodes);
      const vn = addr_to_node(va.va_start);
      insert_vmap_area(va, vn.busy.root, vn.busy.head);
    } else if (state == 1) {
      let vn: vmap_node = addr_to_node(va.va_start);
      if (cpu >= 0 && nr_vmap_nodes > 1) {
        const id = <u32>cpu % nr_vmap_nodes;
        va.flags = <u64>encode_vn_id(id);
        vn = id_to_node(id);
      }
      insert_vmap_area(va, vn.lazy.root, vn.lazy.head);
      vmap_lazy_nr += <i64>((va.va_end - va.va_start) >> PAGE_SHIFT);
      nr_lazy_areas++;
    } else {
      if (nr_vmap_nodes == 1) {
        set_touches(saved);
        return 2;
      }
      if (!size_to_va_pool(vmap_node_at(0), va.va_end - va.va_start)) {
        set_touches(saved);
        return 3;
      }
      va.flags = <u64>encode_vn_id(<u32>(cpu < 0 ? 0 : cpu) % nr_vmap_nodes);
    }
  }

  // vmap_init_free_space(vmlist): a free area for each gap over [1, ULONG_MAX).
  let vmap_start: u64 = 1;
  for (let k = 0; k < n; k++) {
    const addr = load<u64>(vmlist + (<usize>k << 4));
    if (addr - vmap_start != 0) {
      const free = kmem_cache_alloc(GFP_NOWAIT);
      if (free) {
        memory.fill(changetype<usize>(free), 0, offsetof<vmap_area>());
        free.va_start = vmap_start;
        free.va_end = addr;
        insert_vmap_area_augment(free, null, free_vmap_area_root, free_vmap_area_list);
      }
    }
    vmap_start = addr + load<u64>(vmlist + (<usize>k << 4), 8);
  }
  if (ULONG_MAX - vmap_start != 0) {
    const free = kmem_cache_alloc(GFP_NOWAIT);
    if (free) {
      memory.fill(changetype<usize>(free), 0, offsetof<vmap_area>());
      free.va_start = vmap_start;
      free.va_end = ULONG_MAX;
      insert_vmap_area_augment(free, null, free_vmap_area_root, free_vmap_area_list);
    }
  }

  // In the order given, each pooled area at the tail of its pool.
  for (let k = 0; k < n; k++) {
    const r = recs + (<usize>k << 5);
    if (load<u32>(r, 16) != 2) continue;
    const va = changetype<vmap_area>(<usize>load<u32>(r, 28));
    const vn = id_to_node(decode_vn_id(<u32>va.flags));
    const vp = size_to_va_pool(vn, va.va_end - va.va_start)!;
    list_add_tail(va.list, vp.head);
    vp.len++;
  }
  set_touches(saved);
  return 0;
}

/** The pool node_alloc() tries for `size` on `cpu` (its address), 0 with one node or above 256 pages. */
export function op_pool_of(cpu: i32, s_lo: u32, s_hi: u32): usize {
  if (nr_vmap_nodes == 1) return 0;
  return changetype<usize>(size_to_va_pool(id_to_node(<u32>cpu % nr_vmap_nodes), u64_of(s_lo, s_hi)));
}

/** vp->len of a pool op_pool_of() named. */
export function vmap_pool_len(vp: usize): f64 {
  return <f64>changetype<vmap_pool>(vp).len;
}

/**
 * hold_range(): take [start, end) out of the free block holding it with
 * va_clip() (this CPU's spare untouched), as an area held in its node's
 * busy tree (`pool` 0) or at the head of the pool node_alloc() tries on
 * `cpu`. The area's address, or 0 if the range is not free.
 */
export function op_hold_range(s_lo: u32, s_hi: u32, e_lo: u32, e_hi: u32, pool: i32, cpu: i32): usize {
  const saved = touches;
  const start = u64_of(s_lo, s_hi);
  const end = u64_of(e_lo, e_hi);
  let blk: vmap_area | null = null;
  let n = free_vmap_area_root.rb_node;
  while (n) {
    const f = changetype<vmap_area>(n);
    if (start < f.va_start) n = n.rb_left;
    else if (start >= f.va_end) n = n.rb_right;
    else {
      if (f.va_end >= end) blk = f;
      break;
    }
  }
  const vp = pool ? op_pool_of(cpu, <u32>(end - start), <u32>((end - start) >> 32)) : 0;
  if (!blk || (pool && !vp)) {
    set_touches(saved);
    return 0;
  }
  const slot = ne_fit_preload_node + (<usize>raw_smp_processor_id() << alignof<usize>());
  const spare = load<usize>(slot);
  store<usize>(slot, 0);
  const err = va_clip(free_vmap_area_root, free_vmap_area_list, blk, start, end - start);
  store<usize>(slot, spare);
  if (err) {
    set_touches(saved);
    return 0;
  }
  const va = kmem_cache_alloc(0)!;
  memory.fill(changetype<usize>(va), 0, offsetof<vmap_area>());
  va.va_start = start;
  va.va_end = end;
  if (vp) {
    va.flags = <u64>encode_vn_id(<u32>cpu % nr_vmap_nodes);
    list_add(va.list, changetype<vmap_pool>(vp).head);
    changetype<vmap_pool>(vp).len++;
  } else {
    va.vm = changetype<usize>(va); // a vm_struct hangs off it (the binding's table, docs/wasm.md)
    const vn = addr_to_node(va.va_start);
    insert_vmap_area(va, vn.busy.root, vn.busy.head);
  }
  set_touches(saved);
  return changetype<usize>(va);
}

/** The area [start, end) in pool `vp`, taken off it; null if not there. */
function pool_take(vp: vmap_pool, start: u64, end: u64): vmap_area | null {
  for (let l = vp.head.next; l !== vp.head; l = l.next) {
    const x = changetype<vmap_area>(changetype<usize>(l) - offsetof<vmap_area>('__list'));
    if (x.va_start == start && x.va_end == end) {
      list_del_init(x.list);
      vp.len--;
      return x;
    }
  }
  return null;
}

/**
 * repool(): move the area [start, end) from any node's pool (or, `busy`,
 * from its node's busy tree) into the pool node_alloc() tries on `cpu`,
 * at its head or tail, with that node's id. 1 if moved, else 0.
 */
export function op_repool(s_lo: u32, s_hi: u32, e_lo: u32, e_hi: u32, cpu: i32, head: i32, busy: i32): i32 {
  const start = u64_of(s_lo, s_hi);
  const end = u64_of(e_lo, e_hi);
  const to = op_pool_of(cpu, <u32>(end - start), <u32>((end - start) >> 32));
  if (!to) return 0;
  const saved = touches;
  let va: vmap_area | null = null;
  for (let i: u32 = 0; i < nr_vmap_nodes && !va; i++) va = pool_take(size_to_va_pool(vmap_node_at(i), end - start)!, start, end);
  if (!va && busy) {
    const vn = addr_to_node(start);
    for (let l = vn.busy.head.next; l !== vn.busy.head; l = l.next) {
      const x = changetype<vmap_area>(changetype<usize>(l) - offsetof<vmap_area>('__list'));
      if (x.va_start == start && x.va_end == end) {
        va = x;
        unlink_va(x, vn.busy.root);
        break;
      }
    }
  }
  if (va) {
    va.flags = <u64>encode_vn_id(<u32>cpu % nr_vmap_nodes);
    if (head) list_add(va.list, changetype<vmap_pool>(to).head);
    else list_add_tail(va.list, changetype<vmap_pool>(to).head);
    changetype<vmap_pool>(to).len++;
  }
  set_touches(saved);
  return va ? 1 : 0;
}

/** unpool(): give the area [start, end) in some node's pool back to the free tree (merged, as a decay does). 1 if found, else 0. */
export function op_unpool(s_lo: u32, s_hi: u32, e_lo: u32, e_hi: u32): i32 {
  const start = u64_of(s_lo, s_hi);
  const end = u64_of(e_lo, e_hi);
  const saved = touches;
  for (let i: u32 = 0; i < nr_vmap_nodes; i++) {
    const q = size_to_va_pool(vmap_node_at(i), end - start);
    if (!q) continue;
    const x = pool_take(q, start, end);
    if (x) {
      merge_or_add_vmap_area_augment(x, free_vmap_area_root, free_vmap_area_list);
      set_touches(saved);
      return 1;
    }
  }
  set_touches(saved);
  return 0;
}

/* The size pools, for tests: how many areas node i holds for `pages` pages. */
export function pool_len(i: u32, pages: i32): f64 {
  return <f64>vmap_node_at(i).pool(pages - 1).len;
}
