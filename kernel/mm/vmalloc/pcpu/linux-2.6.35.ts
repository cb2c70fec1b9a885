// SPDX-License-Identifier: GPL-2.0-only
/*
 * pcpu_get_vm_areas() as the percpu allocator's vmalloc side had it from its
 * introduction (2.6.32, ca23e405, Tejun Heo, "vmalloc: implement
 * pcpu_get_vm_areas()") until 5.1: a top-down search of the *busy* tree,
 * starting under vmap_area_pcpu_hole, with pvm_find_next_prev() and
 * pvm_determine_end(). One text serves linux-2.6.35, the mmotm vmap cache,
 * linux-2.6.39 and linux-3.18 (their allocator files call it); 3.x only
 * dropped the gfp argument (GFP_KERNEL) and renamed insert_vmalloc_vm to
 * setup_vmalloc_vm, which belong to the vm_struct layer.
 *
 * Version: linux-2.6.35 (and 3.18). Upstream path: mm/vmalloc.c.
 * Text read: linux-2.6.35.6 mm/vmalloc.c (index id 38332888255, lines
 *   2059-2263), compared with v3.18's lines 2255-2456: the differences are
 *   the ones named above. The "-" lines of the 5.2 rewrite (index id
 *   14581640245) show the same text.
 */

import { PAGE_SIZE } from '../../../include/asm/page.js';
import { rb_node, rb_root } from '../../../include/linux/rbtree.js';
import { ALIGN, is_power_of_2, misalign, ugt, uge, ule, ult, type ulong, umin } from '../../../include/u64.js';
import { NUMA_NO_NODE, spin_lock, spin_unlock, type VmallocEnv } from '../common.js';

/** What a vmap_area of these versions has. */
interface pcpu_area extends rb_node {
  va_start: ulong;
  va_end: ulong;
}

/** The allocator state and helpers the search reads, as each version's file has them. */
export interface pcpu_busy_tree_host<T extends pcpu_area> {
  readonly version: string;
  readonly env: VmallocEnv;
  readonly vmap_area_root: rb_root;
  vmap_area_pcpu_hole: ulong;
  rb_entry(n: rb_node): T;
  BUG_ON_AT(cond: boolean, func: string, line: number, text: string): void;
  kmalloc_vmap_area(gfp_mask: number, node: number): T | null;
  __insert_vmap_area(va: T): void;
  purge_vmap_area_lazy(): void;
}

/**
 * Where the BUG_ON/WARN_ON sites of pcpu_get_vm_areas stand in a version's
 * mm/vmalloc.c: the align check, the two IS_ALIGNED checks, the two overlap
 * checks, the WARN on a request larger than the range, the two checks
 * inside the search loop.
 */
export type pcpu_lines = readonly [number, number, number, number, number, number, number, number];

/** 2.6.35.6's line numbers (also used for mmotm and 2.6.39, whose text is not at hand). */
export const PCPU_LINES_2_6_35: pcpu_lines = [2180, 2186, 2187, 2200, 2201, 2207, 2237, 2238];
/** v3.18's. */
export const PCPU_LINES_3_18: pcpu_lines = [2373, 2379, 2380, 2393, 2394, 2400, 2430, 2431];

/** The era's rb_next/rb_prev (the caller's rbtree). */
export interface pcpu_rb_ops {
  rb_next(n: rb_node): rb_node | null;
  rb_prev(n: rb_node): rb_node | null;
}

/** node_to_va(): NULL stays NULL. */
function node_to_va<T extends pcpu_area>(a: pcpu_busy_tree_host<T>, n: rb_node | null): T | null {
  return n ? a.rb_entry(n) : null;
}

/** *pnext and *pprev of the C functions. */
export interface next_prev<T> {
  next: T | null;
  prev: T | null;
}

/*
 * The busy areas around `end`: next the first whose va_end lies above it,
 * prev the one before it (va_end <= end). False when the tree is empty.
 */
export function pvm_find_next_prev<T extends pcpu_area>(a: pcpu_busy_tree_host<T>, rb: pcpu_rb_ops, end: ulong, p: next_prev<T>): boolean {
  let n = a.vmap_area_root.rb_node;
  let va: T | null = null;

  while (n) {
    va = a.rb_entry(n);
    if (ult(end, va.va_end)) n = n.rb_left;
    else if (ugt(end, va.va_end)) n = n.rb_right;
    else break;
  }

  if (!va) return false;

  if (ugt(va.va_end, end)) {
    p.next = va;
    p.prev = node_to_va(a, rb.rb_prev(p.next));
  } else {
    p.prev = va;
    p.next = node_to_va(a, rb.rb_next(p.prev));
  }
  return true;
}

/*
 * The highest align-aligned address at or below next's start (capped at the
 * aligned VMALLOC_END), with next/prev moved down until prev ends at or
 * below it. The address may still fall inside next; the caller checks.
 */
export function pvm_determine_end<T extends pcpu_area>(a: pcpu_busy_tree_host<T>, rb: pcpu_rb_ops, p: next_prev<T>, align: ulong): ulong {
  const vmalloc_end = a.env.VMALLOC_END - misalign(a.env.VMALLOC_END, align); // VMALLOC_END & ~(align - 1)
  let addr: ulong;

  if (p.next) addr = umin(p.next.va_start - misalign(p.next.va_start, align), vmalloc_end);
  else addr = vmalloc_end;

  while (p.prev && ugt(p.prev.va_end, addr)) {
    p.next = p.prev;
    p.prev = node_to_va(a, rb.rb_prev(p.next));
  }

  return addr;
}

/*
 * pcpu_get_vm_areas(): nr_vms areas at offsets[i] from one common base,
 * for the percpu allocator's chunks (one area per NUMA group, the groups
 * far apart), top-down and away from ordinary vmallocs. The scan starts
 * under vmap_area_pcpu_hole (the lowest percpu base so far; __free_vmap_area
 * raises it again): while an area overlaps a busy one, the base is pulled
 * down under that one and the scan restarts from this area, until every
 * area fits. Then all are inserted. Returns the vmap_areas (the kernel
 * returns their vm_structs, which the vm_struct layer builds), or null.
 * gfp_mask: 2.6.3x's argument (3.x allocates with GFP_KERNEL); as in these
 * versions' alloc_vmap_area, GFP_RECLAIM_MASK is not applied: the harness
 * passes 4.4+ encoded masks, whose bits the mask would keep.
 */
export function pcpu_get_vm_areas<T extends pcpu_area>(
  a: pcpu_busy_tree_host<T>,
  rb: pcpu_rb_ops,
  line: pcpu_lines,
  offsets: readonly ulong[],
  sizes: readonly ulong[],
  nr_vms: number,
  align: ulong,
  gfp_mask: number,
): T[] | null {
  const vmalloc_start = ALIGN(a.env.VMALLOC_START, align);
  const vmalloc_end = a.env.VMALLOC_END - misalign(a.env.VMALLOC_END, align);
  const p: next_prev<T> = { next: null, prev: null };
  let area: number;
  let term_area: number;
  let last_area: number;
  let base: ulong;
  let start: ulong;
  let end: ulong;
  let purged = false;

  // Check the arguments.
  a.BUG_ON_AT(misalign(align, PAGE_SIZE) !== 0 || !is_power_of_2(align), 'pcpu_get_vm_areas', line[0], 'align & ~PAGE_MASK || !is_power_of_2(align)');
  for (last_area = 0, area = 0; area < nr_vms; area++) {
    start = offsets[area]!;
    end = start + sizes[area]!;

    // Every offset and size a multiple of align.
    a.BUG_ON_AT(misalign(offsets[area]!, align) !== 0, 'pcpu_get_vm_areas', line[1], '!IS_ALIGNED(offsets[area], align)');
    a.BUG_ON_AT(misalign(sizes[area]!, align) !== 0, 'pcpu_get_vm_areas', line[2], '!IS_ALIGNED(sizes[area], align)');

    // The area that lies highest.
    if (ugt(start, offsets[last_area]!)) last_area = area;

    for (let area2 = 0; area2 < nr_vms; area2++) {
      const start2 = offsets[area2]!;
      const end2 = start2 + sizes[area2]!;

      if (area2 === area) continue;

      a.BUG_ON_AT(uge(start2, start) && ult(start2, end), 'pcpu_get_vm_areas', line[3], 'start2 >= start && start2 < end');
      a.BUG_ON_AT(ule(end2, end) && ugt(end2, start), 'pcpu_get_vm_areas', line[4], 'end2 <= end && end2 > start');
    }
  }
  const last_end = offsets[last_area]! + sizes[last_area]!;

  if (ult(vmalloc_end - vmalloc_start, last_end)) {
    a.env.hooks.warn({ version: a.version, func: 'pcpu_get_vm_areas', line: line[5], cond: 'true' }); // WARN_ON(true)
    return null;
  }

  // The arrays; one vmap_area per area (the vm_structs are the caller's).
  const vas: T[] = [];
  for (area = 0; area < nr_vms; area++) {
    const va = a.kmalloc_vmap_area(gfp_mask, NUMA_NO_NODE);
    if (!va) return null; // goto err_free
    vas.push(va);
  }

  retry: for (;;) {
    spin_lock(a.env, 'vmap_area_lock');

    // Scan from the top, starting with the highest area.
    area = term_area = last_area;
    start = offsets[area]!;
    end = start + sizes[area]!;

    found: {
      if (!pvm_find_next_prev(a, rb, a.vmap_area_pcpu_hole, p)) {
        base = vmalloc_end - last_end;
        break found;
      }
      base = pvm_determine_end(a, rb, p, align) - end;

      for (;;) {
        a.BUG_ON_AT(p.next !== null && ule(p.next.va_end, base + end), 'pcpu_get_vm_areas', line[6], 'next && next->va_end <= base + end');
        a.BUG_ON_AT(p.prev !== null && ugt(p.prev.va_end, base + end), 'pcpu_get_vm_areas', line[7], 'prev && prev->va_end > base + end');

        // base may have wrapped below zero: compare with last_end added.
        if (ult(base + last_end, vmalloc_start + last_end)) {
          spin_unlock(a.env, 'vmap_area_lock');
          if (!purged) {
            a.purge_vmap_area_lazy();
            purged = true;
            continue retry;
          }
          return null; // goto err_free
        }

        // next overlaps: move base down right under next, recheck.
        if (p.next && ult(p.next.va_start, base + end)) {
          base = pvm_determine_end(a, rb, p, align) - end;
          term_area = area;
          continue;
        }

        // prev overlaps: shift next and prev down, base under the new next, recheck.
        if (p.prev && ugt(p.prev.va_end, base + start)) {
          p.next = p.prev;
          p.prev = node_to_va(a, rb.rb_prev(p.next));
          base = pvm_determine_end(a, rb, p, align) - end;
          term_area = area;
          continue;
        }

        // This area fits; on to the one before, done when back at term_area.
        area = (area + nr_vms - 1) % nr_vms;
        if (area === term_area) break;
        start = offsets[area]!;
        end = start + sizes[area]!;
        pvm_find_next_prev(a, rb, base + end, p);
      }
    }
    // found: a base fits every area; insert them all.
    for (area = 0; area < nr_vms; area++) {
      const va = vas[area]!;

      va.va_start = base + offsets[area]!;
      va.va_end = va.va_start + sizes[area]!;
      a.__insert_vmap_area(va);
    }

    a.vmap_area_pcpu_hole = base + offsets[last_area]!;

    spin_unlock(a.env, 'vmap_area_lock');

    // insert_vmalloc_vm() / setup_vmalloc_vm() of each vm_struct: the vm_struct layer.
    return vas;
  }
}
