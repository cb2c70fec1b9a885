// SPDX-License-Identifier: GPL-2.0-only
/*
 * linux-2.6.35 with 02b709df817c ("mm: purge fragmented percpu vmap
 * blocks", Nick Piggin, v2.6.33) reverted: the vmap-block code of 2.6.32.
 * A block is released only when every one of its pages has been allocated
 * and freed (vb->dirty == VMAP_BBMAP_BITS, in vb_free). A block with no
 * live allocation whose last free pages are never handed out again, because
 * vb_alloc finds a newer block first or the pages are too few for the
 * order asked, holds its whole VMAP_BLOCK_SIZE of vmalloc space for ever:
 * neither vm_unmap_aliases() nor a failed alloc_vmap_area() frees it.
 * Christoph Hellwig's XFS vmap failures (reference §7 item 3).
 *
 * What the revert takes away, against linux-2.6.35.ts:
 *   - vb_alloc's `vb->free < 1UL << order` skip and its fragmented-block
 *     purge of this CPU (the 2.6.32 vb_alloc below);
 *   - purge_fragmented_blocks_allcpus() at the start of a synchronous
 *     __purge_vmap_area_lazy(): the allocator port keeps that call site as
 *     a hook, which this layer answers with nothing.
 * Kept: the RCU list fix that 02b709df builds on ("mm: percpu-vmap fix RCU
 * list walking", also in 2.6.32-stable), so the list primitives and
 * vb_free's BUG_ONs stay 2.6.35's.
 *
 * Text read: 2.6.32 mm/vmalloc.c at avsm/linux-2.6.32-xen-oprofile
 * @ 221c64dbf860 (index id 37830178053; the vmap-block section matches
 * zybsyzlz/linux-2.6.32, id 594033388); the commit as applied to
 * 2.6.32-stable (Greg Kroah-Hartman's review mail, id 35056785741).
 */

import { IS_ERR } from '../../../include/linux/errno.js';
import { list_del_rcu } from '../../../include/linux/list.js';
import type { ulong } from '../../../include/u64.js';
import { PAGE_SIZE } from '../../pgtable.js';
import { bitmap_find_free_region, get_order } from './common.js';
import { vmalloc_api_linux_2_6_35, vmap_block } from './linux-2.6.35.js';

export const VERSION = 'linux-2.6.35-02b709df';

type ERR_PTR = number;

export class vmalloc_api_linux_2_6_35_02b709df extends vmalloc_api_linux_2_6_35 {
  override readonly era: string = VERSION;
  protected override readonly version: string = VERSION;

  /** 2.6.32: take the first block of this CPU's list with a free region of the order, else a new block. */
  override vb_alloc(size: ulong, gfp_mask: number): ulong | ERR_PTR {
    let addr = 0;

    this.BUG_ON(size % PAGE_SIZE !== 0, 'vb_alloc', 'size & ~PAGE_MASK');
    this.BUG_ON(size > PAGE_SIZE * this.VMAP_MAX_ALLOC, 'vb_alloc', 'size > PAGE_SIZE*VMAP_MAX_ALLOC');
    const order = get_order(size);

    for (;;) {
      // again:
      const vbq = this.this_cpu_vbq();
      for (let l = vbq.free.next; l !== vbq.free; l = l.next) {
        const vb = l.owner as vmap_block;
        this.k.spin_lock('vb->lock', vb);
        const i = bitmap_find_free_region(vb.alloc_map, this.VMAP_BBMAP_BITS, order);

        if (i >= 0) {
          addr = vb.va.va_start + i * PAGE_SIZE;
          this.BUG_ON(this.addr_to_vb_idx(addr) !== this.addr_to_vb_idx(vb.va.va_start), 'vb_alloc', 'addr_to_vb_idx(addr) != addr_to_vb_idx(vb->va->va_start)');
          vb.free -= 2 ** order;
          if (vb.free === 0) {
            this.k.spin_lock('vbq->lock', vbq);
            list_del_rcu(vb.free_list);
            this.k.spin_unlock('vbq->lock', vbq);
          }
          this.k.spin_unlock('vb->lock', vb);
          break;
        }
        this.k.spin_unlock('vb->lock', vb);
      }

      if (!addr) {
        const vb = this.new_vmap_block(gfp_mask);
        if (IS_ERR(vb)) return vb;
        continue; // goto again
      }

      return addr;
    }
  }

  /** Not in 2.6.32: a synchronous purge frees no vmap block. */
  override purge_fragmented_blocks_allcpus(): void {}
}
