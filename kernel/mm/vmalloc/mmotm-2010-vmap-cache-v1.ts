// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux 2.6.35 plus Nick Piggin's "[patch] mm: vmap area cache" as posted to
 * linux-mm on 31 May 2010 for -mm (Message-ID 20100531080757.GE9453@laptop):
 * the version carried in mmotm that has cached_start, the `size <=
 * cached_hole_size` invalidation and BUG_ON(first->va_start < addr), which
 * Steven Whitehouse and Hugh Dickins hit with ioremap alignments. It never
 * reached a release; Hugh's fix (linux-2.6.39.ts) replaced its search.
 *
 * Version: mmotm-2010-vmap-cache-v1. Upstream path: mm/vmalloc.c.
 * Text read: the 2.6.35.6 base of linux-2.6.35.ts with the patch (public code
 *   index id 11838866661) applied; docs/sources.md.
 * Line numbers in BUG sites are lines of the patched file.
 *
 * Not here: page-table code (vunmap_page_range reaches the machine through
 * hooks), the per-CPU vmap blocks (purge_fragmented_blocks_allcpus is a
 * hook), the vm_struct layer (kernel/mm/vmalloc-api, by era).
 */

import { EBUSY, ENOMEM, ERR_PTR } from '../../include/linux/errno.js';
import {
  INIT_LIST_HEAD,
  list_add_rcu,
  list_add_tail,
  list_del_rcu,
  list_head,
} from '../../include/linux/list.js';
import {
  RB_CLEAR_NODE,
  RB_EMPTY_NODE,
  RB_LEFT,
  RB_RIGHT,
  rb_link_node,
  rb_node,
  rb_root,
  type rb_side,
} from '../../include/linux/rbtree.js';
import { PAGE_SIZE } from '../../include/asm/page.js';
import { ALIGN, fls, hex, is_power_of_2, misalign, ugt, uge, ule, ult, ULONG_MAX, type ulong, umax } from '../../include/u64.js';
import { rb_erase, rb_insert_color, rb_next, rb_prev } from '../../lib/rbtree/linux-2.6.35.js';
import { PCPU_LINES_2_6_35, pcpu_get_vm_areas } from './pcpu/linux-2.6.35.js';
import { type AllocatorSnapshot, type AreaView, GFP_KERNEL, NUMA_NO_NODE, purge_area_read, purge_released, spin_lock, spin_trylock, spin_unlock, type VmallocEnv, type VmapAllocator } from './common.js';
import { type allocator_id, vmalloc_shims } from './shims/customised.js';

export const VM_LAZY_FREE = 0x01;
export const VM_LAZY_FREEING = 0x02;
export const VM_VM_AREA = 0x04;

/** struct vmap_area (unchanged from 2.6.35) */
export class vmap_area extends rb_node {
  va_start: ulong = 0;
  va_end: ulong = 0;
  flags = 0;
  /** address sorted list */
  readonly list: list_head<vmap_area> = new list_head<vmap_area>(this);
  /** "lazy purge" list */
  readonly purge_list: list_head<vmap_area> = new list_head<vmap_area>(this);
  /** the vm_struct when VM_VM_AREA is set */
  private: unknown = null;
}

export class vmap_allocator extends vmalloc_shims<vmap_area> implements VmapAllocator {
  /* Globals of the allocator section. */
  readonly vmap_area_list: list_head<vmap_area> = new list_head<vmap_area>(null);
  readonly vmap_area_root: rb_root = new rb_root();

  free_vmap_cache: rb_node | null = null;
  cached_hole_size: ulong = 0;
  cached_start: ulong = 0;
  cached_align: ulong = 0;

  vmap_area_pcpu_hole: ulong = 0;
  vmap_lazy_nr = 0;
  vmap_initialized = false;

  private readonly VMALLOC_START: ulong;
  private readonly VMALLOC_END: ulong;

  constructor(env: VmallocEnv, id: allocator_id) {
    super(env, id);
    this.VMALLOC_START = env.VMALLOC_START;
    this.VMALLOC_END = env.VMALLOC_END;
    this.vmalloc_init();
  }

  __find_vmap_area(addr: ulong): vmap_area | null {
    let n = this.vmap_area_root.rb_node;

    while (n) {
      const va = this.rb_entry(n);
      if (ult(addr, va.va_start)) n = n.rb_left;
      else if (ugt(addr, va.va_start)) n = n.rb_right;
      else return va;
    }

    return null;
  }

  __insert_vmap_area(va: vmap_area): void {
    let p = this.vmap_area_root.rb_node;
    let parent: rb_node | null = null;
    let side: rb_side = RB_LEFT;

    while (p) {
      parent = p;
      const tmp = this.rb_entry(parent);
      if (ult(va.va_start, tmp.va_end)) {
        side = RB_LEFT;
        p = p.rb_left;
      } else if (ugt(va.va_end, tmp.va_start)) {
        side = RB_RIGHT;
        p = p.rb_right;
      } else this.BUG_ON(true, '__insert_vmap_area', 'BUG()');
    }

    rb_link_node(va, parent, side, this.vmap_area_root);
    rb_insert_color(va, this.vmap_area_root);

    // Keep vmap_area_list in address order, like the vmlist.
    const tmp = rb_prev(va);
    if (tmp) {
      const prev = this.rb_entry(tmp);
      list_add_rcu(va.list, prev.list);
    } else list_add_rcu(va.list, this.vmap_area_list);
  }

  /** kmalloc_node() of a vmap_area; null models an allocation failure (failslab). */
  kmalloc_vmap_area(gfp_mask: number, _node: number): vmap_area | null {
    if (this.env.hooks.should_failslab?.(gfp_mask)) return null;
    return new vmap_area();
  }

  /*
   * Find a free range of `size` bytes aligned to `align` inside
   * [vstart, vend) and insert an area for it.
   */
  alloc_vmap_area(
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
        // ones that built it.
        let nocache =
          !this.free_vmap_cache || ule(size, this.cached_hole_size) || ult(vstart, this.cached_start) || ult(align, this.cached_align);
        for (;;) {
          if (nocache) {
            // nocache:
            this.cached_hole_size = 0;
            this.free_vmap_cache = null;
          }
          // Remember the less permissive parameters.
          this.cached_start = vstart;
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
            if (!n) break; // goto found

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

            if (!first) break; // goto found

            if (ult(first.va_start, addr)) {
              addr = ALIGN(umax(first.va_end + PAGE_SIZE, addr), align);
              if (ult(addr + size - 1, addr)) break search; // goto overflow
              n = rb_next(first);
              if (n) first = this.rb_entry(n);
              else break; // goto found
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
            else break; // goto found
          }
          break;
        }

        // found:
        if (!ugt(addr + size, vend)) {
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

  /** rcu_free_va(): call_rcu() callbacks run at once here, and kfree is the GC. */
  call_rcu_free_va(_va: vmap_area): void {}

  __free_vmap_area(va: vmap_area): void {
    this.BUG_ON(RB_EMPTY_NODE(va), '__free_vmap_area', 'RB_EMPTY_NODE(&va->rb_node)');

    if (this.free_vmap_cache) {
      if (ult(va.va_end, this.cached_start)) {
        this.free_vmap_cache = null;
      } else {
        let cache = this.rb_entry(this.free_vmap_cache);
        if (ule(va.va_start, cache.va_start)) {
          this.free_vmap_cache = rb_prev(va);
          // The patch recomputes `cache` here (even when rb_prev() gave
          // NULL) and never reads it again; the evaluation is kept because
          // rb_entry() is counted.
          cache = this.rb_entry(this.free_vmap_cache as rb_node);
        }
        void cache;
      }
    }
    rb_erase(va, this.vmap_area_root);
    RB_CLEAR_NODE(va);
    list_del_rcu(va.list);

    // Remember the highest end inside the vmalloc range as the candidate
    // for the percpu allocator.
    if (ugt(va.va_end, this.VMALLOC_START) && ule(va.va_end, this.VMALLOC_END))
      this.vmap_area_pcpu_hole = umax(this.vmap_area_pcpu_hole, va.va_end);

    this.call_rcu_free_va(va);
  }

  /** Free an area allocated by alloc_vmap_area at once. */
  free_vmap_area(va: vmap_area): void {
    spin_lock(this.env, 'vmap_area_lock');
    this.__free_vmap_area(va);
    spin_unlock(this.env, 'vmap_area_lock');
  }

  /** Clear the page-table entries of an area. */
  unmap_vmap_area(va: vmap_area): void {
    this.env.hooks.vunmap_page_range(va.va_start, va.va_end);
  }

  /** vmap_debug_free_range(): only with CONFIG_DEBUG_PAGEALLOC, which is off. */
  vmap_debug_free_range(_start: ulong, _end: ulong): void {}

  /*
   * How many pages of lazily freed address space to gather before a purge:
   * a log scale in the number of online CPUs, 32 MiB per step.
   */
  lazy_max_pages(): number {
    const log = fls(this.num_online_cpus());

    return log * ((32 * 1024 * 1024) / PAGE_SIZE);
  }

  /*
   * Purge every lazily freed area. Without sync, give up if a purge is
   * already running; with force_flush, flush [*start, *end) even if nothing
   * was found. start/end are widened to cover what was purged.
   */
  __purge_vmap_area_lazy(range: { start: ulong; end: ulong }, sync: number, force_flush: number): void {
    const valist = new list_head<vmap_area>(null);
    let nr = 0;
    let nr_areas = 0; // instrumentation: areas released, for the "purged" event

    if (!sync && !force_flush) {
      if (!spin_trylock(this.env, 'purge_lock')) return;
    } else spin_lock(this.env, 'purge_lock');

    if (sync) this.env.hooks.purge_fragmented_blocks_allcpus();

    // rcu_read_lock();
    // list_for_each_entry_rcu(va, &vmap_area_list, list)
    const head = this.vmap_area_list;
    for (let l = head.next, va = this.list_entry(l); l !== head; l = va.list.next, va = this.list_entry(l)) {
      if (va.flags & VM_LAZY_FREE) {
        if (ult(va.va_start, range.start)) range.start = va.va_start;
        if (ugt(va.va_end, range.end)) range.end = va.va_end;
        nr += Math.floor((va.va_end - va.va_start) / PAGE_SIZE); // >> PAGE_SHIFT
        this.unmap_vmap_area(va);
        list_add_tail(va.purge_list, valist);
        va.flags |= VM_LAZY_FREEING;
        va.flags &= ~VM_LAZY_FREE;
        nr_areas++;
        purge_area_read(this.env); // instrumentation, not kernel text: the purge reads the lazily freed area again (docs/concurrency.md, "Cold areas")
      }
    }
    // rcu_read_unlock();

    if (nr) this.vmap_lazy_nr -= nr; // atomic_sub

    if (nr || force_flush) {
      this.env.hooks.flush_tlb_kernel_range(range.start, range.end);
      this.env.hooks.purged(nr_areas, range.start, range.end);
    }

    if (nr) {
      spin_lock(this.env, 'vmap_area_lock');
      // list_for_each_entry_safe(va, n_va, &valist, purge_list)
      for (
        let l = valist.next, va = this.list_entry(l), nl = l.next, n_va = this.list_entry(nl);
        l !== valist;
        l = nl, va = n_va, nl = nl.next, n_va = this.list_entry(nl)
      ) {
        this.__free_vmap_area(va);
        purge_released(this.env); // instrumentation, not kernel text: one area released under the lock
      }
      spin_unlock(this.env, 'vmap_area_lock');
    }
    spin_unlock(this.env, 'purge_lock');
  }


  /** Start a purge of the lazy areas unless one is already running. */
  try_purge_vmap_area_lazy(): void {
    const range = { start: ULONG_MAX, end: 0 };

    this.__purge_vmap_area_lazy(range, 0, 0);
  }

  /** Purge the lazy areas, waiting for a running purge. */
  purge_vmap_area_lazy(): void {
    const range = { start: ULONG_MAX, end: 0 };

    this.__purge_vmap_area_lazy(range, 1, 0);
  }

  /*
   * Mark an area lazily freed; its TLB flush is deferred. The caller has
   * done flush_cache_vunmap().
   */
  free_unmap_vmap_area_noflush(va: vmap_area): void {
    va.flags |= VM_LAZY_FREE;
    this.vmap_lazy_nr += Math.floor((va.va_end - va.va_start) / PAGE_SIZE); // atomic_add(... >> PAGE_SHIFT)
    if (this.vmap_lazy_nr > this.lazy_max_pages()) this.try_purge_vmap_area_lazy();
  }

  /** Free and unmap an area lazily. */
  free_unmap_vmap_area(va: vmap_area): void {
    this.env.hooks.flush_cache_vunmap(va.va_start, va.va_end);
    this.free_unmap_vmap_area_noflush(va);
  }

  find_vmap_area(addr: ulong): vmap_area | null {
    spin_lock(this.env, 'vmap_area_lock');
    const va = this.__find_vmap_area(addr);
    spin_unlock(this.env, 'vmap_area_lock');

    return va;
  }

  /** pcpu_get_vm_areas(): the 2.6.32-5.1 busy-tree search, kernel/mm/vmalloc/pcpu/linux-2.6.35.ts. */
  pcpu_get_vm_areas(offsets: readonly ulong[], sizes: readonly ulong[], nr_vms: number, align: ulong, gfp_mask: number = GFP_KERNEL): vmap_area[] | null {
    return pcpu_get_vm_areas(this, { rb_next, rb_prev }, PCPU_LINES_2_6_35, offsets, sizes, nr_vms, align, gfp_mask);
  }

  free_unmap_vmap_area_addr(addr: ulong): void {
    const va = this.find_vmap_area(addr);
    this.BUG_ON(!va, 'free_unmap_vmap_area_addr', '!va');
    this.free_unmap_vmap_area(va as vmap_area);
  }

  /*
   * vmalloc_init(), allocator part: there are no early vmlist entries to
   * import in the emulated boot; the percpu hole starts at VMALLOC_END.
   */
  vmalloc_init(): void {
    INIT_LIST_HEAD(this.vmap_area_list);
    this.vmap_area_pcpu_hole = this.VMALLOC_END;
    this.vmap_initialized = true;
  }

  /** Import an early area (vmalloc_init's vmlist loop) at a fixed range. */
  import_early_area(start: ulong, size: ulong, flags: number): vmap_area {
    const va = new vmap_area();
    va.flags = flags | VM_VM_AREA;
    va.va_start = start;
    va.va_end = va.va_start + size;
    this.__insert_vmap_area(va);
    return va;
  }

  golden_state(): string {
    const cache = this.free_vmap_cache ? hex((this.free_vmap_cache as vmap_area).va_start) : '-';
    return `cache=${cache} hole=${hex(this.cached_hole_size)} vstart=${hex(this.cached_start)} align=${hex(this.cached_align)} lazy=${hex(this.vmap_lazy_nr)}`;
  }

  snapshot(): AllocatorSnapshot {
    const areas: AreaView[] = [];
    const head = this.vmap_area_list;
    for (let l = head.next; l !== head; l = l.next) {
      const va = l.owner as vmap_area;
      areas.push({ start: va.va_start, end: va.va_end, state: va.flags & VM_LAZY_FREE ? 'lazy' : 'busy' });
    }
    return { areas, state: this.golden_state() };
  }

  /**
   * Seeding, not kernel code (scripts/replay/tracefs: replaying a real trace from
   * a /proc/vmallocinfo snapshot). On a fresh allocator, import each area
   * the way vmalloc_init() imports early vmlist entries (import_early_area);
   * a lazily freed one ("unpurged vm_area") is then marked VM_LAZY_FREE and
   * its pages are added to vmap_lazy_nr, as the lazy free does (without the
   * threshold check). Areas address sorted and disjoint. Touches are not
   * counted.
   */
  seed_areas(areas: readonly { start: ulong; end: ulong; state: 'busy' | 'lazy' }[]): void {
    if (this.vmap_area_list.next !== this.vmap_area_list || this.vmap_lazy_nr !== 0) throw new Error('seed_areas: the allocator is not fresh');
    const saved = this.touches;
    for (const a of areas) {
      const va = this.import_early_area(a.start, a.end - a.start, 0);
      if (a.state === 'lazy') {
        va.flags |= VM_LAZY_FREE;
        this.vmap_lazy_nr += Math.floor((va.va_end - va.va_start) / PAGE_SIZE);
      }
    }
    this.touches = saved;
  }
}
