// SPDX-License-Identifier: GPL-2.0-only
/*
 * AssemblyScript: pcpu_get_vm_areas() as the percpu allocator's vmalloc
 * side had it from 2.6.32 (ca23e405, Tejun Heo, "vmalloc: implement
 * pcpu_get_vm_areas()") to 5.1: a top-down search of the *busy* tree,
 * starting under vmap_area_pcpu_hole, with pvm_find_next_prev() and
 * pvm_determine_end(). Part of the wasm core of `linux-2.6.35@wasm`; the
 * twin of ../pcpu/linux-2.6.35.ts.
 *
 * Version: linux-2.6.35 (2.6.35.6). Upstream path: mm/vmalloc.c.
 * Text: transcribed from the TypeScript port ../pcpu/linux-2.6.35.ts, read
 *   at rivsidn/linux-2.6.35.6 mm/vmalloc.c lines 2059-2263 (public code
 *   index id 38332888255); docs/sources.md#kernel-texts-read. The comments
 *   are paraphrases.
 * BUG/WARN sites: the function and condition; the line comes from the
 * manifest (kernel/manifest/linux-2.6.35.ts, from PCPU_LINES_2_6_35).
 *
 * As in the port: vmap_area_lock is taken through the lock hooks where the
 * kernel takes it; gfp_mask is the caller's, without GFP_RECLAIM_MASK; the
 * vm_structs are the vm_struct layer's, so the function hands back the
 * vmap_area array (`vas`), which the caller frees with pcpu_free_vas().
 * `struct vmap_area *next, *prev`, whose addresses are taken, live in
 * static buffers (docs/wasm.md).
 */

import { rb_node } from '../../../include/linux/as/rbtree';
import { rb_next, rb_prev } from '../../../lib/rbtree/as/linux-2.6.35';
import { BUG_ON, kmem_cache_free, kmem_cache_zalloc, rb_entry, spin_lock, spin_unlock, WARN_ON } from './shims';
import { __insert_vmap_area, ALIGN, PAGE_MASK, purge_vmap_area_lazy, vmap_area, vmap_area_pcpu_hole, vmap_area_root, VMALLOC_END, VMALLOC_START, vmap_area_lock } from './linux-2.6.35';

/** is_power_of_2(n) of include/linux/log2.h */
@inline
function is_power_of_2(n: u64): bool {
  return n != 0 && (n & (n - 1)) == 0;
}

/** IS_ALIGNED(x, a) of include/linux/kernel.h */
@inline
function IS_ALIGNED(x: u64, a: u64): bool {
  return (x & (a - 1)) == 0;
}

@inline
function node_to_va(n: rb_node | null): vmap_area | null {
  return n ? rb_entry<vmap_area>(n) : null;
}

/** *p of a `struct vmap_area **`. */
@inline
function deref(p: usize): vmap_area | null {
  return changetype<vmap_area | null>(load<usize>(p));
}
@inline
function assign(p: usize, va: vmap_area | null): void {
  store<usize>(p, changetype<usize>(va));
}

/*
 * The busy areas around `end`: *pnext the first whose va_end lies above
 * it, *pprev the one before it (va_end <= end). False when the tree is
 * empty.
 */
function pvm_find_next_prev(end: u64, pnext: usize, pprev: usize): bool {
  let n = vmap_area_root.rb_node;
  let va: vmap_area | null = null;

  while (n) {
    va = rb_entry<vmap_area>(n);
    if (end < va.va_end) n = n.rb_left;
    else if (end > va.va_end) n = n.rb_right;
    else break;
  }

  if (!va) return false;

  if (va.va_end > end) {
    assign(pnext, va);
    assign(pprev, node_to_va(rb_prev(deref(pnext)!)));
  } else {
    assign(pprev, va);
    assign(pnext, node_to_va(rb_next(deref(pprev)!)));
  }
  return true;
}

/*
 * The highest align-aligned address at or below *pnext's start (capped at
 * the aligned VMALLOC_END), with *pnext/*pprev moved down until *pprev ends
 * at or below it. The address may still fall inside *pnext; the caller
 * checks.
 */
function pvm_determine_end(pnext: usize, pprev: usize, align: u64): u64 {
  const vmalloc_end: u64 = VMALLOC_END & ~(align - 1);
  let addr: u64;

  if (deref(pnext)) addr = min(deref(pnext)!.va_start & ~(align - 1), vmalloc_end);
  else addr = vmalloc_end;

  while (deref(pprev) && deref(pprev)!.va_end > addr) {
    assign(pnext, deref(pprev));
    assign(pprev, node_to_va(rb_prev(deref(pnext)!)));
  }

  return addr;
}

/* `struct vmap_area *next, *prev` of pcpu_get_vm_areas(), whose addresses are taken (docs/wasm.md). */
const pcpu_get_vm_areas_next = memory.data(sizeof<usize>());
const pcpu_get_vm_areas_prev = memory.data(sizeof<usize>());

@inline
function vas_at(vas: usize, area: i32): usize {
  return load<usize>(vas + (<usize>area << alignof<usize>()));
}
@inline
function vas_set(vas: usize, area: i32, va: usize): void {
  store<usize>(vas + (<usize>area << alignof<usize>()), va);
}
@inline
function at(a: usize, i: i32): u64 {
  return load<u64>(a + (<usize>i << 3));
}

/*
 * pcpu_get_vm_areas(): nr_vms areas at offsets[i] (u64 array) from one
 * common base, sizes[i] long, for the percpu allocator's chunks, top-down
 * and away from ordinary vmallocs. The scan starts under
 * vmap_area_pcpu_hole: while an area overlaps a busy one, the base is
 * pulled down under that one and the scan restarts from this area, until
 * every area fits; then all are inserted. Returns the vmap_area array
 * (nr_vms addresses), or 0 (NULL).
 */
export function pcpu_get_vm_areas(offsets: usize, sizes: usize, nr_vms: i32, align: u64, gfp_mask: i32): usize {
  const vmalloc_start: u64 = ALIGN(VMALLOC_START, align);
  const vmalloc_end: u64 = VMALLOC_END & ~(align - 1);
  const next = pcpu_get_vm_areas_next; // &next
  const prev = pcpu_get_vm_areas_prev; // &prev
  let vas: usize;
  let area: i32, area2: i32, term_area: i32, last_area: i32;
  let last_end: u64;
  let base: u64 = 0, start: u64, end: u64;
  let purged: bool = false;

  assign(next, null);
  assign(prev, null);

  // Check the arguments.
  BUG_ON((align & ~PAGE_MASK) != 0 || !is_power_of_2(align), 'pcpu_get_vm_areas', 'align & ~PAGE_MASK || !is_power_of_2(align)');
  for (last_area = 0, area = 0; area < nr_vms; area++) {
    start = at(offsets, area);
    end = start + at(sizes, area);

    // Every offset and size a multiple of align.
    BUG_ON(!IS_ALIGNED(at(offsets, area), align), 'pcpu_get_vm_areas', '!IS_ALIGNED(offsets[area], align)');
    BUG_ON(!IS_ALIGNED(at(sizes, area), align), 'pcpu_get_vm_areas', '!IS_ALIGNED(sizes[area], align)');

    // The area that lies highest.
    if (start > at(offsets, last_area)) last_area = area;

    for (area2 = 0; area2 < nr_vms; area2++) {
      const start2 = at(offsets, area2);
      const end2 = start2 + at(sizes, area2);

      if (area2 == area) continue;

      BUG_ON(start2 >= start && start2 < end, 'pcpu_get_vm_areas', 'start2 >= start && start2 < end');
      BUG_ON(end2 <= end && end2 > start, 'pcpu_get_vm_areas', 'end2 <= end && end2 > start');
    }
  }
  last_end = at(offsets, last_area) + at(sizes, last_area);

  if (vmalloc_end - vmalloc_start < last_end) {
    WARN_ON(true, 'pcpu_get_vm_areas', 'true');
    return 0;
  }

  // kzalloc the array; one vmap_area per area (the vm_structs are the caller's).
  vas = heap.alloc(<usize>nr_vms << alignof<usize>());
  memory.fill(vas, 0, <usize>nr_vms << alignof<usize>());

  let goto_err_free = false;
  for (area = 0; area < nr_vms; area++) {
    vas_set(vas, area, kmem_cache_zalloc(offsetof<vmap_area>(), gfp_mask)); // kzalloc(sizeof(struct vmap_area), gfp_mask)
    if (!vas_at(vas, area)) {
      goto_err_free = true; // goto err_free
      break;
    }
  }

  while (!goto_err_free) {
    // retry:
    spin_lock(vmap_area_lock);

    // Scan from the top, starting with the highest area.
    area = term_area = last_area;
    start = at(offsets, area);
    end = start + at(sizes, area);

    let goto_retry = false;
    do {
      if (!pvm_find_next_prev(vmap_area_pcpu_hole, next, prev)) {
        base = vmalloc_end - last_end;
        break; // goto found
      }
      base = pvm_determine_end(next, prev, align) - end;

      for (;;) {
        BUG_ON(deref(next) !== null && deref(next)!.va_end <= base + end, 'pcpu_get_vm_areas', 'next && next->va_end <= base + end');
        BUG_ON(deref(prev) !== null && deref(prev)!.va_end > base + end, 'pcpu_get_vm_areas', 'prev && prev->va_end > base + end');

        // base may have wrapped below zero: compare with last_end added.
        if (base + last_end < vmalloc_start + last_end) {
          spin_unlock(vmap_area_lock);
          if (!purged) {
            purge_vmap_area_lazy();
            purged = true;
            goto_retry = true; // goto retry
            break;
          }
          goto_err_free = true; // goto err_free
          break;
        }

        // next overlaps: move base down right under next, recheck.
        if (deref(next) && deref(next)!.va_start < base + end) {
          base = pvm_determine_end(next, prev, align) - end;
          term_area = area;
          continue;
        }

        // prev overlaps: shift next and prev down, base under the new next, recheck.
        if (deref(prev) && deref(prev)!.va_end > base + start) {
          assign(next, deref(prev));
          assign(prev, node_to_va(rb_prev(deref(next)!)));
          base = pvm_determine_end(next, prev, align) - end;
          term_area = area;
          continue;
        }

        // This area fits; on to the one before, done when back at term_area.
        area = (area + nr_vms - 1) % nr_vms;
        if (area == term_area) break;
        start = at(offsets, area);
        end = start + at(sizes, area);
        pvm_find_next_prev(base + end, next, prev);
      }
    } while (false);
    if (goto_retry) continue;
    if (goto_err_free) break;

    // found: a base fits every area; insert them all.
    for (area = 0; area < nr_vms; area++) {
      const va = changetype<vmap_area>(vas_at(vas, area));

      va.va_start = base + at(offsets, area);
      va.va_end = va.va_start + at(sizes, area);
      __insert_vmap_area(va);
    }

    vmap_area_pcpu_hole = base + at(offsets, last_area);

    spin_unlock(vmap_area_lock);

    // insert_vmalloc_vm() of each vm_struct: the vm_struct layer.
    return vas;
  }

  // err_free:
  for (area = 0; area < nr_vms; area++) {
    if (vas_at(vas, area)) kmem_cache_free(vas_at(vas, area)); // kfree(vas[area])
  }
  heap.free(vas);
  return 0;
}

/** kfree(vas) of a successful call: the caller's, once it has read the areas. */
export function pcpu_free_vas(vas: usize): void {
  heap.free(vas);
}
