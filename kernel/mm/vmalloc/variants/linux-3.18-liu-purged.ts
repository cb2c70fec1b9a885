// SPDX-License-Identifier: GPL-2.0-only
/*
 * CHECK-LAYER VARIANT, NOT A KERNEL VERSION: linux-3.18 with Liu Song's
 * "[RFC PATCH] mm/vmalloc: make sure to traverse from the beginning when
 * overflow occur" (12 Apr 2020; reference §7 item 8b; reply quoting the
 * diff: public index id 49352576933). The patch adds `|| purged` to the
 * cache invalidation test of alloc_vmap_area, so the retry after a purge
 * searches from vstart. Posted against a cache-era tree (3.x..5.1, whose
 * alloc_vmap_area is 3.18's plus the 5.1 `addr < vstart` check); never
 * merged, the code being gone in 5.2. `vmapsim check --kernel
 * linux-3.18-liu-purged --against linux-3.18` asks what it changes.
 *
 * Not a copy of the port: `purged` is only set by alloc_vmap_area's own
 * purge, right before `goto retry`, and the invalidation test is the first
 * thing the retry evaluates. Clearing free_vmap_cache right after that
 * purge makes `!free_vmap_cache` true at that test, and the nocache block
 * then does exactly what `|| purged` makes it do (cached_hole_size = 0,
 * free_vmap_cache = NULL). Purges from anywhere else leave the cache alone,
 * as the patch does.
 */

import { ERR_PTR } from '../../../include/linux/errno.js';
import { vmap_allocator, vmap_area } from '../../../mm/vmalloc/linux-3.18.js';

export class variant_allocator extends vmap_allocator {
  /** True while alloc_vmap_area runs: a purge then is its overflow purge. */
  private in_alloc_vmap_area = false;

  override alloc_vmap_area(...args: Parameters<vmap_allocator['alloc_vmap_area']>): vmap_area | ERR_PTR {
    this.in_alloc_vmap_area = true;
    try {
      return super.alloc_vmap_area(...args);
    } finally {
      this.in_alloc_vmap_area = false;
    }
  }

  /** The overflow purge; with the patch the retry that follows drops the cache. */
  override purge_vmap_area_lazy(): void {
    super.purge_vmap_area_lazy();
    if (this.in_alloc_vmap_area) this.free_vmap_cache = null;
  }
}
