// SPDX-License-Identifier: GPL-2.0-only
/*
 * linux-6.1 with fc1e0d980037 ("mm/vmalloc: prevent stale TLBs in fully
 * utilized blocks", Thomas Gleixner, v6.5) applied: _vm_unmap_aliases()
 * walks every vmap block through the vmap_blocks xarray instead of the
 * per-CPU free lists, so a block whose free space reached zero (taken off
 * its free list by vb_alloc) but that is not fully dirty (so not on any
 * purge list either) still has its dirty range flushed.
 *
 * Version: linux-6.1 + fc1e0d980037, a named variant (Debian's 6.1.192 does
 * not carry it). Upstream path: mm/vmalloc.c. Text: the 6.1 text
 * (docs/sources.md#text-linux-6.1) and the commit's description (index id
 * 35100180516; quoted in vmalloc-history.md §7 item 10). Upstream the fix
 * walked the per-CPU xarrays that 6.4 had introduced; 6.1 keeps one global
 * vmap_blocks xarray, so the backport walks that one, in index order
 * (xa_for_each). Only _vm_unmap_aliases differs from linux-6.1.ts.
 */

import { type ulong, umax, umin } from '../../../include/u64.js';
import { PAGE_SIZE } from '../../pgtable.js';
import { vmalloc_api_linux_6_1 } from './linux-6.1.js';

export const VERSION = 'linux-6.1+fc1e0d980037';

export class vmalloc_api_linux_6_1_fc1e0d980037 extends vmalloc_api_linux_6_1 {
  override readonly era: string = VERSION;
  protected override readonly version: string = VERSION;

  override _vm_unmap_aliases(start: ulong, end: ulong, flush: number): void {
    // xa_for_each(&vmap_blocks, idx, vb): every block, on a free list or not.
    const idxs = [...this.vmap_blocks.keys()].sort((x, y) => x - y);
    for (const idx of idxs) {
      const vb = this.vmap_blocks.get(idx);
      if (!vb) continue;
      this.k.spin_lock('vb->lock', vb);
      if (vb.dirty && vb.dirty !== this.VMAP_BBMAP_BITS) {
        const va_start = vb.va.va_start;
        const s = va_start + vb.dirty_min * PAGE_SIZE;
        const e = va_start + vb.dirty_max * PAGE_SIZE;

        start = umin(s, start);
        end = umax(e, end);

        flush = 1;
      }
      this.k.spin_unlock('vb->lock', vb);
    }

    this.k.mutex_lock('vmap_purge_lock');
    this.purge_fragmented_blocks_allcpus();
    if (!this.purge_lazy(start, end) && flush) this.k.flush_tlb_kernel_range(start, end);
    this.k.mutex_unlock('vmap_purge_lock');
  }
}
