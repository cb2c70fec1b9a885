// SPDX-License-Identifier: GPL-2.0-only
/*
 * The percpu allocator of linux-6.12: 7.3's (kernel/mm/percpu.ts) but for
 * the two functions whose text differs. pcpu_alloc_noprof() schedules the
 * balance work after populating the new area and dropping
 * pcpu_alloc_mutex (7.3 does it under pcpu_lock, before populating), and
 * pcpu_free_area() has no check for an invalid free. The rest of
 * mm/percpu.c and mm/percpu-vm.c reads the same in both trees, but for
 * the backing allocators' gfp mask (GFP_KERNEL in 6.12, GFP_NOIO in 7.3:
 * no reclaim is modelled), the warning limit and the memblock calls of the
 * first chunk.
 *
 * Version: linux-6.12. Upstream path: mm/percpu.c.
 * Text read: Debian linux-source-6.12 6.12.95, mm/percpu.c, diffed against
 * 7.3.4's (docs/sources.md#text-linux-7.3-percpu).
 */

import { PCPU_EMPTY_POP_PAGES_LOW, PAGE_SIZE, pcpu_chunk, pcpu_chunk_map_bits, percpu } from '../percpu.js';
import { pcpu_create_chunk, pcpu_populate_chunk } from '../percpu-vm.js';
import type { ulong } from '../../include/u64.js';

const PCPU_MIN_ALLOC_SHIFT = 2;
const PCPU_MIN_ALLOC_SIZE = 1 << PCPU_MIN_ALLOC_SHIFT;
const PCPU_MIN_UNIT_SIZE = 32 << 10;
const PCPU_SLOT_FAIL_THRESHOLD = 3;
const PCPU_BITMAP_BLOCK_BITS = PAGE_SIZE >> PCPU_MIN_ALLOC_SHIFT;

function align_up(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

function find_next_bit(map: Uint8Array, size: number, offset: number): number {
  let i = offset;
  while (i < size && !map[i]) i++;
  return Math.min(i, size);
}

export class percpu_linux_6_12 extends percpu {
  /** pcpu_alloc_noprof(size, align, reserved, GFP_KERNEL): a blocking allocation. */
  override pcpu_alloc_noprof(size: number, align: number, reserved: boolean): ulong {
    void reserved; // no reserved chunk modelled
    const h = this.h;
    let chunk: pcpu_chunk;
    let off = -1;

    if (align < PCPU_MIN_ALLOC_SIZE) align = PCPU_MIN_ALLOC_SIZE;
    size = align_up(size, PCPU_MIN_ALLOC_SIZE);
    const bits = size >> PCPU_MIN_ALLOC_SHIFT;
    const bit_align = align >> PCPU_MIN_ALLOC_SHIFT;

    if (!size || size > PCPU_MIN_UNIT_SIZE || align > PAGE_SIZE || align & (align - 1)) return 0; // WARN: illegal size or align

    h.mutex_lock('pcpu_alloc_mutex');
    h.spin_lock('pcpu_lock');

    restart: for (;;) {
      for (let slot = this.pcpu_size_to_slot(size); slot <= this.pcpu_free_slot; slot++) {
        for (const c of [...this.pcpu_chunk_lists[slot]!]) {
          off = this.pcpu_find_block_fit(c, bits, bit_align);
          if (off < 0) {
            if (slot < PCPU_SLOT_FAIL_THRESHOLD) this.pcpu_chunk_move(c, 0);
            continue;
          }
          off = this.pcpu_alloc_area(c, bits, bit_align, off);
          if (off >= 0) {
            this.pcpu_reintegrate_chunk(c);
            chunk = c;
            break restart;
          }
        }
      }

      h.spin_unlock('pcpu_lock');

      // No space left. Create a new chunk.
      if (!this.pcpu_chunk_lists[this.pcpu_free_slot]!.length) {
        const c = pcpu_create_chunk(this);
        if (!c) {
          h.mutex_unlock('pcpu_alloc_mutex'); // "failed to allocate new chunk"
          return 0;
        }
        h.spin_lock('pcpu_lock');
        this.pcpu_chunk_relocate(c, -1);
      } else {
        h.spin_lock('pcpu_lock');
      }
    }

    // area_found:
    h.spin_unlock('pcpu_lock');

    // populate if not all pages are already there
    const page_end = Math.ceil((off + size) / PAGE_SIZE);
    let rs = Math.floor(off / PAGE_SIZE);
    while (rs < page_end) {
      if (chunk.populated[rs]) {
        rs++;
        continue;
      }
      let re = rs;
      while (re < page_end && !chunk.populated[re]) re++;
      const ret = pcpu_populate_chunk(this, chunk, rs, re);
      h.spin_lock('pcpu_lock');
      if (ret) {
        this.pcpu_free_area(chunk, off);
        h.spin_unlock('pcpu_lock');
        h.mutex_unlock('pcpu_alloc_mutex'); // "failed to populate"
        return 0;
      }
      this.pcpu_chunk_populated(chunk, rs, re);
      h.spin_unlock('pcpu_lock');
      rs = re;
    }

    h.mutex_unlock('pcpu_alloc_mutex');

    // 6.12: the balance work is scheduled here, after the population and outside pcpu_lock
    if (this.pcpu_nr_empty_pop_pages < PCPU_EMPTY_POP_PAGES_LOW) this.pcpu_schedule_balance_work();

    // clear the areas: a store to each possible CPU's copy (the 8-byte word the memset starts in)
    for (let cpu = 0; cpu < this.possible; cpu++) {
      const a = this.pcpu_chunk_addr(chunk, cpu, 0) + off;
      h.write64(a - (((a % 8) + 8) % 8), 0);
    }

    return chunk.base_addr + off; // __addr_to_pcpu_ptr
  }

  /** pcpu_free_area(chunk, off): the bytes freed (6.12 has no check for an invalid free). */
  override pcpu_free_area(chunk: pcpu_chunk, off: number): number {
    const oslot = this.pcpu_chunk_slot(chunk);
    const bit_off = off / PCPU_MIN_ALLOC_SIZE;

    const end = find_next_bit(chunk.bound_map, pcpu_chunk_map_bits(chunk), bit_off + 1);
    const bits = end - bit_off;
    chunk.alloc_map.fill(0, bit_off, end);

    const freed = bits * PCPU_MIN_ALLOC_SIZE;
    chunk.free_bytes += freed;
    chunk.first_free = Math.min(chunk.first_free, bit_off);

    // pcpu_block_update_hint_free(): blocks that became fully free.
    const s_index = Math.floor(bit_off / PCPU_BITMAP_BLOCK_BITS);
    const e_index = Math.floor((end - 1) / PCPU_BITMAP_BLOCK_BITS);
    let nr_empty_pages = 0;
    for (let b = s_index; b <= e_index; b++) {
      chunk.refresh_block(b);
      if (chunk.blk_contig[b] === PCPU_BITMAP_BLOCK_BITS) nr_empty_pages++;
    }
    if (nr_empty_pages) this.pcpu_update_empty_pages(chunk, nr_empty_pages);

    this.pcpu_chunk_relocate(chunk, oslot);
    return freed;
  }

}
