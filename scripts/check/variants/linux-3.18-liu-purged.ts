// SPDX-License-Identifier: GPL-2.0-only
/*
 * CHECK-LAYER VARIANT, NOT A KERNEL VERSION: linux-3.18 with Liu Song's
 * "[RFC PATCH] mm/vmalloc: make sure to traverse from the beginning when
 * overflow occur" (12 Apr 2020; reference §7 item 8b; reply with the diff:
 * public index id 49352576933): the cache is also dropped when `purged` is
 * set, so the search after a purge-and-retry starts from vstart. Posted
 * against a cache-era tree (3.x..5.1, whose alloc_vmap_area is 3.18's plus
 * the 5.1 `addr < vstart` check); never merged, the code being gone in 5.2.
 * `vmapsim check --kernel linux-3.18-liu-purged --against linux-3.18` asks
 * what it changes.
 *
 * A subclass of the port: only alloc_vmap_area is restated, a copy of the
 * port's method with that one condition added.
 * test/scripts/check/variants/linux-3.18-liu-purged.test.ts checks that the
 * copy differs from the port's method in nothing else.
 */

import { EBUSY, ENOMEM, ERR_PTR } from '../../../kernel/include/linux/errno';
import { PAGE_SIZE } from '../../../kernel/include/asm/page';
import { rb_node } from '../../../kernel/include/linux/rbtree';
import { ALIGN, is_power_of_2, misalign, ugt, uge, ule, ult, ulong } from '../../../kernel/include/u64';
import { GFP_KERNEL, NUMA_NO_NODE } from '../../../kernel/mm/vmalloc/common';
import { linux_3_18, vmap_area } from '../../../kernel/mm/vmalloc/linux-3.18';
import { list_is_last } from '../../../kernel/include/linux/list';

export const VERSION = 'linux-3.18-liu-purged';

export class linux_3_18_liu_purged extends linux_3_18 {
  override readonly version = VERSION as 'linux-3.18';

  /*
   * Find a free range of `size` bytes aligned to `align` inside
   * [vstart, vend) and insert an area for it.
   */
  override alloc_vmap_area(
    size: ulong,
    align: ulong,
    vstart: ulong,
    vend: ulong,
    node: number = NUMA_NO_NODE,
    gfp_mask: number = GFP_KERNEL,
  ): vmap_area | ERR_PTR {
    let n: rb_node | null;
    let addr: ulong = 0;
    let purged = 0;
    let first: vmap_area | null = null;

    this.BUG_ON(!size, 'alloc_vmap_area', 355, '!size');
    this.BUG_ON(misalign(size, PAGE_SIZE) !== 0, 'alloc_vmap_area', 356, 'size & ~PAGE_MASK');
    this.BUG_ON(!is_power_of_2(align), 'alloc_vmap_area', 357, '!is_power_of_2(align)');

    const va = this.kmalloc_vmap_area(gfp_mask, node);
    if (!va) return ERR_PTR(-ENOMEM);

    // kmemleak_scan_area(&va->rb_node, SIZE_MAX, ...): kmemleak is not modelled.

    retry: for (;;) {
      // spin_lock(&vmap_area_lock);
      search: {
        // Drop the cache when this request is more permissive than the
        // ones that built it. cached_hole_size is the largest hole seen
        // below the cached area: a request that fits in it must search from
        // vstart to reuse it. __free_vmap_area() may move the cache without
        // updating the hole size or the alignment.
        let nocache =
          !this.free_vmap_cache || ult(size, this.cached_hole_size) || ult(vstart, this.cached_vstart) || ult(align, this.cached_align) || !!purged;
        for (;;) {
          if (nocache) {
            // nocache:
            this.cached_hole_size = 0;
            this.free_vmap_cache = null;
          }
          // Remember the less permissive parameters.
          this.cached_vstart = vstart;
          this.cached_align = align;

          // Where the search starts.
          if (this.free_vmap_cache) {
            first = this.rb_entry(this.free_vmap_cache);
            addr = ALIGN(first.va_end, align);
            if (ult(addr, vstart)) {
              nocache = true;
              continue; // goto nocache
            }
            if (ult(addr + size, addr)) break search; // goto overflow
          } else {
            addr = ALIGN(vstart, align);
            if (ult(addr + size, addr)) break search; // goto overflow

            n = this.vmap_area_root.rb_node;
            first = null;

            while (n) {
              const tmp = this.rb_entry(n);
              if (uge(tmp.va_end, addr)) {
                first = tmp;
                if (ule(tmp.va_start, addr)) break;
                n = n.rb_left;
              } else n = n.rb_right;
            }

            if (!first) break; // goto found
          }

          // From the starting point, walk the areas until a hole fits.
          while (ugt(addr + size, first.va_start) && ule(addr + size, vend)) {
            if (ult(addr + this.cached_hole_size, first.va_start)) this.cached_hole_size = first.va_start - addr;
            addr = ALIGN(first.va_end, align);
            if (ult(addr + size, addr)) break search; // goto overflow

            if (list_is_last(first.list, this.vmap_area_list)) break; // goto found

            first = this.list_entry(first.list.next);
          }
          break;
        }

        // found:
        if (!ugt(addr + size, vend)) { // else goto overflow
          va.va_start = addr;
          va.va_end = addr + size;
          va.flags = 0;
          this.__insert_vmap_area(va);
          this.free_vmap_cache = va;
          // spin_unlock(&vmap_area_lock);

          this.BUG_ON(misalign(va.va_start, align) !== 0, 'alloc_vmap_area', 452, 'va->va_start & (align-1)');
          this.BUG_ON(ult(va.va_start, vstart), 'alloc_vmap_area', 453, 'va->va_start < vstart');
          this.BUG_ON(ugt(va.va_end, vend), 'alloc_vmap_area', 454, 'va->va_end > vend');

          return va;
        }
      }
      // overflow:
      // spin_unlock(&vmap_area_lock);
      if (!purged) {
        this.purge_vmap_area_lazy();
        purged = 1;
        continue retry;
      }
      // printk_ratelimit() && pr_warn("vmap allocation for size %lu failed: ...")
      // kfree(va);
      return ERR_PTR(-EBUSY);
    }
  }
}
