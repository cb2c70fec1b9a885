// SPDX-License-Identifier: GPL-2.0-only
/*
 * AssemblyScript: pcpu_get_vm_areas() of Linux 7.3, part of the wasm core
 * of `linux-7.3@wasm`. Derived from ./linux-6.12.pcpu.ts as 7.3's text
 * differs from 6.12's: the caller's gfp mask (an argument in 7.3's text)
 * for the vmap_areas instead of GFP_KERNEL, and the err_free_shadow path
 * ending at err_free2 (KASAN, off here). The twin of ../pcpu/linux-6.1.ts
 * with 7.3's pcpu_ops_6_1 (kernel/mm/vmalloc/linux-7.3.ts).
 *
 * Version: linux-7.3 (Debian 7.3.4). Upstream path: mm/vmalloc.c.
 * Text: read in Debian's linux-source-7.3 mm/vmalloc.c lines 4895-5230
 *   (node_to_va .. pcpu_get_vm_areas; docs/sources.md#text-linux-7.3).
 *   The comments are paraphrases.
 * BUG/WARN sites: the function and condition; the line comes from the
 * manifest (kernel/manifest/linux-7.3.ts, from PCPU_LINES_7_3).
 *
 * As in the port: free_vmap_area_lock is not taken through the lock hooks
 * (a no-op comment), each node's busy.lock is, around the area's insertion; KASAN
 * is off; the vm_structs are the vm_struct layer's, so the function hands
 * back the vmap_area array (`vas`), which the caller frees with
 * pcpu_free_vas(). The kernel's locals whose address is taken (`va` for
 * pvm_determine_end_from_reverse) live in a static buffer (docs/wasm.md).
 */

import { rb_node } from '../../../include/linux/as/rbtree';
import { rb_prev } from '../../../lib/rbtree/as/linux-6.1';
import { BUG_ON, rb_entry, rb_entry_safe, WARN_ON, WARN_ON_ONCE } from './shims';
import { spin_lock_of, spin_unlock_of } from './smp';
import {
  addr_to_node,
  ALIGN,
  busy_lock,
  free_vmap_area_list,
  free_vmap_area_root,
  insert_vmap_area,
  IS_ALIGNED,
  is_power_of_2,
  kmem_cache_free,
  kmem_cache_zalloc,
  list_entry,
  merge_or_add_vmap_area_augment,
  offset_in_page,
  reclaim_and_purge_vmap_areas,
  va_clip,
  vmap_area,
  vmap_node,
  vn_index,
  VMALLOC_END,
  VMALLOC_START,
} from './linux-7.3';


@inline
function node_to_va(n: rb_node | null): vmap_area | null {
  return rb_entry_safe<vmap_area>(n);
}

/*
 * The free block addr lies in; failing that, the highest free block below
 * addr; NULL when there is none.
 */
function pvm_find_va_enclose_addr(addr: u64): vmap_area | null {
  let va: vmap_area | null;
  let tmp: vmap_area;
  let n: rb_node | null;

  n = free_vmap_area_root.rb_node;
  va = null;

  while (n) {
    tmp = rb_entry<vmap_area>(n);
    if (tmp.va_start <= addr) {
      va = tmp;
      if (tmp.va_end >= addr) break;

      n = n.rb_right;
    } else {
      n = n.rb_left;
    }
  }

  return va;
}

/*
 * From *va down the free list, the first block with room below its aligned
 * end (capped at the aligned VMALLOC_END): return that end, *va left on the
 * block. 0 when no block qualifies (*va then is the list head's container,
 * as in C). `va` is the address of the caller's `struct vmap_area *`.
 */
function pvm_determine_end_from_reverse(va: usize, align: u64): u64 {
  const vmalloc_end: u64 = VMALLOC_END & ~(align - 1);
  let addr: u64;
  let pos: vmap_area;

  if (load<usize>(va)) {
    // list_for_each_entry_from_reverse((*va), &free_vmap_area_list, list)
    for (pos = changetype<vmap_area>(load<usize>(va)); pos.list !== free_vmap_area_list; pos = list_entry(pos.list.prev), store<usize>(va, changetype<usize>(pos))) {
      addr = min(pos.va_end & ~(align - 1), vmalloc_end);
      if (pos.va_start < addr) return addr;
    }
  }

  return 0;
}

/* struct vmap_area *va of pcpu_get_vm_areas(), whose address is taken (docs/wasm.md). */
const pcpu_get_vm_areas_va = memory.data(sizeof<usize>());

/** vas[area] of a `struct vmap_area **` array. */
@inline
function vas_at(vas: usize, area: i32): usize {
  return load<usize>(vas + (<usize>area << alignof<usize>()));
}
@inline
function vas_set(vas: usize, area: i32, va: usize): void {
  store<usize>(vas + (<usize>area << alignof<usize>()), va);
}

/*
 * pcpu_get_vm_areas(): nr_vms areas at offsets[i] (u64 array) from one
 * common base, sizes[i] long, for the percpu allocator's chunks, top-down.
 * While an area does not fit, the base is pulled down (inside the block the
 * area reaches above, or under the block it starts below) and the scan
 * restarts from that area, until every area fits; then each is carved out
 * of the free tree and all are inserted busy; the vmap_areas with the
 * caller's gfp mask. Returns the vmap_area array
 * (nr_vms addresses), or 0 (NULL).
 */
export function pcpu_get_vm_areas(offsets: usize, sizes: usize, nr_vms: i32, align: u64, gfp: i32): usize {
  const vmalloc_start: u64 = ALIGN(VMALLOC_START, align);
  const vmalloc_end: u64 = VMALLOC_END & ~(align - 1);
  const va = pcpu_get_vm_areas_va; // &va
  let vas: usize;
  let area: i32, area2: i32, last_area: i32, term_area: i32;
  let base: u64 = 0, start: u64, size: u64, end: u64, last_end: u64;
  let purged: bool = false;

  // Check the arguments.
  BUG_ON(offset_in_page(align) != 0 || !is_power_of_2(align), 'pcpu_get_vm_areas', 'offset_in_page(align) || !is_power_of_2(align)');
  for (last_area = 0, area = 0; area < nr_vms; area++) {
    start = load<u64>(offsets + (<usize>area << 3));
    end = start + load<u64>(sizes + (<usize>area << 3));

    // Every offset and size a multiple of align.
    BUG_ON(!IS_ALIGNED(load<u64>(offsets + (<usize>area << 3)), align), 'pcpu_get_vm_areas', '!IS_ALIGNED(offsets[area], align)');
    BUG_ON(!IS_ALIGNED(load<u64>(sizes + (<usize>area << 3)), align), 'pcpu_get_vm_areas', '!IS_ALIGNED(sizes[area], align)');

    // The area that lies highest.
    if (start > load<u64>(offsets + (<usize>last_area << 3))) last_area = area;

    for (area2 = area + 1; area2 < nr_vms; area2++) {
      const start2 = load<u64>(offsets + (<usize>area2 << 3));
      const end2 = start2 + load<u64>(sizes + (<usize>area2 << 3));

      BUG_ON(start2 < end && start < end2, 'pcpu_get_vm_areas', 'start2 < end && start < end2');
    }
  }
  last_end = load<u64>(offsets + (<usize>last_area << 3)) + load<u64>(sizes + (<usize>last_area << 3));

  if (vmalloc_end - vmalloc_start < last_end) {
    WARN_ON(true, 'pcpu_get_vm_areas', 'true');
    return 0;
  }

  // kzalloc_objs(vas[0], nr_vms, gfp); one vmap_area per area (the vm_structs are the caller's).
  vas = heap.alloc(<usize>nr_vms << alignof<usize>());
  memory.fill(vas, 0, <usize>nr_vms << alignof<usize>());

  let goto_err_free = false;
  for (area = 0; area < nr_vms; area++) {
    vas_set(vas, area, changetype<usize>(kmem_cache_zalloc(gfp)));
    if (!vas_at(vas, area)) {
      goto_err_free = true; // goto err_free
      break;
    }
  }

  while (!goto_err_free) {
    // retry:
    // spin_lock(&free_vmap_area_lock): not a hook in the port.
    let goto_overflow = false;
    let goto_recovery = false;
    do {
      // Scan from the top, starting with the highest area.
      area = term_area = last_area;
      start = load<u64>(offsets + (<usize>area << 3));
      end = start + load<u64>(sizes + (<usize>area << 3));

      store<usize>(va, changetype<usize>(pvm_find_va_enclose_addr(vmalloc_end)));
      base = pvm_determine_end_from_reverse(va, align) - end;

      for (;;) {
        const v = changetype<vmap_area | null>(load<usize>(va));

        // base may have wrapped below zero: compare with last_end added.
        if (base + last_end < vmalloc_start + last_end) {
          goto_overflow = true; // goto overflow
          break;
        }

        // No base fits.
        if (v === null) {
          goto_overflow = true; // goto overflow
          break;
        }

        // The area reaches above this block: pull base down into it, recheck.
        if (base + end > v.va_end) {
          base = pvm_determine_end_from_reverse(va, align) - end;
          term_area = area;
          continue;
        }

        // The area starts below this block: go to the block under it, recheck.
        if (base + start < v.va_start) {
          store<usize>(va, changetype<usize>(node_to_va(rb_prev(v))));
          base = pvm_determine_end_from_reverse(va, align) - end;
          term_area = area;
          continue;
        }

        // This area fits; on to the one before, done when back at term_area.
        area = (area + nr_vms - 1) % nr_vms;
        if (area == term_area) break;

        start = load<u64>(offsets + (<usize>area << 3));
        end = start + load<u64>(sizes + (<usize>area << 3));
        store<usize>(va, changetype<usize>(pvm_find_va_enclose_addr(base + end)));
      }
      if (goto_overflow) break;

      // A base fits every area: carve them out of the free tree.
      for (area = 0; area < nr_vms; area++) {
        let ret: i32;

        start = base + load<u64>(offsets + (<usize>area << 3));
        size = load<u64>(sizes + (<usize>area << 3));

        const f = pvm_find_va_enclose_addr(start);
        if (WARN_ON_ONCE(f === null, 'pcpu_get_vm_areas', 'va == NULL')) {
          // A BUG() really, but recover.
          goto_recovery = true; // goto recovery
          break;
        }

        ret = va_clip(free_vmap_area_root, free_vmap_area_list, f!, start, size);
        if (WARN_ON_ONCE(ret != 0, 'pcpu_get_vm_areas', 'unlikely(ret)')) {
          // A BUG() really, but recover.
          goto_recovery = true; // goto recovery
          break;
        }

        // The allocated area.
        const a = changetype<vmap_area>(vas_at(vas, area));
        a.va_start = start;
        a.va_end = start + size;
      }
      if (goto_recovery) break;

      // spin_unlock(&free_vmap_area_lock);

      // kasan_populate_vmalloc(): KASAN is off.

      // Insert each one busy in its node (setup_vmalloc_vm of their vm_structs: the vm_struct layer).
      for (area = 0; area < nr_vms; area++) {
        const vn: vmap_node = addr_to_node(changetype<vmap_area>(vas_at(vas, area)).va_start);

        spin_lock_of(busy_lock, vn_index(vn));
        insert_vmap_area(changetype<vmap_area>(vas_at(vas, area)), vn.busy.root, vn.busy.head);
        spin_unlock_of(busy_lock, vn_index(vn));
      }

      // kasan_unpoison_vmap_areas(): KASAN is off.
      return vas;
    } while (false);

    if (goto_recovery) {
      // recovery: give the areas carved so far back to the free tree (they
      // are not busy yet).
      while (area--) {
        merge_or_add_vmap_area_augment(changetype<vmap_area>(vas_at(vas, area)), free_vmap_area_root, free_vmap_area_list);
        // kasan_release_vmalloc(): KASAN is off.
        vas_set(vas, area, 0);
      }
    }

    // overflow:
    // spin_unlock(&free_vmap_area_lock);
    if (!purged) {
      reclaim_and_purge_vmap_areas();
      purged = true;

      // Before retrying, replace the areas recovery gave back.
      for (area = 0; area < nr_vms; area++) {
        if (vas_at(vas, area)) continue;

        vas_set(vas, area, changetype<usize>(kmem_cache_zalloc(gfp)));
        if (!vas_at(vas, area)) {
          goto_err_free = true; // goto err_free
          break;
        }
      }

      continue; // goto retry
    }
    break;
  }

  // err_free:
  for (area = 0; area < nr_vms; area++) {
    if (vas_at(vas, area)) kmem_cache_free(changetype<vmap_area>(vas_at(vas, area)));
  }
  // err_free2:
  heap.free(vas);
  return 0;
}

/** kfree(vas) of a successful call: the caller's, once it has read the areas. */
export function pcpu_free_vas(vas: usize): void {
  heap.free(vas);
}
