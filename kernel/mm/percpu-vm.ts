// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vmalloc-backed chunk management of the percpu allocator: a chunk's
 * vm areas come from pcpu_get_vm_areas() and go back through
 * pcpu_free_vm_areas(); its pages are allocated and mapped per unit
 * (pcpu_populate_chunk) and unmapped and freed (pcpu_depopulate_chunk),
 * with the TLB flush of pcpu_post_unmap_tlb_flush where the caller asks for
 * it (pcpu_reclaim_populated; a chunk destroyed by pcpu_balance_free is
 * unmapped without one: its vm area goes to the lazy purge).
 *
 * Version: linux-7.3. Upstream path: mm/percpu-vm.c.
 * Text read: Debian linux-source-7.3 7.3.4, mm/percpu-vm.c
 * (docs/sources.md#text-linux-7.3-percpu). The temp page array
 * (pcpu_get_pages) is a local array; flush_cache_vmap/vunmap are no-ops on
 * x86 and left out.
 */

import type { page } from './page_alloc.js';
import { PAGE_SIZE, pcpu_chunk, percpu } from './percpu.js';

/** pcpu_page_idx(cpu, page_idx) */
function pcpu_page_idx(p: percpu, cpu: number, page_idx: number): number {
  return cpu * p.pcpu_unit_pages + page_idx;
}

/** pcpu_free_pages(chunk, pages, page_start, page_end) */
function pcpu_free_pages(p: percpu, pages: (page | null)[], page_start: number, page_end: number): void {
  for (let cpu = 0; cpu < p.possible; cpu++) {
    for (let i = page_start; i < page_end; i++) {
      const pg = pages[pcpu_page_idx(p, cpu, i)];
      if (pg) p.h.__free_page(pg);
    }
  }
}

/** pcpu_alloc_pages(chunk, pages, page_start, page_end, gfp): 0 or -ENOMEM. */
function pcpu_alloc_pages(p: percpu, pages: (page | null)[], page_start: number, page_end: number): number {
  for (let cpu = 0; cpu < p.possible; cpu++) {
    for (let i = page_start; i < page_end; i++) {
      const pg = p.h.alloc_page(); // alloc_pages_node(cpu_to_node(cpu), gfp | __GFP_HIGHMEM, 0)
      pages[pcpu_page_idx(p, cpu, i)] = pg;
      if (!pg) {
        // err: free what this and the earlier CPUs got
        for (let j = i - 1; j >= page_start; j--) p.h.__free_page(pages[pcpu_page_idx(p, cpu, j)]!);
        for (let tcpu = 0; tcpu < cpu; tcpu++) for (let j = page_start; j < page_end; j++) p.h.__free_page(pages[pcpu_page_idx(p, tcpu, j)]!);
        return -12;
      }
    }
  }
  return 0;
}

/** pcpu_unmap_pages(chunk, pages, page_start, page_end) */
function pcpu_unmap_pages(p: percpu, chunk: pcpu_chunk, pages: (page | null)[], page_start: number, page_end: number): void {
  for (let cpu = 0; cpu < p.possible; cpu++) {
    for (let i = page_start; i < page_end; i++) {
      const key = pcpu_page_idx(p, cpu, i);
      pages[key] = chunk.pages.get(key) ?? null; // pcpu_chunk_page(): vmalloc_to_page()
      chunk.pages.delete(key);
    }
    // __pcpu_unmap_pages(addr, nr_pages)
    const addr = p.pcpu_chunk_addr(chunk, cpu, page_start);
    p.h.vunmap_range_noflush(addr, addr + (page_end - page_start) * PAGE_SIZE);
  }
}

/** pcpu_post_unmap_tlb_flush(chunk, page_start, page_end) */
export function pcpu_post_unmap_tlb_flush(p: percpu, chunk: pcpu_chunk, page_start: number, page_end: number): void {
  p.stats.tlb_flushes++;
  p.h.flush_tlb_kernel_range(p.pcpu_chunk_addr(chunk, p.pcpu_low_unit_cpu, page_start), p.pcpu_chunk_addr(chunk, p.pcpu_high_unit_cpu, page_end));
}

/** pcpu_map_pages(chunk, pages, page_start, page_end, gfp): 0 or -errno. */
function pcpu_map_pages(p: percpu, chunk: pcpu_chunk, pages: (page | null)[], page_start: number, page_end: number): number {
  let cpu = 0;
  let err = 0;
  for (; cpu < p.possible; cpu++) {
    const addr = p.pcpu_chunk_addr(chunk, cpu, page_start);
    const nr = page_end - page_start;
    const unitPages = pages.slice(pcpu_page_idx(p, cpu, page_start), pcpu_page_idx(p, cpu, page_end)) as page[];
    err = p.h.vmap_pages_range_noflush(addr, addr + nr * PAGE_SIZE, unitPages); // __pcpu_map_pages
    if (err < 0) break;
    for (let i = page_start; i < page_end; i++) chunk.pages.set(pcpu_page_idx(p, cpu, i), pages[pcpu_page_idx(p, cpu, i)]!); // pcpu_set_page_chunk
  }
  if (err >= 0) return 0;
  for (let tcpu = 0; tcpu < p.possible; tcpu++) {
    const addr = p.pcpu_chunk_addr(chunk, tcpu, page_start);
    p.h.vunmap_range_noflush(addr, addr + (page_end - page_start) * PAGE_SIZE);
    if (tcpu === cpu) break;
  }
  pcpu_post_unmap_tlb_flush(p, chunk, page_start, page_end);
  return err;
}

/** pcpu_populate_chunk(chunk, page_start, page_end, gfp): 0 or -ENOMEM. */
export function pcpu_populate_chunk(p: percpu, chunk: pcpu_chunk, page_start: number, page_end: number): number {
  const pages: (page | null)[] = []; // pcpu_get_pages()
  if (pcpu_alloc_pages(p, pages, page_start, page_end)) return -12;
  if (pcpu_map_pages(p, chunk, pages, page_start, page_end)) {
    pcpu_free_pages(p, pages, page_start, page_end);
    return -12;
  }
  // pcpu_post_map_flush(): flush_cache_vmap, nothing on x86
  p.stats.populated_pages += (page_end - page_start) * p.possible;
  return 0;
}

/** pcpu_depopulate_chunk(chunk, page_start, page_end): unmapped, no TLB flush (the caller decides). */
export function pcpu_depopulate_chunk(p: percpu, chunk: pcpu_chunk, page_start: number, page_end: number): void {
  const pages: (page | null)[] = []; // pcpu_get_pages(0)
  // pcpu_pre_unmap_flush(): flush_cache_vunmap, nothing on x86
  pcpu_unmap_pages(p, chunk, pages, page_start, page_end);
  pcpu_free_pages(p, pages, page_start, page_end);
  p.stats.depopulated_pages += (page_end - page_start) * p.possible;
}

/** pcpu_create_chunk(gfp): a chunk and its vm areas. */
export function pcpu_create_chunk(p: percpu): pcpu_chunk | null {
  const chunk = p.pcpu_alloc_chunk();
  if (!chunk) return null;

  p.stats.get_vm_areas++;
  const vms = p.h.pcpu_get_vm_areas(p.pcpu_group_offsets, p.pcpu_group_sizes, p.pcpu_nr_groups, p.pcpu_atom_size);
  if (!vms) {
    p.pcpu_free_chunk(chunk);
    return null;
  }
  p.stats.areas += vms.length;

  chunk.data = vms;
  chunk.base_addr = (vms[0] as { addr: number }).addr - p.pcpu_group_offsets[0]!;
  p.registerChunk(chunk);
  return chunk;
}

/** pcpu_destroy_chunk(chunk) */
export function pcpu_destroy_chunk(p: percpu, chunk: pcpu_chunk | null): void {
  if (!chunk) return;
  p.unregisterChunk(chunk);
  if (chunk.data) p.h.pcpu_free_vm_areas(chunk.data, p.pcpu_nr_groups);
  p.pcpu_free_chunk(chunk);
}
