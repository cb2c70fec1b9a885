// SPDX-License-Identifier: GPL-2.0-only
/*
 * pcpu_get_vm_areas() of v5.2, rewritten for the augmented free tree by
 * "mm/vmalloc.c: keep track of free blocks for vmap allocation"
 * (68ad4a330433): the base is searched top-down over the *free* blocks
 * (pvm_find_va_enclose_addr, pvm_determine_end_from_reverse, both kept by
 * every later version), and each area is carved out of the free tree. Its
 * fit test sends the search to the previous free block both when an area
 * starts below the block and when it only reaches above it: a block
 * partly covered by the area is skipped whatever its size, and the percpu
 * allocator can fail with terabytes free. 5.3-rc5 fixed the test
 * (pcpu/linux-6.1.ts).
 *
 * Version: linux-5.2. Upstream path: mm/vmalloc.c.
 * Text read: no pristine v5.2 mm/vmalloc.c is in the public code index; this
 *   is the v3 patch of 68ad4a330433 (index id 14581640245) with 5.2's names
 *   (classify_va_fit_type, adjust_va_to_fit_type, insert_vmap_area; the 5.2
 *   allocator's reconstruction in ../linux-5.2.ts has the same), its fit
 *   test as quoted by the fix (id 45787669855) as mainline's. The BUG/WARN
 *   line numbers are estimates.
 */

import { PAGE_SIZE } from '../../../include/asm/page.js';
import { list_head } from '../../../include/linux/list.js';
import { rb_node, rb_root } from '../../../include/linux/rbtree.js';
import { ALIGN, is_power_of_2, misalign, ugt, uge, ule, ult, type ulong, umin } from '../../../include/u64.js';
import { rb_prev } from '../../../lib/rbtree/linux-6.1.js';
import { GFP_KERNEL, spin_lock, spin_unlock, type VmallocEnv } from '../common.js';

/** What a vmap_area of these versions has. */
export interface pcpu_area<T> extends rb_node {
  va_start: ulong;
  va_end: ulong;
  readonly list: list_head<T>;
}

/** The allocator state and helpers the free-tree search reads. */
export interface pcpu_free_tree_host<T extends pcpu_area<T>> {
  readonly version: string;
  readonly env: VmallocEnv;
  readonly free_vmap_area_root: rb_root;
  readonly free_vmap_area_list: list_head<T>;
  rb_entry(n: rb_node): T;
  rb_entry_safe(n: rb_node | null): T | null;
  list_entry(l: list_head<T>): T;
  BUG_ON_AT(cond: boolean, func: string, line: number, text: string): void;
  WARN_ON_AT(cond: boolean, func: string, line: number, text: string): boolean;
  WARN_ON_ONCE_AT(cond: boolean, func: string, line: number, text: string): boolean;
  kmem_cache_alloc(gfp_mask: number): T | null;
}

/**
 * The BUG_ON/WARN sites of pcpu_get_vm_areas in a version's mm/vmalloc.c:
 * the align check, the two IS_ALIGNED checks, the overlap check, the WARN
 * on a request larger than the range, then the carving loop's two.
 */
export type pcpu_lines = readonly [number, number, number, number, number, number, number];

/** node_to_va(): rb_entry_safe() of a tree node. */
export function node_to_va<T extends pcpu_area<T>>(a: pcpu_free_tree_host<T>, n: rb_node | null): T | null {
  return a.rb_entry_safe(n);
}

/*
 * The free block addr lies in; failing that, the highest free block below
 * addr; null when there is none.
 */
export function pvm_find_va_enclose_addr<T extends pcpu_area<T>>(a: pcpu_free_tree_host<T>, addr: ulong): T | null {
  let n = a.free_vmap_area_root.rb_node;
  let va: T | null = null;

  while (n) {
    const tmp = a.rb_entry(n);
    if (ule(tmp.va_start, addr)) {
      va = tmp;
      if (uge(tmp.va_end, addr)) break;

      n = n.rb_right;
    } else {
      n = n.rb_left;
    }
  }

  return va;
}

/*
 * From *va down the free list, the first block with room below its aligned
 * end (capped at the aligned VMALLOC_END): return that end and leave *va
 * (ref.va) on the block. 0 when no block qualifies.
 */
export function pvm_determine_end_from_reverse<T extends pcpu_area<T>>(a: pcpu_free_tree_host<T>, ref: { va: T | null }, align: ulong): ulong {
  const vmalloc_end = a.env.VMALLOC_END - misalign(a.env.VMALLOC_END, align); // VMALLOC_END & ~(align - 1)
  let addr: ulong;

  if (ref.va) {
    // list_for_each_entry_from_reverse((*va), &free_vmap_area_list, list).
    // Past the first block C leaves *va on the list head's container; here
    // that is null. The caller's underflow test fires first either way.
    for (; ref.va !== null; ref.va = a.list_entry(ref.va.list.prev)) {
      addr = umin(ref.va.va_end - misalign(ref.va.va_end, align), vmalloc_end);
      if (ult(ref.va.va_start, addr)) return addr;
    }
  }

  return 0;
}

/*
 * The checks at the top of pcpu_get_vm_areas(): inline in the kernel, a
 * function here because 5.2's text and 6.1/6.12's are the same. Returns the
 * highest area and its end, or null after the WARN.
 */
export function pcpu_check_areas<T extends pcpu_area<T>>(
  a: pcpu_free_tree_host<T>,
  line: pcpu_lines,
  offsets: readonly ulong[],
  sizes: readonly ulong[],
  nr_vms: number,
  align: ulong,
): { last_area: number; last_end: ulong } | null {
  const vmalloc_start = ALIGN(a.env.VMALLOC_START, align);
  const vmalloc_end = a.env.VMALLOC_END - misalign(a.env.VMALLOC_END, align);
  let last_area: number;
  let area: number;

  // Check the arguments.
  a.BUG_ON_AT(misalign(align, PAGE_SIZE) !== 0 || !is_power_of_2(align), 'pcpu_get_vm_areas', line[0], 'offset_in_page(align) || !is_power_of_2(align)');
  for (last_area = 0, area = 0; area < nr_vms; area++) {
    const start = offsets[area]!;
    const end = start + sizes[area]!;

    // Every offset and size a multiple of align.
    a.BUG_ON_AT(misalign(offsets[area]!, align) !== 0, 'pcpu_get_vm_areas', line[1], '!IS_ALIGNED(offsets[area], align)');
    a.BUG_ON_AT(misalign(sizes[area]!, align) !== 0, 'pcpu_get_vm_areas', line[2], '!IS_ALIGNED(sizes[area], align)');

    // The area that lies highest.
    if (ugt(start, offsets[last_area]!)) last_area = area;

    for (let area2 = area + 1; area2 < nr_vms; area2++) {
      const start2 = offsets[area2]!;
      const end2 = start2 + sizes[area2]!;

      a.BUG_ON_AT(ult(start2, end) && ult(start, end2), 'pcpu_get_vm_areas', line[3], 'start2 < end && start < end2');
    }
  }
  const last_end = offsets[last_area]! + sizes[last_area]!;

  if (ult(vmalloc_end - vmalloc_start, last_end)) {
    a.WARN_ON_AT(true, 'pcpu_get_vm_areas', line[4], 'true');
    return null;
  }
  return { last_area, last_end };
}

/** What 5.2's version also needs: the busy tree, the fit helpers, the purge. */
export interface pcpu_host_5_2<T extends pcpu_area<T>> extends pcpu_free_tree_host<T> {
  readonly vmap_area_root: rb_root;
  readonly vmap_area_list: list_head<T>;
  classify_va_fit_type(va: T, nva_start_addr: ulong, size: ulong): number;
  adjust_va_to_fit_type(va: T, nva_start_addr: ulong, size: ulong, type: number): number;
  insert_vmap_area(va: T, root: rb_root, head: list_head<T>): void;
  __free_vmap_area(va: T): void;
  purge_vmap_area_lazy(): void;
}

/** enum fit_type's NOTHING_FIT. */
const NOTHING_FIT = 0;

/*
 * pcpu_get_vm_areas(): nr_vms areas at offsets[i] from one common base, for
 * the percpu allocator's chunks (one area per NUMA group, the groups far
 * apart), top-down. While an area does not fit the free block under it,
 * the search moves to the block below and restarts from that area, until
 * every area fits; then each is carved out of the free tree and inserted
 * busy. Returns the vmap_areas (the kernel returns their vm_structs, which
 * the vm_struct layer builds: setup_vmalloc_vm), or null.
 */
export function pcpu_get_vm_areas<T extends pcpu_area<T>>(
  a: pcpu_host_5_2<T>,
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

  // The arrays; one vmap_area per area (the vm_structs are the caller's).
  const vas: (T | null)[] = new Array<T | null>(nr_vms).fill(null);
  for (area = 0; area < nr_vms; area++) {
    vas[area] = a.kmem_cache_alloc(GFP_KERNEL);
    if (!vas[area]) return null; // goto err_free
  }

  retry: for (;;) {
    spin_lock(a.env, 'vmap_area_lock');
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

          // This block does not hold the area: go to the block under it, and
          // recheck. Also when the area only reaches above the block, which
          // 5.3's fix handles by moving base down inside the block: here the
          // block is skipped whatever its size.
          if (ult(base + start, va.va_start) || ugt(base + end, va.va_end)) {
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

        // A base fits every area: carve each out of the free tree and insert it busy.
        for (area = 0; area < nr_vms; area++) {
          start = base + offsets[area]!;
          size = sizes[area]!;

          va = pvm_find_va_enclose_addr(a, start);
          if (a.WARN_ON_ONCE_AT(va === null, 'pcpu_get_vm_areas', line[5], 'va == NULL'))
            // A BUG() really, but recover.
            break recovery;

          const type = a.classify_va_fit_type(va as T, start, size);
          if (a.WARN_ON_ONCE_AT(type === NOTHING_FIT, 'pcpu_get_vm_areas', line[6], 'type == NOTHING_FIT'))
            // A BUG() really, but recover.
            break recovery;

          const ret = a.adjust_va_to_fit_type(va as T, start, size, type);
          if (ret) break recovery;

          // The allocated area.
          va = vas[area]!;
          va.va_start = start;
          va.va_end = start + size;

          a.insert_vmap_area(va, a.vmap_area_root, a.vmap_area_list);
        }

        spin_unlock(a.env, 'vmap_area_lock');

        // setup_vmalloc_vm(vms[area], vas[area], VM_ALLOC, pcpu_get_vm_areas): the vm_struct layer
        return vas as T[];
      }
      // recovery: take the areas inserted so far out again.
      while (area--) {
        a.__free_vmap_area(vas[area]!);
        vas[area] = null;
      }
    }
    // overflow:
    spin_unlock(a.env, 'vmap_area_lock');
    if (!purged) {
      a.purge_vmap_area_lazy();
      purged = true;

      // Before retrying, replace the areas recovery gave back.
      for (area = 0; area < nr_vms; area++) {
        if (vas[area]) continue;

        vas[area] = a.kmem_cache_alloc(GFP_KERNEL);
        if (!vas[area]) return null; // goto err_free
      }

      continue retry;
    }

    // err_free: the vmap_areas and vm_structs are dropped.
    return null;
  }
}
