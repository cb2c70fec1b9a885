// SPDX-License-Identifier: GPL-2.0-only
/*
 * AssemblyScript: pcpu_get_vm_areas() of Linux 5.2, rewritten for the
 * augmented free tree by 68ad4a330433 (the base searched top-down over the
 * free blocks), before the 5.3-rc5 fix: an area that starts below the free
 * block under it or only reaches above it sends the search to the previous
 * block, whatever the block's size. Part of the wasm core of
 * `linux-5.2@wasm`; the twin of ../pcpu/linux-5.2.ts (pcpu_check_areas
 * inline here, as in C).
 *
 * Version: linux-5.2. Upstream path: mm/vmalloc.c.
 * Text: transcribed from the TypeScript port ../pcpu/linux-5.2.ts (the v3
 *   patch of 68ad4a330433 with 5.2's names, no pristine v5.2 text;
 *   docs/sources.md#port-linux-5.2). The comments are paraphrases.
 * BUG/WARN sites: the function and condition; the line comes from the
 * manifest (kernel/manifest/linux-5.2.ts, from PCPU_LINES_5_2, estimates).
 *
 * As in the port: vmap_area_lock is taken through the lock hooks where the
 * kernel takes it, as in 5.2's alloc_vmap_area; the vm_structs are the vm_struct
 * layer's, so the function hands back the vmap_area array (`vas`), which
 * the caller frees with pcpu_free_vas(). The kernel's locals whose address
 * is taken (`va` for pvm_determine_end_from_reverse) live in a static
 * buffer (docs/wasm.md).
 */

import { rb_node } from '../../../include/linux/as/rbtree';
import { rb_prev } from '../../../lib/rbtree/as/linux-6.1';
import { BUG_ON, rb_entry, rb_entry_safe, spin_lock, spin_unlock, WARN_ON, WARN_ON_ONCE } from './shims';
import {
  __free_vmap_area,
  adjust_va_to_fit_type,
  ALIGN,
  classify_va_fit_type,
  free_vmap_area_list,
  free_vmap_area_root,
  insert_vmap_area,
  IS_ALIGNED,
  is_power_of_2,
  kmem_cache_free,
  kmem_cache_zalloc,
  list_entry,
  offset_in_page,
  purge_vmap_area_lazy,
  vmap_area,
  vmap_area_list,
  vmap_area_root,
  VMALLOC_END,
  VMALLOC_START,
  vmap_area_lock,
} from './linux-5.2';

/** enum fit_type's NOTHING_FIT. */
const NOTHING_FIT: i32 = 0;

/** GFP_KERNEL in the encoding the port uses (6.1's). */
const GFP_KERNEL: i32 = 0xcc0;

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
 * While an area does not fit the free block under it, the search moves to
 * the block below and restarts from that area, until every area fits;
 * then each is carved out of the free tree and inserted busy. Returns the vmap_area array
 * (nr_vms addresses), or 0 (NULL).
 */
export function pcpu_get_vm_areas(offsets: usize, sizes: usize, nr_vms: i32, align: u64): usize {
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

  // kcalloc the array; one vmap_area per area (the vm_structs are the caller's).
  vas = heap.alloc(<usize>nr_vms << alignof<usize>());
  memory.fill(vas, 0, <usize>nr_vms << alignof<usize>());

  let goto_err_free = false;
  for (area = 0; area < nr_vms; area++) {
    vas_set(vas, area, changetype<usize>(kmem_cache_zalloc(GFP_KERNEL)));
    if (!vas_at(vas, area)) {
      goto_err_free = true; // goto err_free
      break;
    }
  }

  while (!goto_err_free) {
    // retry:
    spin_lock(vmap_area_lock);
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

        // This block does not hold the area: go to the block under it, and
        // recheck. Also when the area only reaches above the block, which
        // 5.3's fix handles by moving base down inside the block: here the
        // block is skipped whatever its size.
        if (base + start < v.va_start || base + end > v.va_end) {
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

      // A base fits every area: carve each out of the free tree and insert it busy.
      for (area = 0; area < nr_vms; area++) {
        let type: i32;
        let ret: i32;

        start = base + load<u64>(offsets + (<usize>area << 3));
        size = load<u64>(sizes + (<usize>area << 3));

        const f = pvm_find_va_enclose_addr(start);
        if (WARN_ON_ONCE(f === null, 'pcpu_get_vm_areas', 'va == NULL')) {
          // A BUG() really, but recover.
          goto_recovery = true; // goto recovery
          break;
        }

        type = classify_va_fit_type(f!, start, size);
        if (WARN_ON_ONCE(type == NOTHING_FIT, 'pcpu_get_vm_areas', 'type == NOTHING_FIT')) {
          // A BUG() really, but recover.
          goto_recovery = true; // goto recovery
          break;
        }

        ret = adjust_va_to_fit_type(f!, start, size, type);
        if (ret) {
          goto_recovery = true; // goto recovery
          break;
        }

        // The allocated area.
        const a = changetype<vmap_area>(vas_at(vas, area));
        a.va_start = start;
        a.va_end = start + size;

        insert_vmap_area(a, vmap_area_root, vmap_area_list);
      }
      if (goto_recovery) break;

      spin_unlock(vmap_area_lock);

      // setup_vmalloc_vm() of each vm_struct: the vm_struct layer.
      return vas;
    } while (false);

    if (goto_recovery) {
      // recovery: take the areas inserted so far out again.
      while (area--) {
        __free_vmap_area(changetype<vmap_area>(vas_at(vas, area)));
        vas_set(vas, area, 0);
      }
    }

    // overflow:
    spin_unlock(vmap_area_lock);
    if (!purged) {
      purge_vmap_area_lazy();
      purged = true;

      // Before retrying, replace the areas recovery gave back.
      for (area = 0; area < nr_vms; area++) {
        if (vas_at(vas, area)) continue;

        vas_set(vas, area, changetype<usize>(kmem_cache_zalloc(GFP_KERNEL)));
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
