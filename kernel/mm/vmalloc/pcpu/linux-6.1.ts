// SPDX-License-Identifier: GPL-2.0-only
/*
 * pcpu_get_vm_areas() with the 5.3-rc5 fix ("mm/vmalloc.c: fix percpu free
 * VM area search criteria", Kuppuswamy Sathyanarayanan, index id
 * 45787669855): an area that reaches above the free block under it pulls
 * the base down inside that block; only an area that starts below the
 * block moves the search to the previous one. The areas are carved out of
 * the free tree under free_vmap_area_lock and inserted busy afterwards.
 * One text serves linux-6.1 and linux-6.12; what differs is passed in
 * (pcpu_ops_6_1): 6.12 carves with va_clip(), inserts each area in the busy
 * tree of its vmap node and purges with reclaim_and_purge_vmap_areas().
 *
 * Version: linux-6.1 (and 6.12). Upstream path: mm/vmalloc.c.
 * Text read: Debian linux-source-6.1 (6.1.192) mm/vmalloc.c lines
 *   3770-4098; linux-source-6.12 lines 4570-4898, which differ only where
 *   pcpu_ops_6_1 says.
 */

import { list_head } from '../../../include/linux/list.js';
import { rb_root } from '../../../include/linux/rbtree.js';
import { ALIGN, misalign, ugt, ult, type ulong } from '../../../include/u64.js';
import { rb_prev } from '../../../lib/rbtree/linux-6.1.js';
import { node_to_va, type pcpu_area, pcpu_check_areas, type pcpu_free_tree_host, type pcpu_lines, pvm_determine_end_from_reverse, pvm_find_va_enclose_addr } from './linux-5.2.js';

/** What the 6.1 and 6.12 versions do their own way. */
export interface pcpu_ops_6_1<T> {
  /** GFP_KERNEL in the version's encoding */
  readonly gfp_kernel: number;
  /** adjust_va_to_fit_type() (6.1) or va_clip() (6.12) on the free tree: 0 or an error */
  clip(va: T, start: ulong, size: ulong): number;
  /** insert_vmap_area() of each area into the busy tree, under its lock */
  insert_busy(vas: readonly T[]): void;
  /** purge_vmap_area_lazy() (6.1) or reclaim_and_purge_vmap_areas() (6.12) */
  purge(): void;
}

export interface pcpu_host_6_1<T extends pcpu_area<T>> extends pcpu_free_tree_host<T> {
  merge_or_add_vmap_area_augment(va: T, root: rb_root, head: list_head<T>): T | null;
}

/** 6.1.192's line numbers of the BUG/WARN sites (pcpu_lines). */
export const PCPU_LINES_6_1: pcpu_lines = [3875, 3881, 3882, 3892, 3898, 3979, 3986];
/** 6.12's. */
export const PCPU_LINES_6_12: pcpu_lines = [4675, 4681, 4682, 4692, 4698, 4779, 4785];
/** 7.3's. */
export const PCPU_LINES_7_3: pcpu_lines = [5000, 5006, 5007, 5017, 5023, 5104, 5110];

/*
 * pcpu_get_vm_areas(): nr_vms areas at offsets[i] from one common base, for
 * the percpu allocator's chunks (one area per NUMA group, the groups far
 * apart), top-down. While an area does not fit, the base is pulled down
 * (inside the block the area reaches above, or under the block it starts
 * below) and the scan restarts from that area, until every area fits; then
 * each is carved out of the free tree and all are inserted busy. Returns
 * the vmap_areas (the kernel returns their vm_structs, which the vm_struct
 * layer builds), or null.
 */
export function pcpu_get_vm_areas<T extends pcpu_area<T>>(
  a: pcpu_host_6_1<T>,
  ops: pcpu_ops_6_1<T>,
  line: pcpu_lines,
  offsets: readonly ulong[],
  sizes: readonly ulong[],
  nr_vms: number,
  align: ulong,
): T[] | null {
  const vmalloc_start = ALIGN(a.env.VMALLOC_START, align);
  const vmalloc_end = a.env.VMALLOC_END - misalign(a.env.VMALLOC_END, align);
  let va: T | null;
  let area: number;
  let term_area: number;
  let base: ulong;
  let start: ulong;
  let size: ulong;
  let end: ulong;
  let purged = false;

  const checked = pcpu_check_areas(a, line, offsets, sizes, nr_vms, align);
  if (!checked) return null;
  const { last_area, last_end } = checked;

  // kcalloc the arrays; one vmap_area per area (the vm_structs are the caller's).
  const vas: (T | null)[] = new Array<T | null>(nr_vms).fill(null);
  for (area = 0; area < nr_vms; area++) {
    vas[area] = a.kmem_cache_alloc(ops.gfp_kernel);
    if (!vas[area]) return null; // goto err_free
  }

  retry: for (;;) {
    // spin_lock(&free_vmap_area_lock);
    overflow: {
      recovery: {
        // Scan from the top, starting with the highest area.
        area = term_area = last_area;
        start = offsets[area]!;
        end = start + sizes[area]!;

        const ref = { va: pvm_find_va_enclose_addr(a, vmalloc_end) };
        base = pvm_determine_end_from_reverse(a, ref, align) - end;
        va = ref.va;

        for (;;) {
          // base may have wrapped below zero: compare with last_end added.
          if (ult(base + last_end, vmalloc_start + last_end)) break overflow;

          // No base fits.
          if (va === null) break overflow;

          // The area reaches above this block: pull base down into it, recheck.
          if (ugt(base + end, va.va_end)) {
            ref.va = va;
            base = pvm_determine_end_from_reverse(a, ref, align) - end;
            va = ref.va;
            term_area = area;
            continue;
          }

          // The area starts below this block: go to the block under it, recheck.
          if (ult(base + start, va.va_start)) {
            ref.va = node_to_va(a, rb_prev(va));
            base = pvm_determine_end_from_reverse(a, ref, align) - end;
            va = ref.va;
            term_area = area;
            continue;
          }

          // This area fits; on to the one before, done when back at term_area.
          area = (area + nr_vms - 1) % nr_vms;
          if (area === term_area) break;

          start = offsets[area]!;
          end = start + sizes[area]!;
          va = pvm_find_va_enclose_addr(a, base + end);
        }

        // A base fits every area: carve them out of the free tree.
        for (area = 0; area < nr_vms; area++) {
          start = base + offsets[area]!;
          size = sizes[area]!;

          va = pvm_find_va_enclose_addr(a, start);
          if (a.WARN_ON_ONCE_AT(va === null, 'pcpu_get_vm_areas', line[5], 'va == NULL'))
            // A BUG() really, but recover.
            break recovery;

          const ret = ops.clip(va as T, start, size);
          if (a.WARN_ON_ONCE_AT(ret !== 0, 'pcpu_get_vm_areas', line[6], 'unlikely(ret)'))
            // A BUG() really, but recover.
            break recovery;

          // The allocated area.
          va = vas[area]!;
          va.va_start = start;
          va.va_end = start + size;
        }

        // spin_unlock(&free_vmap_area_lock);

        // kasan_populate_vmalloc(): KASAN is off.

        // Insert them busy (and setup_vmalloc_vm* their vm_structs: the vm_struct layer).
        ops.insert_busy(vas as T[]);

        // kasan_unpoison_vmap_areas(): KASAN is off.
        return vas as T[];
      }
      // recovery: give the areas carved so far back to the free tree (they
      // are not busy yet).
      while (area--) {
        a.merge_or_add_vmap_area_augment(vas[area]!, a.free_vmap_area_root, a.free_vmap_area_list);
        // kasan_release_vmalloc(): KASAN is off.
        vas[area] = null;
      }
    }
    // overflow:
    // spin_unlock(&free_vmap_area_lock);
    if (!purged) {
      ops.purge();
      purged = true;

      // Before retrying, replace the areas recovery gave back.
      for (area = 0; area < nr_vms; area++) {
        if (vas[area]) continue;

        vas[area] = a.kmem_cache_alloc(ops.gfp_kernel);
        if (!vas[area]) return null; // goto err_free
      }

      continue retry;
    }

    // err_free: the vmap_areas and vm_structs are dropped.
    return null;
  }
}
