// SPDX-License-Identifier: GPL-2.0-only
/*
 * CHECK-LAYER VARIANT, NOT A KERNEL VERSION: linux-2.6.35 with Nick Piggin's
 * first vmap area cache patch (5 May 2010, Message-ID
 * 20100505161632.GB5378@laptop; reference vmalloc-history.md §2.2, version
 * B). Read from Minchan Kim's review, which quotes the whole diff (public
 * index id 11077661133); Nick's reply (id 11910107993) says its
 * BUG_ON(first->va_end < addr) "is the BUG that Steven hit". Nick meant the
 * patch to give "no difference in the allocation patterns":
 * `vmapsim check --kernel linux-2.6.35-nick-v1 --against linux-2.6.35`
 * asks whether it does, and where it BUGs.
 *
 * What the patch adds to 2.6.35: free_vmap_cache, cached_hole_size and
 * cached_start; the cache is dropped when `size <= cached_hole_size`, when
 * the aligned vstart lies below cached_start, or when there is none, and
 * cached_start is set only then; with a cache the search starts after the
 * cached area (no vstart or overflow test); without, the 2.6.35 descent, and
 * if the area it ends on starts below addr, BUG_ON(first->va_end < addr),
 * a step to the next area, then BUG_ON(first->va_start < addr). The walk
 * records the largest hole below the cache. __free_vmap_area moves the
 * cache back, or drops all of it when an area below cached_start is freed.
 * Line numbers: the patched file's, from the diff's hunk headers.
 */

import { ERR_PTR, EBUSY, ENOMEM } from '../../../include/linux/errno.js';
import { PAGE_SIZE } from '../../../include/asm/page.js';
import { RB_EMPTY_NODE, rb_node } from '../../../include/linux/rbtree.js';
import { ALIGN, hex, misalign, ugt, uge, ule, ult, type ulong } from '../../../include/u64.js';
import { rb_next, rb_prev } from '../../../lib/rbtree/linux-2.6.35.js';
import { GFP_KERNEL, NUMA_NO_NODE, spin_lock, spin_unlock } from '../../../mm/vmalloc/common.js';
import { vmap_allocator, vmap_area } from '../../../mm/vmalloc/linux-2.6.35.js';

export class variant_allocator extends vmap_allocator {
  free_vmap_cache: rb_node | null = null;
  cached_hole_size: ulong = 0;
  cached_start: ulong = 0;

  override alloc_vmap_area(
    size: ulong,
    align: ulong,
    vstart: ulong,
    vend: ulong,
    node: number = NUMA_NO_NODE,
    gfp_mask: number = GFP_KERNEL,
  ): vmap_area | ERR_PTR {
    let n: rb_node | null;
    let addr: ulong;
    let purged = 0;
    let first: vmap_area | null = null;

    this.BUG_ON(!size, 'alloc_vmap_area', '!size');
    this.BUG_ON(misalign(size, PAGE_SIZE) !== 0, 'alloc_vmap_area', 'size & ~PAGE_MASK');

    const va = this.kmalloc_vmap_area(gfp_mask, node);
    if (!va) return ERR_PTR(-ENOMEM);

    retry: for (;;) {
      addr = ALIGN(vstart, align);

      spin_lock(this.env, 'vmap_area_lock');
      search: {
        if (ult(addr + size - 1, addr)) break search; // goto overflow

        found: {
          if (ule(size, this.cached_hole_size) || ult(addr, this.cached_start) || !this.free_vmap_cache) {
            this.cached_hole_size = 0;
            this.cached_start = addr;
            this.free_vmap_cache = null;
          }

          // Where the search starts.
          if (this.free_vmap_cache) {
            first = this.rb_entry(this.free_vmap_cache);
            addr = ALIGN(first.va_end + PAGE_SIZE, align);
          } else {
            n = this.vmap_area_root.rb_node;
            if (!n) break found;

            first = null;
            do {
              const tmp = this.rb_entry(n);
              if (uge(tmp.va_end, addr)) {
                if (!first && ult(tmp.va_start, addr + size)) first = tmp;
                n = n.rb_left;
              } else {
                first = tmp;
                n = n.rb_right;
              }
            } while (n);

            if (!first) break found;

            if (ult(first.va_start, addr)) {
              this.BUG_ON(ult(first.va_end, addr), 'alloc_vmap_area', 'first->va_end < addr');
              n = rb_next(first);
              addr = ALIGN(first.va_end + PAGE_SIZE, align);
              if (n) first = this.rb_entry(n);
              else break found;
            }
            this.BUG_ON(ult(first.va_start, addr), 'alloc_vmap_area', 'first->va_start < addr');
            if (ult(addr + this.cached_hole_size, first.va_start)) this.cached_hole_size = first.va_start - addr;
          }

          // From the starting point, walk the areas until a hole fits.
          while (ugt(addr + size, first.va_start) && ule(addr + size, vend)) {
            if (ult(addr + this.cached_hole_size, first.va_start)) this.cached_hole_size = first.va_start - addr;
            addr = ALIGN(first.va_end + PAGE_SIZE, align);
            if (ult(addr + size - 1, addr)) break search; // goto overflow

            n = rb_next(first);
            if (n) first = this.rb_entry(n);
            else break found;
          }
        }
        // found:
        if (!ugt(addr + size, vend)) {
          this.BUG_ON(misalign(addr, align) !== 0, 'alloc_vmap_area', 'addr & (align-1)');

          va.va_start = addr;
          va.va_end = addr + size;
          va.flags = 0;
          this.__insert_vmap_area(va);
          this.free_vmap_cache = va;
          spin_unlock(this.env, 'vmap_area_lock');

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

  /** The patch's cache upkeep, then 2.6.35's __free_vmap_area. */
  override __free_vmap_area(va: vmap_area): void {
    this.BUG_ON(RB_EMPTY_NODE(va), '__free_vmap_area', 'RB_EMPTY_NODE(&va->rb_node)');

    if (this.free_vmap_cache) {
      if (ult(va.va_end, this.cached_start)) {
        this.cached_hole_size = 0;
        this.cached_start = 0;
        this.free_vmap_cache = null;
      } else {
        let cache = this.rb_entry(this.free_vmap_cache);
        if (ule(va.va_start, cache.va_start)) {
          this.free_vmap_cache = rb_prev(va);
          // Recomputed (from NULL too) and never read again; rb_entry() is counted.
          cache = this.rb_entry(this.free_vmap_cache as rb_node);
        }
        void cache;
      }
    }
    super.__free_vmap_area(va);
  }

  override golden_state(): string {
    const cache = this.free_vmap_cache ? hex((this.free_vmap_cache as vmap_area).va_start) : '-';
    return `cache=${cache} hole=${hex(this.cached_hole_size)} start=${hex(this.cached_start)} ${super.golden_state()}`;
  }
}
