// SPDX-License-Identifier: GPL-2.0-only
/*
 * The percpu allocator's dynamic chunks: __alloc_percpu() / free_percpu(),
 * the chunk slots, when a chunk is created (pcpu_create_chunk ->
 * pcpu_get_vm_areas) and populated, and the balance work that depopulates
 * and destroys free chunks (pcpu_balance_workfn -> pcpu_balance_free ->
 * pcpu_destroy_chunk -> pcpu_free_vm_areas), which is what the vmalloc
 * space sees of it. The chunk-management half is percpu-vm.ts.
 *
 * Version: linux-7.3. Upstream path: mm/percpu.c.
 * Text read: Debian linux-source-7.3 7.3.4, mm/percpu.c, mm/percpu-vm.c,
 * mm/percpu-internal.h, include/linux/percpu.h (docs/sources.md#text-linux-7.3-percpu).
 * pcpu_alloc_noprof, free_percpu, pcpu_alloc_area, pcpu_free_area,
 * pcpu_chunk_relocate/move, pcpu_isolate/reintegrate_chunk,
 * pcpu_balance_free/populated, pcpu_reclaim_populated, pcpu_balance_workfn,
 * pcpu_alloc_chunk/pcpu_free_chunk and pcpu_build_alloc_info's choice of
 * units per allocation keep the kernel's names, control flow and order of
 * side effects. Left out: the reserved chunk (never used by
 * __alloc_percpu), atomic allocations (pop_only), memcg accounting and
 * allocation tags (their hooks do not touch the chunks), kmemleak, trace
 * points and statistics.
 *
 * What is simplified, and why it does not change what the vmalloc space
 * sees: the block metadata (struct pcpu_block_md with scan hints and the
 * incremental pcpu_block_update* functions) is replaced by per-block
 * summaries recomputed from the bitmap after each change (contig run and
 * its start, left_free, right_free), and the chunk's contig hint is
 * recomputed from those summaries (largest run; among equal runs the one
 * whose start is better aligned, as pcpu_block_update prefers). With these
 * exact hints pcpu_find_block_fit's scan (pcpu_for_each_fit_region) is an
 * aligned first fit from chunk_md.first_free, which is what the function
 * below does block by block; the kernel's hints can be stale or
 * conservative (scan_hint; a free run lost to alignment), which makes it
 * skip a block now and then and place an object a little further on. The
 * vmalloc-visible decisions depend on whether some chunk has room (the
 * chunk's contig hint, exact in both), on which chunks are fully free and
 * on which pages are empty (counted per page from the bitmap, as
 * pcpu_update_empty_pages counts them per block): a later placement
 * inside a chunk moves none of those by more than the one object.
 *
 * Boot state: the first chunk (embedded in the linear map by
 * pcpu_embed_first_chunk, not in the vmalloc space) is taken as full: its
 * dynamic area (PERCPU_DYNAMIC_RESERVE) is used up by boot. Both real
 * /proc/vmallocinfo snapshots of 7.3 (data/real-traces) show one more
 * chunk, made by pcpu_get_vm_areas at boot, with its four pcpu_mem_zalloc
 * vmallocs; bootPercpu() below makes it the same way.
 */

import type { Machine } from '../../hw/index.js';
import type { ulong } from '../include/u64.js';
import type { page } from './page_alloc.js';
import { work_struct } from '../kernel/workqueue.js';
import type { vm_struct_view } from './vmalloc/api/common.js';
import { pcpu_create_chunk, pcpu_depopulate_chunk, pcpu_destroy_chunk, pcpu_populate_chunk, pcpu_post_unmap_tlb_flush } from './percpu-vm.js';

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
const PCPU_SLOT_BASE_SHIFT = 5;
const PCPU_SLOT_FAIL_THRESHOLD = 3;
export const PCPU_EMPTY_POP_PAGES_LOW = 2;
export const PCPU_EMPTY_POP_PAGES_HIGH = 4;
export const PCPU_MIN_UNIT_SIZE = 32 << 10;
const PCPU_MIN_ALLOC_SHIFT = 2;
const PCPU_MIN_ALLOC_SIZE = 1 << PCPU_MIN_ALLOC_SHIFT;
export const PCPU_BITMAP_BLOCK_SIZE = PAGE_SIZE;
export const PCPU_BITMAP_BLOCK_BITS = PCPU_BITMAP_BLOCK_SIZE >> PCPU_MIN_ALLOC_SHIFT;
/** x86-64: pcpu_embed_first_chunk(..., atom_size = PMD_SIZE) with PSE. */
export const PMD_SIZE = 2 << 20;
/** sizeof(struct pcpu_block_md): 8 ints. */
const SIZEOF_PCPU_BLOCK_MD = 32;
/** sizeof(struct pcpuobj_ext): the obj_cgroup pointer (CONFIG_MEMCG). */
const SIZEOF_PCPUOBJ_EXT = 8;
/** sizeof(struct pcpu_chunk) on x86-64 (with CONFIG_MEMCG): well under a page; pcpu_mem_zalloc kzallocs it. */
const SIZEOF_PCPU_CHUNK = 192;

/** What the percpu code calls outside itself (kernel/boot.ts provides it). */
export interface percpu_host {
  readonly machine: Machine;
  alloc_page(): page | null;
  __free_page(p: page): void;
  /** pcpu_mem_zalloc(size > PAGE_SIZE): __vmalloc(size, gfp | __GFP_ZERO); 0 on failure. */
  __vmalloc(size: number, caller: string): ulong;
  vfree(addr: ulong): void;
  /** pcpu_get_vm_areas(offsets, sizes, nr_vms, align): the vm_structs, or null. */
  pcpu_get_vm_areas(offsets: readonly ulong[], sizes: readonly ulong[], nr_vms: number, align: ulong): vm_struct_view[] | null;
  /** pcpu_free_vm_areas(vms, nr_vms): free_vm_area() of each. */
  pcpu_free_vm_areas(vms: readonly vm_struct_view[], nr_vms: number): void;
  /** vmap_pages_range_noflush(addr, end, PAGE_KERNEL, pages, PAGE_SHIFT): 0 or -errno. */
  vmap_pages_range_noflush(addr: ulong, end: ulong, pages: readonly page[]): number;
  vunmap_range_noflush(start: ulong, end: ulong): void;
  flush_tlb_kernel_range(start: ulong, end: ulong): void;
  /** A store through the current CPU's MMU (the memset that clears a new object). */
  write64(addr: ulong, value: number): void;
  /** schedule_work() on system_wq. */
  schedule_work(work: work_struct): void;
  mutex_lock(name: string): void;
  mutex_unlock(name: string): void;
  spin_lock(name: string): void;
  spin_unlock(name: string): void;
}

/** struct pcpu_chunk (what the dynamic chunks use). */
export class pcpu_chunk {
  /** Which of pcpu_chunk_lists it is on (-1: none). */
  slot = -1;
  readonly alloc_map: Uint8Array;
  readonly bound_map: Uint8Array;
  /** Per-block summaries (struct pcpu_block_md: contig_hint, contig_hint_start, left_free, right_free). */
  readonly blk_contig: Int32Array;
  readonly blk_contig_start: Int32Array;
  readonly blk_left: Int32Array;
  readonly blk_right: Int32Array;
  /** chunk_md: contig hint (bits), its start, first free bit. */
  contig_hint = 0;
  contig_hint_start = 0;
  first_free = 0;
  private hintValid = false;
  free_bytes: number;
  readonly populated: Uint8Array;
  nr_populated = 0;
  nr_empty_pop_pages = 0;
  isolated = false;
  readonly immutable: boolean = false;
  base_addr: ulong = 0;
  /** The vm_structs of pcpu_get_vm_areas (chunk->data). */
  data: vm_struct_view[] | null = null;
  /** pcpu_mem_zalloc'd metadata that went to vmalloc (0: kzalloc'd). */
  alloc_map_addr: ulong = 0;
  bound_map_addr: ulong = 0;
  md_blocks_addr: ulong = 0;
  obj_exts_addr: ulong = 0;
  /** The pages mapped at (unit, page) (what vmalloc_to_page finds). */
  readonly pages = new Map<number, page>();

  constructor(readonly nr_pages: number) {
    const bits = pcpu_chunk_map_bits(this);
    this.alloc_map = new Uint8Array(bits);
    this.bound_map = new Uint8Array(bits + 1);
    this.blk_contig = new Int32Array(nr_pages).fill(PCPU_BITMAP_BLOCK_BITS);
    this.blk_contig_start = new Int32Array(nr_pages);
    this.blk_left = new Int32Array(nr_pages).fill(PCPU_BITMAP_BLOCK_BITS);
    this.blk_right = new Int32Array(nr_pages).fill(PCPU_BITMAP_BLOCK_BITS);
    this.populated = new Uint8Array(nr_pages);
    this.free_bytes = nr_pages * PAGE_SIZE;
  }

  /** chunk_md's contig hint, recomputed from the block summaries when stale. */
  chunk_md(): { contig_hint: number; contig_hint_start: number } {
    if (!this.hintValid) this.refresh_chunk_hint();
    return this;
  }

  invalidate(): void {
    this.hintValid = false;
  }

  private refresh_chunk_hint(): void {
    let best = 0;
    let bestStart = 0;
    const consider = (start: number, len: number) => {
      if (len > best || (len === best && len > 0 && start !== bestStart && better_aligned(start, bestStart))) {
        best = len;
        bestStart = start;
      }
    };
    let run = 0;
    let runStart = 0;
    for (let b = 0; b < this.nr_pages; b++) {
      const base = b * PCPU_BITMAP_BLOCK_BITS;
      if (this.blk_contig[b] === PCPU_BITMAP_BLOCK_BITS) {
        if (run === 0) runStart = base;
        run += PCPU_BITMAP_BLOCK_BITS;
        continue;
      }
      const left = this.blk_left[b]!;
      if (run + left > 0) consider(run ? runStart : base, run + left);
      consider(base + this.blk_contig_start[b]!, this.blk_contig[b]!);
      run = this.blk_right[b]!;
      runStart = base + PCPU_BITMAP_BLOCK_BITS - run;
    }
    if (run) consider(runStart, run);
    this.contig_hint = best;
    this.contig_hint_start = bestStart;
    this.hintValid = true;
  }

  /** Recompute block `b`'s summary from the allocation map. */
  refresh_block(b: number): void {
    const base = b * PCPU_BITMAP_BLOCK_BITS;
    const map = this.alloc_map;
    let contig = 0;
    let contigStart = 0;
    let left = 0;
    while (left < PCPU_BITMAP_BLOCK_BITS && !map[base + left]) left++;
    let right = 0;
    while (right < PCPU_BITMAP_BLOCK_BITS && !map[base + PCPU_BITMAP_BLOCK_BITS - 1 - right]) right++;
    let i = 0;
    while (i < PCPU_BITMAP_BLOCK_BITS) {
      if (map[base + i]) {
        i++;
        continue;
      }
      const s = i;
      while (i < PCPU_BITMAP_BLOCK_BITS && !map[base + i]) i++;
      const len = i - s;
      if (len > contig || (len === contig && better_aligned(s, contigStart))) {
        contig = len;
        contigStart = s;
      }
    }
    this.blk_contig[b] = contig;
    this.blk_contig_start[b] = contigStart;
    this.blk_left[b] = left;
    this.blk_right[b] = right;
    this.hintValid = false;
  }
}

/** __ffs(a) > __ffs(b), with __ffs(0) taken as the best alignment. */
function better_aligned(a: number, b: number): boolean {
  if (b === 0) return false;
  if (a === 0) return true;
  return ffs(a) > ffs(b);
}

function ffs(x: number): number {
  return 31 - Math.clz32(x & -x);
}

export function pcpu_chunk_map_bits(chunk: { nr_pages: number }): number {
  return (chunk.nr_pages * PAGE_SIZE) / PCPU_MIN_ALLOC_SIZE;
}

function fls(x: number): number {
  return x ? 32 - Math.clz32(x) : 0;
}

function __pcpu_size_to_slot(size: number): number {
  const highbit = fls(size); // size is in bytes
  return Math.max(highbit - PCPU_SLOT_BASE_SHIFT + 2, 1);
}

/** The first-chunk geometry pcpu_build_alloc_info() chooses (one group: no NUMA distance on the machine). */
export interface pcpu_alloc_info {
  readonly unit_size: number;
  readonly nr_units: number;
  readonly upa: number;
  readonly atom_size: number;
  readonly alloc_size: number;
}

/**
 * pcpu_build_alloc_info(): units per allocation and the unit size for
 * `possible` CPUs in one group, from min_unit_size = max(static + reserved
 * + dyn, PCPU_MIN_UNIT_SIZE) rounded to the atom. `size_sum` is Debian
 * 7.3's static + reserved + dynamic first-chunk size: estimated at 200 KiB,
 * which gives 8 units per 2 MiB atom at most, so a unit of 2 MiB / 1 MiB /
 * 512 KiB at 1 / 2 / 4 CPUs, as the real kernels' pcpu_create_chunk
 * bitmaps in /proc/vmallocinfo show at 1 and 2 CPUs (16 and 8 pages).
 */
export function pcpu_build_alloc_info(possible: number, size_sum = 200 << 10, atom_size = PMD_SIZE): pcpu_alloc_info {
  const min_unit_size = Math.max(size_sum, PCPU_MIN_UNIT_SIZE);
  const alloc_size = Math.ceil(min_unit_size / atom_size) * atom_size;
  let upa = Math.floor(alloc_size / min_unit_size);
  while (alloc_size % upa || (alloc_size / upa) % PAGE_SIZE) upa--;
  const max_upa = upa;
  const group_cnt = [possible];
  let last_allocs = Infinity;
  let best_upa = 0;
  for (upa = max_upa; upa; upa--) {
    let allocs = 0;
    let wasted = 0;
    if (alloc_size % upa || (alloc_size / upa) % PAGE_SIZE) continue;
    for (const cnt of group_cnt) {
      const this_allocs = Math.ceil(cnt / upa);
      allocs += this_allocs;
      wasted += this_allocs * upa - cnt;
    }
    if (wasted > Math.floor(possible / 3)) continue;
    if (allocs > last_allocs) break;
    last_allocs = allocs;
    best_upa = upa;
  }
  upa = best_upa;
  const nr_units = group_cnt.reduce((a, c) => a + Math.ceil(c / upa) * upa, 0);
  return { unit_size: alloc_size / upa, nr_units, upa, atom_size, alloc_size };
}

/** The percpu allocator of one kernel. */
export class percpu {
  readonly pcpu_unit_pages: number;
  readonly pcpu_unit_size: number;
  readonly pcpu_nr_units: number;
  readonly pcpu_atom_size: number;
  readonly pcpu_nr_groups = 1;
  readonly pcpu_group_offsets: ulong[] = [0];
  readonly pcpu_group_sizes: ulong[];
  /** unit of each possible CPU (pcpu_unit_map), offset of each (pcpu_unit_offsets). */
  readonly pcpu_unit_offsets: number[];
  readonly pcpu_low_unit_cpu: number;
  readonly pcpu_high_unit_cpu: number;
  readonly pcpu_sidelined_slot: number;
  readonly pcpu_free_slot: number;
  readonly pcpu_to_depopulate_slot: number;
  readonly pcpu_nr_slots: number;
  readonly pcpu_chunk_lists: pcpu_chunk[][];
  readonly pcpu_first_chunk: pcpu_chunk;
  pcpu_nr_empty_pop_pages = 0;
  pcpu_nr_populated = 0;
  pcpu_async_enabled = false;
  private pcpu_atomic_alloc_failed = false;
  readonly pcpu_balance_work: work_struct;
  readonly possible: number;
  /** Counts of what reached the vmalloc space. */
  readonly stats = { chunks_created: 0, chunks_destroyed: 0, get_vm_areas: 0, areas: 0, balance_runs: 0, tlb_flushes: 0, populated_pages: 0, depopulated_pages: 0 };
  /** Every live dynamic chunk, by base address (pcpu_chunk_addr_search via vmalloc_to_page). */
  private readonly chunks = new Map<ulong, pcpu_chunk>();

  constructor(readonly h: percpu_host, info?: pcpu_alloc_info) {
    this.possible = h.machine.config.cpus;
    const ai = info ?? pcpu_build_alloc_info(this.possible);
    this.pcpu_unit_size = ai.unit_size;
    this.pcpu_unit_pages = ai.unit_size / PAGE_SIZE;
    this.pcpu_nr_units = ai.nr_units;
    this.pcpu_atom_size = ai.atom_size;
    this.pcpu_group_sizes = [ai.nr_units * ai.unit_size];
    this.pcpu_unit_offsets = Array.from({ length: this.possible }, (_, cpu) => cpu * ai.unit_size);
    this.pcpu_low_unit_cpu = 0;
    this.pcpu_high_unit_cpu = this.possible - 1;
    this.pcpu_sidelined_slot = __pcpu_size_to_slot(this.pcpu_unit_size) + 1;
    this.pcpu_free_slot = this.pcpu_sidelined_slot + 1;
    this.pcpu_to_depopulate_slot = this.pcpu_free_slot + 1;
    this.pcpu_nr_slots = this.pcpu_to_depopulate_slot + 1;
    this.pcpu_chunk_lists = Array.from({ length: this.pcpu_nr_slots }, () => []);
    this.pcpu_balance_work = new work_struct('pcpu_balance_work', () => this.pcpu_balance_workfn());
    // The first chunk (boot state): its dynamic area is full. It sits in slot 0, populated, never freed.
    const first = new pcpu_chunk(this.pcpu_unit_pages);
    first.alloc_map.fill(1);
    first.free_bytes = 0;
    for (let b = 0; b < first.nr_pages; b++) first.refresh_block(b);
    first.populated.fill(1);
    first.nr_populated = first.nr_pages;
    this.pcpu_first_chunk = first;
    this.pcpu_chunk_relocate(first, -1);
  }

  /* ---- slots ---- */

  pcpu_size_to_slot(size: number): number {
    if (size === this.pcpu_unit_size) return this.pcpu_free_slot;
    return __pcpu_size_to_slot(size);
  }

  pcpu_chunk_slot(chunk: pcpu_chunk): number {
    const md = chunk.chunk_md();
    if (chunk.free_bytes < PCPU_MIN_ALLOC_SIZE || md.contig_hint === 0) return 0;
    return this.pcpu_size_to_slot(md.contig_hint * PCPU_MIN_ALLOC_SIZE);
  }

  private list_del(chunk: pcpu_chunk): void {
    if (chunk.slot < 0) return;
    const l = this.pcpu_chunk_lists[chunk.slot]!;
    l.splice(l.indexOf(chunk), 1);
    chunk.slot = -1;
  }

  private list_move(chunk: pcpu_chunk, slot: number): void {
    this.list_del(chunk);
    this.pcpu_chunk_lists[slot]!.unshift(chunk);
    chunk.slot = slot;
  }

  private list_move_tail(chunk: pcpu_chunk, slot: number): void {
    this.list_del(chunk);
    this.pcpu_chunk_lists[slot]!.push(chunk);
    chunk.slot = slot;
  }

  private __pcpu_chunk_move(chunk: pcpu_chunk, slot: number, move_front: boolean): void {
    // (the reserved chunk is never on a slot: not modelled)
    if (move_front) this.list_move(chunk, slot);
    else this.list_move_tail(chunk, slot);
  }

  protected pcpu_chunk_move(chunk: pcpu_chunk, slot: number): void {
    this.__pcpu_chunk_move(chunk, slot, true);
  }

  pcpu_chunk_relocate(chunk: pcpu_chunk, oslot: number): void {
    const nslot = this.pcpu_chunk_slot(chunk);
    if (chunk.isolated) return;
    if (oslot !== nslot) this.__pcpu_chunk_move(chunk, nslot, oslot < nslot);
  }

  private pcpu_isolate_chunk(chunk: pcpu_chunk): void {
    if (!chunk.isolated) {
      chunk.isolated = true;
      this.pcpu_nr_empty_pop_pages -= chunk.nr_empty_pop_pages;
    }
    this.list_move(chunk, this.pcpu_to_depopulate_slot);
  }

  protected pcpu_reintegrate_chunk(chunk: pcpu_chunk): void {
    if (chunk.isolated) {
      chunk.isolated = false;
      this.pcpu_nr_empty_pop_pages += chunk.nr_empty_pop_pages;
      this.pcpu_chunk_relocate(chunk, -1);
    }
  }

  protected pcpu_update_empty_pages(chunk: pcpu_chunk, nr: number): void {
    chunk.nr_empty_pop_pages += nr;
    if (!chunk.isolated) this.pcpu_nr_empty_pop_pages += nr;
  }

  pcpu_schedule_balance_work(): void {
    if (this.pcpu_async_enabled) this.h.schedule_work(this.pcpu_balance_work);
  }

  /* ---- area allocation inside a chunk ---- */

  /** pcpu_check_block_hint(chunk_md, bits, align) */
  private pcpu_check_block_hint(chunk: pcpu_chunk, bits: number, align: number): boolean {
    const md = chunk.chunk_md();
    const bit_off = align_up(md.contig_hint_start, align) - md.contig_hint_start;
    return bit_off + bits <= md.contig_hint;
  }

  /**
   * pcpu_find_block_fit(chunk, alloc_bits, align, pop_only = false): the
   * offset to search from, or -1. The chunk hint first; then the aligned
   * first fit from first_free, block by block (see the header).
   */
  pcpu_find_block_fit(chunk: pcpu_chunk, alloc_bits: number, align: number): number {
    if (!this.pcpu_check_block_hint(chunk, alloc_bits, align)) return -1;
    const map_bits = pcpu_chunk_map_bits(chunk);
    const mask = align ? align - 1 : 0;
    let carry = 0;
    for (let b = Math.floor(chunk.first_free / PCPU_BITMAP_BLOCK_BITS); b < chunk.nr_pages; b++) {
      const full = chunk.blk_contig[b] === PCPU_BITMAP_BLOCK_BITS;
      const end = (b + 1) * PCPU_BITMAP_BLOCK_BITS;
      if (carry + chunk.blk_left[b]! >= alloc_bits || chunk.blk_contig[b]! >= alloc_bits) {
        const from = Math.max(chunk.first_free, b * PCPU_BITMAP_BLOCK_BITS - carry);
        const off = find_zero_area(chunk.alloc_map, end, from, alloc_bits, mask);
        if (off + alloc_bits <= end) return off;
      }
      carry = full ? carry + PCPU_BITMAP_BLOCK_BITS : chunk.blk_right[b]!;
    }
    void map_bits;
    return -1;
  }

  /** pcpu_alloc_area(chunk, alloc_bits, align, start): the byte offset, or -1. */
  pcpu_alloc_area(chunk: pcpu_chunk, alloc_bits: number, align: number, start: number): number {
    const align_mask = align ? align - 1 : 0;
    const oslot = this.pcpu_chunk_slot(chunk);

    const end = Math.min(start + alloc_bits + PCPU_BITMAP_BLOCK_BITS, pcpu_chunk_map_bits(chunk));
    const bit_off = find_zero_area(chunk.alloc_map, end, start, alloc_bits, align_mask);
    if (bit_off >= end) return -1;

    // pcpu_block_update_hint_alloc(), part 1: blocks fully free before the allocation.
    const s_index = Math.floor(bit_off / PCPU_BITMAP_BLOCK_BITS);
    const e_index = Math.floor((bit_off + alloc_bits - 1) / PCPU_BITMAP_BLOCK_BITS);
    let nr_empty_pages = 0;
    for (let b = s_index; b <= e_index; b++) if (chunk.blk_contig[b] === PCPU_BITMAP_BLOCK_BITS) nr_empty_pages++;

    // update alloc map and boundary map
    chunk.alloc_map.fill(1, bit_off, bit_off + alloc_bits);
    chunk.bound_map[bit_off] = 1;
    chunk.bound_map.fill(0, bit_off + 1, bit_off + alloc_bits);
    chunk.bound_map[bit_off + alloc_bits] = 1;

    chunk.free_bytes -= alloc_bits * PCPU_MIN_ALLOC_SIZE;

    if (bit_off === chunk.first_free) chunk.first_free = find_next_zero_bit(chunk.alloc_map, pcpu_chunk_map_bits(chunk), bit_off + alloc_bits);

    // pcpu_block_update_hint_alloc(), part 2
    for (let b = s_index; b <= e_index; b++) chunk.refresh_block(b);
    if (nr_empty_pages) this.pcpu_update_empty_pages(chunk, -nr_empty_pages);

    this.pcpu_chunk_relocate(chunk, oslot);
    return bit_off * PCPU_MIN_ALLOC_SIZE;
  }

  /** pcpu_free_area(chunk, off): the bytes freed (0: an invalid free). */
  pcpu_free_area(chunk: pcpu_chunk, off: number): number {
    const oslot = this.pcpu_chunk_slot(chunk);
    const bit_off = off / PCPU_MIN_ALLOC_SIZE;

    if (!chunk.alloc_map[bit_off] || !chunk.bound_map[bit_off]) return 0;

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

  /* ---- chunks ---- */

  /** pcpu_mem_zalloc(size): kzalloc up to a page (0 here: not in the vmalloc space), else __vmalloc. -1: failed. */
  private pcpu_mem_zalloc(size: number): ulong {
    if (size <= PAGE_SIZE) return 0;
    const a = this.h.__vmalloc(size, 'pcpu_create_chunk');
    return a === 0 ? -1 : a;
  }

  /** pcpu_mem_free(ptr): kvfree. */
  private pcpu_mem_free(addr: ulong): void {
    if (addr && addr !== -1) this.h.vfree(addr);
  }

  /** pcpu_alloc_chunk(gfp): the chunk struct and its maps, some of them vmalloc'd. */
  pcpu_alloc_chunk(): pcpu_chunk | null {
    if (this.pcpu_mem_zalloc(SIZEOF_PCPU_CHUNK + Math.ceil(this.pcpu_unit_pages / 64) * 8) === -1) return null;
    const chunk = new pcpu_chunk(this.pcpu_unit_pages);
    const region_bits = pcpu_chunk_map_bits(chunk);

    fail: {
      chunk.alloc_map_addr = this.pcpu_mem_zalloc(Math.ceil(region_bits / 64) * 8);
      if (chunk.alloc_map_addr === -1) break fail;
      chunk.bound_map_addr = this.pcpu_mem_zalloc(Math.ceil((region_bits + 1) / 64) * 8);
      if (chunk.bound_map_addr === -1) {
        this.pcpu_mem_free(chunk.alloc_map_addr);
        break fail;
      }
      chunk.md_blocks_addr = this.pcpu_mem_zalloc(chunk.nr_pages * SIZEOF_PCPU_BLOCK_MD);
      if (chunk.md_blocks_addr === -1) {
        this.pcpu_mem_free(chunk.bound_map_addr);
        this.pcpu_mem_free(chunk.alloc_map_addr);
        break fail;
      }
      // need_pcpuobj_ext(): memcg kmem is online on Debian's kernels (the real vmallocinfo shows the array)
      chunk.obj_exts_addr = this.pcpu_mem_zalloc(region_bits * SIZEOF_PCPUOBJ_EXT);
      if (chunk.obj_exts_addr === -1) {
        this.pcpu_mem_free(chunk.md_blocks_addr);
        this.pcpu_mem_free(chunk.bound_map_addr);
        this.pcpu_mem_free(chunk.alloc_map_addr);
        break fail;
      }
      // pcpu_init_md_blocks(): done by the constructor; init metadata
      chunk.free_bytes = chunk.nr_pages * PAGE_SIZE;
      return chunk;
    }
    return null;
  }

  /** pcpu_free_chunk(chunk) */
  pcpu_free_chunk(chunk: pcpu_chunk | null): void {
    if (!chunk) return;
    this.pcpu_mem_free(chunk.obj_exts_addr);
    this.pcpu_mem_free(chunk.md_blocks_addr);
    this.pcpu_mem_free(chunk.bound_map_addr);
    this.pcpu_mem_free(chunk.alloc_map_addr);
    // pcpu_mem_free(chunk): kfree
  }

  /** Bookkeeping of pcpu_create_chunk / pcpu_destroy_chunk (percpu-vm.ts) for the address search. */
  registerChunk(chunk: pcpu_chunk): void {
    this.chunks.set(chunk.base_addr, chunk);
    this.stats.chunks_created++;
  }
  unregisterChunk(chunk: pcpu_chunk): void {
    this.chunks.delete(chunk.base_addr);
    this.stats.chunks_destroyed++;
  }

  pcpu_chunk_populated(chunk: pcpu_chunk, page_start: number, page_end: number): void {
    const nr = page_end - page_start;
    chunk.populated.fill(1, page_start, page_end);
    chunk.nr_populated += nr;
    this.pcpu_nr_populated += nr;
    this.pcpu_update_empty_pages(chunk, nr);
  }

  pcpu_chunk_depopulated(chunk: pcpu_chunk, page_start: number, page_end: number): void {
    const nr = page_end - page_start;
    chunk.populated.fill(0, page_start, page_end);
    chunk.nr_populated -= nr;
    this.pcpu_nr_populated -= nr;
    this.pcpu_update_empty_pages(chunk, -nr);
  }

  /** pcpu_chunk_addr(chunk, cpu, page_idx) */
  pcpu_chunk_addr(chunk: pcpu_chunk, cpu: number, page_idx: number): ulong {
    return chunk.base_addr + this.pcpu_unit_offsets[cpu]! + page_idx * PAGE_SIZE;
  }

  /** pcpu_chunk_addr_search(addr): the chunk an object lives in. */
  private pcpu_chunk_addr_search(addr: ulong): pcpu_chunk | null {
    for (const [base, chunk] of this.chunks) if (addr >= base && addr < base + this.pcpu_unit_size) return chunk;
    return null;
  }

  /* ---- the API ---- */

  /** __alloc_percpu(size, align): pcpu_alloc_noprof(size, align, false, GFP_KERNEL). 0 on failure. */
  __alloc_percpu(size: number, align: number): ulong {
    return this.pcpu_alloc_noprof(size, align, false);
  }

  /** pcpu_alloc_noprof(size, align, reserved, GFP_KERNEL): a blocking allocation. */
  pcpu_alloc_noprof(size: number, align: number, reserved: boolean): ulong {
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
    if (this.pcpu_nr_empty_pop_pages < PCPU_EMPTY_POP_PAGES_LOW) this.pcpu_schedule_balance_work();

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

    // clear the areas: a store to each possible CPU's copy (the 8-byte word the memset starts in)
    for (let cpu = 0; cpu < this.possible; cpu++) {
      const a = this.pcpu_chunk_addr(chunk, cpu, 0) + off;
      h.write64(a - (((a % 8) + 8) % 8), 0);
    }

    return chunk.base_addr + off; // __addr_to_pcpu_ptr
  }

  /** free_percpu(ptr) */
  free_percpu(ptr: ulong): void {
    const h = this.h;
    if (!ptr) return;
    const addr = ptr;
    const chunk = this.pcpu_chunk_addr_search(addr);
    if (!chunk) throw new Error(`free_percpu(${addr}): not in a modelled chunk`);
    const off = addr - chunk.base_addr;
    let need_balance = false;

    h.spin_lock('pcpu_lock');
    const size = this.pcpu_free_area(chunk, off);
    if (size === 0) {
      h.spin_unlock('pcpu_lock');
      return; // WARN_ON_ONCE: invalid percpu free
    }

    if (!chunk.isolated && chunk.free_bytes === this.pcpu_unit_size) {
      for (const pos of this.pcpu_chunk_lists[this.pcpu_free_slot]!)
        if (pos !== chunk) {
          need_balance = true;
          break;
        }
    } else if (this.pcpu_should_reclaim_chunk(chunk)) {
      this.pcpu_isolate_chunk(chunk);
      need_balance = true;
    }

    h.spin_unlock('pcpu_lock');

    if (need_balance) this.pcpu_schedule_balance_work();
  }

  /** pcpu_should_reclaim_chunk(chunk) (percpu-vm.c) */
  private pcpu_should_reclaim_chunk(chunk: pcpu_chunk): boolean {
    if (chunk === this.pcpu_first_chunk) return false;
    return (chunk.isolated && chunk.nr_empty_pop_pages > 0) || (this.pcpu_nr_empty_pop_pages > PCPU_EMPTY_POP_PAGES_HIGH + chunk.nr_empty_pop_pages && chunk.nr_empty_pop_pages >= chunk.nr_pages / 4);
  }

  /* ---- the balance work ---- */

  private pcpu_balance_free(empty_only: boolean): void {
    const h = this.h;
    const free_head = this.pcpu_chunk_lists[this.pcpu_free_slot]!;
    const to_free: pcpu_chunk[] = [];

    const first = free_head[0];
    for (const chunk of [...free_head]) {
      if (chunk === first) continue; // spare the first one
      if (!empty_only || chunk.nr_empty_pop_pages === 0) {
        this.list_del(chunk);
        to_free.unshift(chunk); // list_move to to_free
      }
    }

    if (!to_free.length) return;

    h.spin_unlock('pcpu_lock');
    for (const chunk of to_free) {
      for (let rs = 0; rs < chunk.nr_pages; ) {
        if (!chunk.populated[rs]) {
          rs++;
          continue;
        }
        let re = rs;
        while (re < chunk.nr_pages && chunk.populated[re]) re++;
        pcpu_depopulate_chunk(this, chunk, rs, re);
        h.spin_lock('pcpu_lock');
        this.pcpu_chunk_depopulated(chunk, rs, re);
        h.spin_unlock('pcpu_lock');
        rs = re;
      }
      pcpu_destroy_chunk(this, chunk);
      // cond_resched()
    }
    h.spin_lock('pcpu_lock');
  }

  private pcpu_balance_populated(): void {
    const h = this.h;
    let nr_to_pop: number;

    for (;;) {
      // retry_pop:
      if (this.pcpu_atomic_alloc_failed) {
        nr_to_pop = PCPU_EMPTY_POP_PAGES_HIGH;
        this.pcpu_atomic_alloc_failed = false;
      } else {
        nr_to_pop = Math.min(Math.max(PCPU_EMPTY_POP_PAGES_HIGH - this.pcpu_nr_empty_pop_pages, 0), PCPU_EMPTY_POP_PAGES_HIGH);
      }

      for (let slot = this.pcpu_size_to_slot(PAGE_SIZE); slot <= this.pcpu_free_slot; slot++) {
        let nr_unpop = 0;
        let chunk: pcpu_chunk | undefined;
        if (!nr_to_pop) break;

        for (chunk of this.pcpu_chunk_lists[slot]!) {
          nr_unpop = chunk.nr_pages - chunk.nr_populated;
          if (nr_unpop) break;
        }
        if (!nr_unpop || !chunk) continue;

        // for_each_clear_bitrange(rs, re, chunk->populated, chunk->nr_pages)
        for (let rs = 0; rs < chunk.nr_pages; ) {
          if (chunk.populated[rs]) {
            rs++;
            continue;
          }
          let re = rs;
          while (re < chunk.nr_pages && !chunk.populated[re]) re++;
          const nr = Math.min(re - rs, nr_to_pop);

          h.spin_unlock('pcpu_lock');
          const ret = pcpu_populate_chunk(this, chunk, rs, rs + nr);
          h.spin_lock('pcpu_lock');
          if (!ret) {
            nr_to_pop -= nr;
            this.pcpu_chunk_populated(chunk, rs, rs + nr);
          } else {
            nr_to_pop = 0;
          }

          if (!nr_to_pop) break;
          rs = re;
        }
      }

      if (nr_to_pop) {
        // ran out of chunks to populate, create a new one and retry
        h.spin_unlock('pcpu_lock');
        const chunk = pcpu_create_chunk(this);
        h.spin_lock('pcpu_lock');
        if (chunk) {
          this.pcpu_chunk_relocate(chunk, -1);
          continue;
        }
      }
      return;
    }
  }

  private pcpu_reclaim_populated(): void {
    const h = this.h;
    let chunk: pcpu_chunk | undefined;
    while ((chunk = this.pcpu_chunk_lists[this.pcpu_to_depopulate_slot]![0])) {
      let freed_page_start = chunk.nr_pages;
      let freed_page_end = 0;
      let reintegrate = false;
      let end = -1;
      for (let i = chunk.nr_pages - 1; i >= 0; i--) {
        if (chunk.nr_empty_pop_pages === 0) break;

        if (this.pcpu_nr_empty_pop_pages < PCPU_EMPTY_POP_PAGES_HIGH) {
          reintegrate = true;
          break;
        }

        if (chunk.blk_contig[i] === PCPU_BITMAP_BLOCK_BITS && chunk.populated[i]) {
          if (end === -1) end = i;
          if (i > 0) continue;
          i--;
        }

        if (end === -1) continue;

        h.spin_unlock('pcpu_lock');
        pcpu_depopulate_chunk(this, chunk, i + 1, end + 1);
        h.spin_lock('pcpu_lock');

        this.pcpu_chunk_depopulated(chunk, i + 1, end + 1);
        freed_page_start = Math.min(freed_page_start, i + 1);
        freed_page_end = Math.max(freed_page_end, end + 1);

        end = -1;
      }

      if (freed_page_start < freed_page_end) {
        h.spin_unlock('pcpu_lock');
        pcpu_post_unmap_tlb_flush(this, chunk, freed_page_start, freed_page_end);
        h.spin_lock('pcpu_lock');
      }

      if (reintegrate || chunk.free_bytes === this.pcpu_unit_size) this.pcpu_reintegrate_chunk(chunk);
      else this.list_move_tail(chunk, this.pcpu_sidelined_slot);
    }
  }

  /** pcpu_balance_workfn() */
  pcpu_balance_workfn(): void {
    const h = this.h;
    this.stats.balance_runs++;
    h.mutex_lock('pcpu_alloc_mutex');
    h.spin_lock('pcpu_lock');

    this.pcpu_balance_free(false);
    this.pcpu_reclaim_populated();
    this.pcpu_balance_populated();
    this.pcpu_balance_free(true);

    h.spin_unlock('pcpu_lock');
    h.mutex_unlock('pcpu_alloc_mutex');
  }

  /** Chunks on the slot lists, the first chunk included. */
  nr_chunks(): number {
    return this.pcpu_chunk_lists.reduce((a, l) => a + l.length, 0);
  }
}

function align_up(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/** find_next_zero_bit(map, size, offset) */
function find_next_zero_bit(map: Uint8Array, size: number, offset: number): number {
  let i = offset;
  while (i < size && map[i]) i++;
  return Math.min(i, size);
}

/** find_next_bit(map, size, offset) */
function find_next_bit(map: Uint8Array, size: number, offset: number): number {
  let i = offset;
  while (i < size && !map[i]) i++;
  return Math.min(i, size);
}

/** pcpu_find_zero_area(map, size, start, nr, align_mask): the aligned first fit; >= size - nr + 1 when none. */
export function find_zero_area(map: Uint8Array, size: number, start: number, nr: number, align_mask: number): number {
  for (;;) {
    let index = find_next_zero_bit(map, size, start);
    index = (index + align_mask) & ~align_mask; // __ALIGN_MASK
    const end = index + nr;
    if (end > size) return end;
    const i = find_next_bit(map, end, index);
    if (i < end) {
      start = i + 1;
      continue;
    }
    return index;
  }
}
