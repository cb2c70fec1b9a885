// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vmalloc API layer of Linux 7.3: 6.12's (linux-6.12.ts), with what
 * changed in the functions this layer ports from 6.13 to 7.3:
 *
 * - vrealloc() is vrealloc_node_align(p, size, 1, flags, NUMA_NO_NODE):
 *   a NULL p goes straight to the allocation; it grows in place up to
 *   vm->nr_pages pages (6.12: up to the area's size); a shrink that drops
 *   whole pages (order-0 pages, no VM_FLUSH_RESET_PERMS/VM_USERMAP, a gfp
 *   with __GFP_IO and __GFP_FS) lowers vm->nr_pages, unmaps the tail with
 *   vunmap_range() - a TLB flush at once, not a lazy one - and frees the
 *   tail's pages (vm_area_free_pages()); the copy on reallocation is of
 *   min(size, old_size) bytes;
 * - non-blocking __vmalloc() (6.19): flags outside GFP_VMALLOC_SUPPORTED
 *   are dropped with a warning (vmalloc_fix_flags); __GFP_NOFAIL is
 *   ignored without __GFP_DIRECT_RECLAIM; the allocator's alloc_vmap_area()
 *   fails such a call without purging (kernel/mm/vmalloc/linux-7.3.ts);
 * - __vmalloc_area_node() no longer vfree()s a half-built area on failure:
 *   it queues it on pending_vm_area_cleanup and schedules the
 *   cleanup_vm_area work item (defer_vm_area_cleanup), which frees it with
 *   free_vm_area() (no page array yet) or vfree();
 * - vfree() frees the pages through vm_area_free_pages().
 *
 * Not modelled: the large-order first pass of vm_area_alloc_pages() (which
 * physical frames back an area, not where it lies), memalloc scopes,
 * KASAN, kmemleak, NR_VMALLOC per-lruvec accounting (nr_vmalloc_pages
 * stands for it).
 *
 * Version: linux-7.3 (Debian 7.3.4-1~bpo13+1). Upstream path: mm/vmalloc.c.
 * Text read: mm/vmalloc.c of the Debian linux-source-7.3 7.3.4 tree
 * (vrealloc_node_align_noprof, vm_area_free_pages, vfree,
 * __vmalloc_area_node, defer_vm_area_cleanup, cleanup_vm_area_work,
 * vmalloc_fix_flags, __vmalloc_noprof, vunmap_range), include/linux/gfp.h
 * (gfp_has_io_fs), include/linux/vmalloc.h; provenance in
 * docs/sources.md#text-linux-7.3. Only what differs from linux-6.12.ts is here.
 */

import type { ulong } from '../../../include/u64.js';
import { GFP_KERNEL, __GFP_ZERO, page } from '../../page_alloc.js';
import { PAGE_SHIFT, PAGE_SIZE, type pgprot_t } from '../../pgtable.js';
import {
  GFP_ATOMIC,
  GFP_NOWAIT,
  __GFP_FS,
  __GFP_IO,
  __GFP_NOFAIL,
  __GFP_NORETRY,
  __GFP_RETRY_MAYFAIL,
  gfpflags_allow_blocking,
} from '../linux-7.3.js';
import { VM_FLUSH_RESET_PERMS, VM_MAP_PUT_PAGES, VM_USERMAP, vm_struct } from './linux-6.1.js';
import { vmalloc_api_linux_6_12 } from './linux-6.12.js';

export const VERSION = 'linux-7.3';

/** __GFP_ACCOUNT (bit 22) and __GFP_HARDWALL (bit 20), for GFP_VMALLOC_SUPPORTED. */
const __GFP_ACCOUNT = 0x400000;
const __GFP_HARDWALL = 0x100000;
/** GFP_NOFS / GFP_NOIO / GFP_USER / GFP_KERNEL_ACCOUNT (include/linux/gfp_types.h). */
const __GFP_RECLAIM = 0xc00;
const GFP_NOFS = __GFP_RECLAIM | __GFP_IO;
const GFP_NOIO = __GFP_RECLAIM;
const GFP_USER = __GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL;
const GFP_KERNEL_ACCOUNT = GFP_KERNEL | __GFP_ACCOUNT;

/**
 * GFP_VMALLOC_SUPPORTED: every flag vmalloc callers pass (__GFP_NOLOCKDEP and
 * __GFP_SKIP_KASAN are 0 in this configuration: no lockdep, no HW tags).
 */
export const GFP_VMALLOC_SUPPORTED =
  GFP_KERNEL | GFP_ATOMIC | GFP_NOWAIT | __GFP_NOFAIL | __GFP_ZERO | __GFP_NORETRY | __GFP_RETRY_MAYFAIL | GFP_NOFS | GFP_NOIO | GFP_KERNEL_ACCOUNT | GFP_USER;

/** gfp_has_io_fs(gfp): both __GFP_IO and __GFP_FS. */
export function gfp_has_io_fs(gfp: number): boolean {
  return (gfp & (__GFP_IO | __GFP_FS)) === (__GFP_IO | __GFP_FS);
}

export class vmalloc_api_linux_7_3 extends vmalloc_api_linux_6_12 {
  override readonly era: string = VERSION;
  protected override readonly version: string = VERSION;

  /** LLIST_HEAD(pending_vm_area_cleanup) */
  readonly pending_vm_area_cleanup: vm_struct[] = [];
  /** The cleanup_vm_area work item is queued and has not run. */
  cleanup_vm_area_pending = false;
  /** Areas whose cleanup was deferred (instrumentation). */
  deferred_cleanups = 0;

  /** vmalloc_fix_flags(): keep the supported flags, warn once about the rest. */
  vmalloc_fix_flags(flags: number): number {
    flags &= GFP_VMALLOC_SUPPORTED;
    this.WARN_ON(true, 'vmalloc_fix_flags', 'Unexpected gfp: Fix your code!');
    return flags;
  }

  /** __vmalloc(size, gfp_mask): GFP_NOWAIT and GFP_ATOMIC are supported here. */
  override __vmalloc(size: ulong, gfp_mask: number, caller = '__vmalloc'): ulong {
    if (gfp_mask & ~GFP_VMALLOC_SUPPORTED) gfp_mask = this.vmalloc_fix_flags(gfp_mask);
    return this.__vmalloc_node(size, 1, gfp_mask, -1, caller);
  }

  /** cleanup_vm_area_work(): free every area queued for cleanup. */
  cleanup_vm_area_work(): void {
    this.cleanup_vm_area_pending = false;
    // llist_del_all(&pending_vm_area_cleanup): newest first, as llist_add pushes at the head.
    const head = this.pending_vm_area_cleanup.splice(0).reverse();
    if (!head.length) return;

    for (const area of head) {
      if (!area.pages) this.free_vm_area(area);
      else this.vfree(area.addr);
    }
  }

  /**
   * defer_vm_area_cleanup(area): queue it; the first one queued schedules
   * the work. The work item runs at once here, as queued work does in the
   * trace environment (this layer has no kworker of its own).
   */
  defer_vm_area_cleanup(area: vm_struct): void {
    const first = this.pending_vm_area_cleanup.length === 0; // llist_add() returns true on an empty list
    this.pending_vm_area_cleanup.push(area);
    this.deferred_cleanups++;
    if (first) {
      this.cleanup_vm_area_pending = true; // schedule_work(&cleanup_vm_area)
      this.cleanup_vm_area_work();
    }
  }

  /**
   * __vmalloc_area_node(): as 6.12, but a non-blocking mask cannot be
   * __GFP_NOFAIL, and a failure defers the cleanup instead of vfree()ing.
   */
  override __vmalloc_area_node(area: vm_struct, gfp_mask: number, prot: pgprot_t, node: number): ulong {
    const addr = area.addr;
    const size = area.size - PAGE_SIZE; // get_vm_area_size(area)
    const nr_small_pages = Math.floor(size / PAGE_SIZE);
    const array_size = nr_small_pages * 8;
    const nested_gfp = (gfp_mask & ~0) | __GFP_ZERO;
    // __GFP_NOFAIL and a caller that may not sleep exclude each other
    // (nofail only drives the page-table retry loop, whose allocations do
    // not fail in this model).
    const nofail = (gfp_mask & __GFP_NOFAIL) !== 0 && gfpflags_allow_blocking(gfp_mask);
    void nofail;

    // The page array is vmalloc'd itself when larger than a page (bounded recursion).
    if (array_size > PAGE_SIZE) {
      area.pages_vmalloc_addr = this.__vmalloc_node(array_size, 1, nested_gfp, node, area.caller);
      if (!area.pages_vmalloc_addr) {
        this.defer_vm_area_cleanup(area); // goto fail
        return 0;
      }
    }
    // The page array at its exact size, as the kernel's kvmalloc'd one is (a grown JS
    // array keeps spare slots: some 250 bytes for a one-page area).
    area.pages = new Array<page>(nr_small_pages);

    // vm_area_alloc_pages(): order-0 pages.
    let nr_allocated = 0;
    for (let i = 0; i < nr_small_pages; i++) {
      const pg = this.k.pages.alloc_page(gfp_mask);
      if (pg === null) break;
      area.pages[nr_allocated++] = pg;
    }
    area.pages.length = nr_allocated;
    area.nr_pages = nr_allocated;
    this.nr_vmalloc_pages += area.nr_pages;

    // Not every page came: the deferred cleanup vfree()s what did.
    if (area.nr_pages !== nr_small_pages) {
      this.defer_vm_area_cleanup(area);
      return 0;
    }

    if (this.vmap_pages_range(addr, addr + size, prot, area.pages) < 0) {
      this.defer_vm_area_cleanup(area);
      return 0;
    }

    return area.addr;
  }

  /**
   * vm_area_free_pages(vm, start_idx, end_idx): free pages [start_idx,
   * end_idx) of the area and clear their slots; the caller has unmapped them.
   */
  vm_area_free_pages(vm: vm_struct, start_idx: number, end_idx: number): void {
    const pages = vm.pages as (page | null)[];

    if (!(vm.flags & VM_MAP_PUT_PAGES)) this.nr_vmalloc_pages -= end_idx - start_idx; // mod_lruvec_page_state(NR_VMALLOC, -1) each

    // free_pages_bulk(vm->pages + start_idx, end_idx - start_idx)
    for (let i = start_idx; i < end_idx; i++) {
      const pg = pages[i];
      this.BUG_ON(!pg, 'vm_area_free_pages', '!page');
      this.k.pages.__free_page(pg as page);
    }

    for (let i = start_idx; i < end_idx; i++) pages[i] = null;
  }

  /** vfree()'s page loop is vm_area_free_pages(vm, 0, vm->nr_pages) now. */
  override __vunmap(addr: ulong, deallocate_pages: number): void {
    if (!addr) return;

    if (this.WARN_ON(addr % PAGE_SIZE !== 0, 'vfree', 'Trying to vfree() bad address')) return;

    const vm = this.find_vm_area(addr);
    if (vm === null) {
      this.WARN_ON(true, 'vfree', 'Trying to vfree() nonexistent vm area');
      return;
    }

    this.vm_remove_mappings(vm, deallocate_pages);

    if (deallocate_pages) {
      this.vm_area_free_pages(vm, 0, vm.nr_pages);
      if (vm.pages_vmalloc_addr) this.vfree(vm.pages_vmalloc_addr); // kvfree(vm->pages)
    }
    // kfree(vm)
  }

  /** vunmap_range(addr, end): unmap and flush the TLB now. */
  vunmap_range(addr: ulong, end: ulong): void {
    // flush_cache_vunmap(addr, end): nothing on x86.
    this.vunmap_range_noflush(addr, end);
    this.k.flush_tlb_kernel_range(addr, end);
  }

  /** vrealloc(p, size, flags) = vrealloc_node_align(p, size, 1, flags, NUMA_NO_NODE). */
  override vrealloc(p: ulong, size: ulong, flags: number = GFP_KERNEL, caller = 'vrealloc'): ulong {
    return this.vrealloc_node_align(p, size, 1, flags, -1, caller);
  }

  /**
   * vrealloc_node_align(p, size, align, flags, nid): no data is modelled,
   * so the copy is not either. 0 is NULL.
   */
  vrealloc_node_align(p: ulong, size: ulong, align: ulong, flags: number, nid: number, caller = 'vrealloc'): ulong {
    let vm: vm_struct | null = null;
    let alloced_size = 0;
    let old_size = 0;

    if (!size) {
      this.vfree(p);
      return 0;
    }

    realloc: {
      if (p) {
        vm = this.find_vm_area(p);
        if (!vm) {
          this.WARN_ON(true, 'vrealloc_node_align', 'Trying to vrealloc() nonexistent vm area');
          return 0;
        }

        alloced_size = vm.size - PAGE_SIZE; // get_vm_area_size(vm)
        old_size = vm.requested_size;
        if (this.WARN_ON(alloced_size < old_size, 'vrealloc_node_align', 'vrealloc() has mismatched area vs requested sizes')) return 0;
        if (this.WARN_ON(p % align !== 0, 'vrealloc_node_align', 'will not reallocate with a bigger alignment')) return 0;
        // __GFP_THISNODE with another node: one node here, never taken.
      } else {
        // A NULL p is a plain allocation: no shrink, no in-place growth.
        break realloc; // goto need_realloc
      }

      if (size <= old_size) {
        const new_nr_pages = Math.ceil(size / PAGE_SIZE); // PAGE_ALIGN(size) >> PAGE_SHIFT

        // Zeroing of the tail under init_on_free/init_on_alloc: no data here.

        // Whole pages dropped: free them, unless the area uses huge pages
        // (none here), must reset direct-map permissions first, may be
        // mapped to user space, or the caller is in fs/io reclaim.
        if (new_nr_pages < vm.nr_pages && !(vm.flags & (VM_FLUSH_RESET_PERMS | VM_USERMAP)) && gfp_has_io_fs(flags)) {
          const addr = p; // kasan_reset_tag(p)
          const old_nr_pages = vm.nr_pages;

          // Under the node's busy lock (a no-op here).
          vm.nr_pages = new_nr_pages;

          // kmemleak_free_part(): no kmemleak.

          this.vunmap_range(addr + new_nr_pages * 2 ** PAGE_SHIFT, addr + old_nr_pages * 2 ** PAGE_SHIFT);

          this.vm_area_free_pages(vm, new_nr_pages, old_nr_pages);
        }
        vm.requested_size = size;
        // kasan_vrealloc(): no KASAN.
        return p;
      }

      // The area's mapped pages already hold it: use them.
      if (size <= vm.nr_pages * 2 ** PAGE_SHIFT) {
        vm.requested_size = size;
        return p;
      }
    }

    // need_realloc: a new area; growing the mapping in place is not done.
    const n = this.__vmalloc_node(size, align, flags, nid, caller);

    if (!n) return 0;

    if (p) {
      // memcpy(n, p, min(size, old_size))
      this.vfree(p);
    }

    return n;
  }

  /** What tests read: the queued cleanups (none once the work has run). */
  pending_cleanups(): number {
    return this.pending_vm_area_cleanup.length;
  }
}
