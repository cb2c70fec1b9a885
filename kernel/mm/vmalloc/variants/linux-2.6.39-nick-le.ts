// SPDX-License-Identifier: GPL-2.0-only
/*
 * CHECK-LAYER VARIANT, NOT A KERNEL VERSION: linux-2.6.39 with Nick Piggin's
 * original invalidation test `size <= cached_hole_size` in place of Hugh
 * Dickins' `size < cached_hole_size` (vmalloc-history.md 2.6, item 2), so
 * that `vmapsim check --kernel linux-2.6.39 --against linux-2.6.39-nick-le`
 * can ask whether any sequence tells the two apart.
 *
 * A subclass of the port: only alloc_vmap_area is restated, a copy of the
 * port's method with that one comparison changed.
 * test/kernel/mm/vmalloc/variants/linux-2.6.39-nick-le.test.ts checks that the
 * copy differs from the port's method in nothing else.
 */

import { ERR_PTR, EBUSY, ENOMEM } from '../../../include/linux/errno.js';
import { PAGE_SIZE } from '../../../include/asm/page.js';
import { ALIGN, is_power_of_2, misalign, ugt, uge, ule, ult, type ulong } from '../../../include/u64.js';
import { rb_node } from '../../../include/linux/rbtree.js';
import { rb_next } from '../../../lib/rbtree/linux-2.6.35.js';
import { GFP_KERNEL, NUMA_NO_NODE, spin_lock, spin_unlock } from '../../../mm/vmalloc/common.js';
import { vmap_allocator, vmap_area } from '../../../mm/vmalloc/linux-2.6.39.js';

export class variant_allocator extends vmap_allocator {
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

    this.BUG_ON(!size, 'alloc_vmap_area', '!size');
    this.BUG_ON(misalign(size, PAGE_SIZE) !== 0, 'alloc_vmap_area', 'size & ~PAGE_MASK');
    this.BUG_ON(!is_power_of_2(align), 'alloc_vmap_area', '!is_power_of_2(align)');

    const va = this.kmalloc_vmap_area(gfp_mask, node);
    if (!va) return ERR_PTR(-ENOMEM);

    retry: for (;;) {
      spin_lock(this.env, 'vmap_area_lock');
      search: {
        // Drop the cache when this request is more permissive than the
        // ones that built it. cached_hole_size is the largest hole seen
        // below the cached area: a request that fits in it must search from
        // vstart to reuse it. __free_vmap_area() may move the cache without
        // updating the hole size or the alignment.
        let nocache =
          !this.free_vmap_cache || ule(size, this.cached_hole_size) || ult(vstart, this.cached_vstart) || ult(align, this.cached_align);
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
            addr = ALIGN(first.va_end + PAGE_SIZE, align);
            if (ult(addr, vstart)) {
              nocache = true;
              continue; // goto nocache
            }
            if (ult(addr + size - 1, addr)) break search; // goto overflow
          } else {
            addr = ALIGN(vstart, align);
            if (ult(addr + size - 1, addr)) break search; // goto overflow

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
          while (uge(addr + size, first.va_start) && ule(addr + size, vend)) {
            if (ult(addr + this.cached_hole_size, first.va_start)) this.cached_hole_size = first.va_start - addr;
            addr = ALIGN(first.va_end + PAGE_SIZE, align);
            if (ult(addr + size - 1, addr)) break search; // goto overflow

            n = rb_next(first);
            if (n) first = this.rb_entry(n);
            else break; // goto found
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
          spin_unlock(this.env, 'vmap_area_lock');

          this.BUG_ON(misalign(va.va_start, align) !== 0, 'alloc_vmap_area', 'va->va_start & (align-1)');
          this.BUG_ON(ult(va.va_start, vstart), 'alloc_vmap_area', 'va->va_start < vstart');
          this.BUG_ON(ugt(va.va_end, vend), 'alloc_vmap_area', 'va->va_end > vend');

          return va;
        }
      }
      // overflow:
      spin_unlock(this.env, 'vmap_area_lock');
      if (!purged) {
        this.purge_vmap_area_lazy();
        purged = 1;
        continue retry;
      }
      // printk_ratelimit() warning "vmap allocation for size %lu failed"
      // kfree(va);
      return ERR_PTR(-EBUSY);
    }
  }
}
