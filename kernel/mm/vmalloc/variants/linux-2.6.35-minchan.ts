// SPDX-License-Identifier: GPL-2.0-only
/*
 * CHECK-LAYER VARIANT, NOT A KERNEL VERSION: linux-2.6.35 with Minchan Kim's
 * two-patch rework of the vmap area cache (22 May 2010; reference
 * vmalloc-history.md §2.3, version C): [PATCH 1/2] moves the descent and the
 * walk into __get_first_vmap_area() and __get_vmap_area_addr() (index id
 * 11532932329), [PATCH 2/2] adds the cache on top (id 10973728276), "based
 * on Nick's version" (B: linux-2.6.35-nick-v1). Differences from B: the old
 * descent is kept whole (no BUG_ONs: when it ends below addr it steps to the
 * next area, recording the hole), the cache is reset only when `size <=
 * cached_hole_size` or the aligned vstart lies below cached_start (Minchan
 * dropped the `!free_vmap_cache` test as redundant), and the walk is the
 * helper. Like B: no cached_align, no vstart or overflow test on the cache
 * path. `vmapsim check --kernel linux-2.6.35-minchan --against linux-2.6.35`.
 *
 * __get_first_vmap_area() takes `unsigned size` (32 bits) where its caller
 * has an unsigned long: the descent's `addr + size` uses the size mod 2^32.
 */

import { ERR_PTR, EBUSY, ENOMEM } from '../../../include/linux/errno.js';
import { PAGE_SIZE } from '../../../include/asm/page.js';
import { rb_node } from '../../../include/linux/rbtree.js';
import { ALIGN, misalign, ugt, uge, ule, ult, type ulong } from '../../../include/u64.js';
import { rb_next } from '../../../lib/rbtree/linux-2.6.35.js';
import { GFP_KERNEL, NUMA_NO_NODE, spin_lock, spin_unlock } from '../../../mm/vmalloc/common.js';
import { vmap_area } from '../../../mm/vmalloc/linux-2.6.35.js';
import { variant_allocator as nick_v1_allocator } from './linux-2.6.35-nick-v1.js';

/** `unsigned size`: the low 32 bits of the caller's unsigned long. */
function u32(x: ulong): number {
  return x % 4294967296;
}

/*
 * B's __free_vmap_area is kept (2/2 has the same text) and so are its
 * cache fields; alloc_vmap_area is C's.
 */
export class variant_allocator extends nick_v1_allocator {
  /* The first area that could overlap [addr, addr + size), or null; records the hole when it steps past one. */
  __get_first_vmap_area(n: rb_node, addr: ulong, size: number): vmap_area | null {
    let first: vmap_area | null = null;
    let p: rb_node | null = n;

    do {
      const tmp = this.rb_entry(p as rb_node);
      if (uge(tmp.va_end, addr)) {
        if (!first && ult(tmp.va_start, addr + size)) first = tmp;
        p = (p as rb_node).rb_left;
      } else {
        first = tmp;
        p = (p as rb_node).rb_right;
      }
    } while (p);

    if (!first) return first; // goto found

    if (ult(first.va_end, addr)) {
      p = rb_next(first);
      if (p) {
        first = this.rb_entry(p);
        if (ult(addr + this.cached_hole_size, first.va_start)) this.cached_hole_size = first.va_start - addr;
      } else first = null;
    }
    return first;
  }

  /* Walk from first until [addr, addr + size) fits; 1 on overflow, else 0 (addr updated). */
  __get_vmap_area_addr(first: vmap_area, addr: { v: ulong }, size: ulong, vend: ulong, align: ulong): number {
    let n: rb_node | null;

    while (ugt(addr.v + size, first.va_start) && ule(addr.v + size, vend)) {
      if (ult(addr.v + this.cached_hole_size, first.va_start)) this.cached_hole_size = first.va_start - addr.v;

      addr.v = ALIGN(first.va_end + PAGE_SIZE, align);
      if (ult(addr.v + size - 1, addr.v)) return 1;

      n = rb_next(first);
      if (!n) break;
      first = this.rb_entry(n);
    }
    return 0;
  }

  override alloc_vmap_area(
    size: ulong,
    align: ulong,
    vstart: ulong,
    vend: ulong,
    node: number = NUMA_NO_NODE,
    gfp_mask: number = GFP_KERNEL,
  ): vmap_area | ERR_PTR {
    let first: vmap_area | null = null;
    let n: rb_node | null;
    const addr = { v: 0 };
    let purged = 0;

    this.BUG_ON(!size, 'alloc_vmap_area', '!size');
    this.BUG_ON(misalign(size, PAGE_SIZE) !== 0, 'alloc_vmap_area', 'size & ~PAGE_MASK');

    const va = this.kmalloc_vmap_area(gfp_mask, node);
    if (!va) return ERR_PTR(-ENOMEM);

    retry: for (;;) {
      addr.v = ALIGN(vstart, align);

      spin_lock(this.env, 'vmap_area_lock');
      overflow: {
        if (ult(addr.v + size - 1, addr.v)) break overflow;

        found: {
          if (ule(size, this.cached_hole_size) || ult(addr.v, this.cached_start)) {
            this.cached_hole_size = 0;
            this.cached_start = addr.v;
            this.free_vmap_cache = null;
          }

          // Where the search starts.
          if (this.free_vmap_cache) {
            first = this.rb_entry(this.free_vmap_cache);
            addr.v = ALIGN(first.va_end + PAGE_SIZE, align);
          } else {
            n = this.vmap_area_root.rb_node;
            if (!n) break found;

            first = this.__get_first_vmap_area(n, addr.v, u32(size));
            if (!first) break found;
          }
          if (this.__get_vmap_area_addr(first, addr, size, vend, align)) break overflow;
        }
        // found:
        if (!ugt(addr.v + size, vend)) {
          this.BUG_ON(misalign(addr.v, align) !== 0, 'alloc_vmap_area', 'addr & (align-1)');

          va.va_start = addr.v;
          va.va_end = addr.v + size;
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

}

