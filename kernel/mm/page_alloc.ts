// SPDX-License-Identifier: GPL-2.0-only
/*
 * A simple physical page allocator over the machine's frames: what
 * mm/page_alloc.c gives the vmalloc layer (alloc_page, __free_page), minus
 * zones, orders and reclaim. One instance per booted kernel (no module state).
 *
 * Not a port: the buddy allocator is out of scope. The names are the
 * kernel's; struct page is reduced to its page frame number.
 */

import { COST_INDEX } from '../../hw/costs.js';
import type { Machine } from '../../hw/index.js';

/** __GFP_ZERO: return a zeroed page. */
export const __GFP_ZERO = 0x100;
/** __GFP_HIGHMEM: meaningless on x86-64, accepted. */
export const __GFP_HIGHMEM = 0x02;
/** GFP_KERNEL, as include/linux/gfp.h of 6.1 spells it (__GFP_RECLAIM | __GFP_IO | __GFP_FS). */
export const GFP_KERNEL = 0xcc0;

/** struct page, reduced to the frame it describes. */
export class page {
  constructor(readonly pfn: number) {}
}

/** The physical page allocator of one kernel instance. */
export class page_alloc {
  /** Pages handed out by alloc_page() so far. */
  nr_allocated = 0;
  /** Pages given back by __free_page() so far. */
  nr_freed = 0;
  /** alloc_page() calls that found no free frame (the machine's memory exhausted). */
  nr_failed = 0;
  /** Page-table pages (pte_alloc_kernel/pmd_alloc/pud_alloc/p4d_alloc) so far; never freed. */
  nr_pgtable_pages = 0;
  /**
   * One bit per frame: set while the frame is a data page handed out by
   * alloc_page(). A bitmap rather than a Set: at 64 CPUs the test module
   * keeps millions of pages live, and a Set of that size cost more than
   * the allocation it guards (docs/performance.md, "The 64-thread module's
   * pages").
   */
  private readonly live: Uint32Array;
  private nr_live = 0;

  constructor(readonly machine: Machine) {
    this.live = new Uint32Array(Math.ceil(Math.floor(machine.config.physMemBytes / 4096) / 32));
  }

  /** alloc_page(gfp_mask): one frame, zeroed with __GFP_ZERO; null when memory is exhausted. */
  alloc_page(gfp_mask: number = GFP_KERNEL): page | null {
    const zero = (gfp_mask & __GFP_ZERO) !== 0;
    const frame = this.machine.allocFrame({ zero });
    if (frame === null) {
      this.nr_failed++;
      return null;
    }
    this.charge(COST_INDEX.pageAlloc);
    if (zero) this.charge(COST_INDEX.pageZero);
    this.nr_allocated++;
    this.live[frame >>> 5]! |= 1 << (frame & 31);
    this.nr_live++;
    return new page(frame);
  }

  /** __free_page(page): the frame goes back with its contents (a stale reader sees them). */
  __free_page(p: page): void {
    if (!this.is_allocated(p.pfn)) throw new Error(`__free_page of pfn ${p.pfn}, which is not allocated (double free?)`);
    this.live[p.pfn >>> 5]! &= ~(1 << (p.pfn & 31));
    this.nr_live--;
    this.nr_freed++;
    this.charge(COST_INDEX.pageFree);
    this.machine.freeFrame(p.pfn);
  }

  /** The cost of a page operation, to the CPU whose code runs (none outside kernel code). */
  private charge(index: number): void {
    const cpu = this.machine.currentCpu;
    if (cpu >= 0) this.machine.cpu(cpu).charge(index, this.machine.costVector[index]!);
  }

  /** A zeroed page for a page table (counted apart; vunmap never frees them). */
  alloc_pgtable_page(): page | null {
    const frame = this.machine.allocFrame({ zero: true });
    if (frame === null) return null;
    this.charge(COST_INDEX.pageAlloc);
    this.charge(COST_INDEX.pageZero);
    this.nr_pgtable_pages++;
    return new page(frame);
  }

  /** Pages allocated with alloc_page() and not freed. */
  get nr_in_use(): number {
    return this.nr_live;
  }

  /** Whether `pfn` is an allocated data page. */
  is_allocated(pfn: number): boolean {
    return pfn >= 0 && pfn < this.live.length * 32 && (this.live[pfn >>> 5]! & (1 << (pfn & 31))) !== 0;
  }

  /** totalram_pages(): the machine's frames. */
  totalram_pages(): number {
    return Math.floor(this.machine.config.physMemBytes / 4096);
  }
}
