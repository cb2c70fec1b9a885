// SPDX-License-Identifier: GPL-2.0-only
/*
 * AssemblyScript: the global KVA allocator of Linux 2.6.35 (mm/vmalloc.c,
 * "Global kva allocator" section), the wasm core of `linux-2.6.35@wasm`.
 * Function for function and line for line the twin of ../linux-2.6.35.ts,
 * with `unsigned long` as u64 and the C expressions as C writes them
 * (`addr + size - 1 < addr`, `addr & (align-1)`); the idioms for what
 * AssemblyScript lacks (goto, a struct inside a struct, `struct rb_node **`,
 * on-stack structs) are in docs/wasm.md.
 *
 * Version: linux-2.6.35 (2.6.35.6 stable; the allocator section matches 2.6.35).
 * Upstream path: mm/vmalloc.c.
 * Text: transcribed function for function from the TypeScript port
 *   ../linux-2.6.35.ts, whose text was read at rivsidn/linux-2.6.35.6 @
 *   fd946834f255, mm/vmalloc.c (public code index id 38332888255);
 *   docs/sources.md#kernel-texts-read.
 * BUG sites carry the function and condition; the line comes from the
 * manifest (kernel/manifest/linux-2.6.35.ts), as for the TypeScript port.
 *
 * Not here, as in the TypeScript port: page-table code (a hook), the
 * per-CPU vmap blocks (purge_fragmented_blocks_allcpus is a hook), the
 * vm_struct layer. pcpu_get_vm_areas() is in ./linux-2.6.35.pcpu.ts.
 * Lock sites: as in the TypeScript port, only the purge's vmap_area_lock
 * is a hook; the others stay comments (docs/concurrency.md, the older
 * ports), so that timed runs charge the same lock costs on both.
 */

import { INIT_LIST_HEAD, list_add_rcu, list_add_tail, list_del_rcu, list_head } from '../../../include/linux/as/list';
import { rb_deref, rb_left_link, rb_link_node, rb_node, rb_right_link, rb_root, rb_root_link } from '../../../include/linux/as/rbtree';
import { RB_CLEAR_NODE, RB_EMPTY_NODE, rb_erase, rb_insert_color, rb_next, rb_prev } from '../../../lib/rbtree/as/linux-2.6.35';
import {
  BUG_ON,
  EBUSY,
  ENOMEM,
  ERR_PTR,
  fls,
  flush_cache_vunmap,
  flush_tlb_kernel_range,
  frame_pop,
  frame_push,
  kmem_cache_alloc,
  kmem_cache_free,
  num_online_cpus,
  purge_area_read,
  purge_fragmented_blocks_allcpus,
  purge_released,
  purged,
  rb_entry,
  spin_lock,
  spin_trylock,
  spin_unlock,
  touches,
  vunmap_page_range,
} from './shims';

export const PAGE_SHIFT: u64 = 12;
export const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
export const PAGE_MASK: u64 = ~(PAGE_SIZE - 1);
export const ULONG_MAX: u64 = u64.MAX_VALUE;

/** ALIGN(x, a) of include/linux/kernel.h */
@inline
export function ALIGN(x: u64, a: u64): u64 {
  return (x + (a - 1)) & ~(a - 1);
}

export const VM_LAZY_FREE: u64 = 0x01;
export const VM_LAZY_FREEING: u64 = 0x02;
export const VM_VM_AREA: u64 = 0x04;

/** struct vmap_area (2.6.35); rb_node is its first member. */
@unmanaged
export class vmap_area extends rb_node {
  va_start: u64;
  va_end: u64;
  flags: u64;
  /* struct list_head list: address sorted list */
  __list: usize;
  __list_prev: usize;
  /* struct list_head purge_list: "lazy purge" list */
  __purge_list: usize;
  __purge_list_prev: usize;
  /* struct vm_struct *private */
  private_: usize;
  /* struct rcu_head rcu_head: call_rcu() callbacks run at once here */

  /** &va->list */
  @inline get list(): list_head {
    return changetype<list_head>(changetype<usize>(this) + offsetof<vmap_area>('__list'));
  }
  /** &va->purge_list */
  @inline get purge_list(): list_head {
    return changetype<list_head>(changetype<usize>(this) + offsetof<vmap_area>('__purge_list'));
  }
}

/** list_entry(l, struct vmap_area, list), counted */
@inline
function list_entry(l: list_head): vmap_area {
  touches++;
  return changetype<vmap_area>(changetype<usize>(l) - offsetof<vmap_area>('__list'));
}

/** list_entry(l, struct vmap_area, purge_list), counted */
@inline
function list_entry_purge_list(l: list_head): vmap_area {
  touches++;
  return changetype<vmap_area>(changetype<usize>(l) - offsetof<vmap_area>('__purge_list'));
}

/* ---- globals of the allocator section ---- */

/* DEFINE_SPINLOCK(vmap_area_lock): a name for the lock hooks. */
export const vmap_area_lock = 'vmap_area_lock';
/** static struct rb_root vmap_area_root = RB_ROOT; */
export const vmap_area_root = changetype<rb_root>(memory.data(offsetof<rb_root>()));
/** static LIST_HEAD(vmap_area_list); */
export const vmap_area_list = changetype<list_head>(memory.data(offsetof<list_head>()));
export let vmap_area_pcpu_hole: u64 = 0;
/** static atomic_t vmap_lazy_nr */
export let vmap_lazy_nr: i32 = 0;
export let vmap_initialized: bool = false;

export let VMALLOC_START: u64 = 0;
export let VMALLOC_END: u64 = 0;

export function __find_vmap_area(addr: u64): vmap_area | null {
  let n = vmap_area_root.rb_node;

  while (n) {
    const va = rb_entry<vmap_area>(n);
    if (addr < va.va_start) n = n.rb_left;
    else if (addr > va.va_start) n = n.rb_right;
    else return va;
  }

  return null;
}

export function __insert_vmap_area(va: vmap_area): void {
  let p = rb_root_link(vmap_area_root);
  let parent: rb_node | null = null;
  let tmp: rb_node | null;

  while (rb_deref(p)) {
    let tmp_va: vmap_area;

    parent = rb_deref(p);
    tmp_va = rb_entry<vmap_area>(parent);
    if (va.va_start < tmp_va.va_end) p = rb_left_link(parent!);
    else if (va.va_end > tmp_va.va_start) p = rb_right_link(parent!);
    else BUG_ON(true, '__insert_vmap_area', 'BUG()');
  }

  rb_link_node(va, parent, p);
  rb_insert_color(va, vmap_area_root);

  /* address-sort this list so it is usable like the vmlist */
  tmp = rb_prev(va);
  if (tmp) {
    let prev: vmap_area;
    prev = rb_entry<vmap_area>(tmp);
    list_add_rcu(va.list, prev.list);
  } else list_add_rcu(va.list, vmap_area_list);
}

/**
 * Allocate a region of KVA of the specified size and alignment, within the
 * vstart and vend; a vmap_area, or ERR_PTR(-ENOMEM/-EBUSY).
 */
export function alloc_vmap_area(size: u64, align: u64, vstart: u64, vend: u64, node: i32, gfp_mask: i32): usize {
  let va: vmap_area;
  let n: rb_node | null;
  let addr: u64;
  let purged = 0;

  BUG_ON(!size, 'alloc_vmap_area', '!size');
  BUG_ON((size & ~PAGE_MASK) != 0, 'alloc_vmap_area', 'size & ~PAGE_MASK');

  // kmalloc_node(sizeof(struct vmap_area), gfp_mask & GFP_RECLAIM_MASK, node);
  // the failslab hook sees the mask the TypeScript port passes it.
  const p = kmem_cache_alloc(offsetof<vmap_area>(), gfp_mask);
  if (!p) return ERR_PTR(-ENOMEM);
  va = changetype<vmap_area>(p);

  for (;;) {
    // retry:
    addr = ALIGN(vstart, align);

    spin_lock(vmap_area_lock);
    let goto_overflow = false;
    do {
      if (addr + size - 1 < addr) {
        goto_overflow = true; // goto overflow
        break;
      }

      /* XXX: could have a last_hole cache */
      n = vmap_area_root.rb_node;
      if (n) {
        let first: vmap_area | null = null;

        do {
          let tmp: vmap_area;
          tmp = rb_entry<vmap_area>(n);
          if (tmp.va_end >= addr) {
            if (!first && tmp.va_start < addr + size) first = tmp;
            n = n.rb_left;
          } else {
            first = tmp;
            n = n.rb_right;
          }
        } while (n);

        if (!first) break; // goto found

        if (first.va_end < addr) {
          n = rb_next(first);
          if (n) first = rb_entry<vmap_area>(n);
          else break; // goto found
        }

        while (addr + size > first.va_start && addr + size <= vend) {
          addr = ALIGN(first.va_end + PAGE_SIZE, align);
          if (addr + size - 1 < addr) {
            goto_overflow = true; // goto overflow
            break;
          }

          n = rb_next(first);
          if (n) first = rb_entry<vmap_area>(n);
          else break; // goto found
        }
      }
    } while (false);
    // found:
    if (goto_overflow || addr + size > vend) {
      // overflow:
      spin_unlock(vmap_area_lock);
      if (!purged) {
        purge_vmap_area_lazy();
        purged = 1;
        continue; // goto retry
      }
      // printk_ratelimit() warning "vmap allocation for size %lu failed"
      kmem_cache_free(changetype<usize>(va)); // kfree(va)
      return ERR_PTR(-EBUSY);
    }

    BUG_ON((addr & (align - 1)) != 0, 'alloc_vmap_area', 'addr & (align-1)');

    va.va_start = addr;
    va.va_end = addr + size;
    va.flags = 0;
    __insert_vmap_area(va);
    spin_unlock(vmap_area_lock);

    return changetype<usize>(va);
  }
}

/** rcu_free_va(): call_rcu() callbacks run at once here. */
function call_rcu_free_va(va: vmap_area): void {
  kmem_cache_free(changetype<usize>(va)); // kfree(va)
}

export function __free_vmap_area(va: vmap_area): void {
  BUG_ON(RB_EMPTY_NODE(va), '__free_vmap_area', 'RB_EMPTY_NODE(&va->rb_node)');
  rb_erase(va, vmap_area_root);
  RB_CLEAR_NODE(va);
  list_del_rcu(va.list);

  // The highest end inside the vmalloc range is the candidate for the
  // percpu allocator; areas outside it may come back here too.
  if (va.va_end > VMALLOC_START && va.va_end <= VMALLOC_END)
    vmap_area_pcpu_hole = max(vmap_area_pcpu_hole, va.va_end);

  call_rcu_free_va(va);
}

/** Free a region of KVA allocated by alloc_vmap_area */
export function free_vmap_area(va: vmap_area): void {
  spin_lock(vmap_area_lock);
  __free_vmap_area(va);
  spin_unlock(vmap_area_lock);
}

/** Clear the pagetable entries of a given vmap_area */
function unmap_vmap_area(va: vmap_area): void {
  vunmap_page_range(va.va_start, va.va_end);
}

/*
 * How many pages of lazily freed address space to gather before a purge:
 * a log scale in the number of online CPUs, 32 MiB per step.
 */
export function lazy_max_pages(): i32 {
  let log: i32;

  log = fls(num_online_cpus());

  return log * <i32>((32 * 1024 * 1024) / PAGE_SIZE);
}

/*
 * Purge every lazily freed area. Without sync, give up if a purge is
 * already running; with force_flush, flush [*start, *end) even if nothing
 * was found. *start and *end are widened to cover what was purged;
 * `start` and `end` are the addresses of the caller's unsigned longs.
 */
export function __purge_vmap_area_lazy(start: usize, end: usize, sync: i32, force_flush: i32): void {
  const purge_lock = 'purge_lock'; // static DEFINE_SPINLOCK(purge_lock)
  const valist = changetype<list_head>(frame_push(offsetof<list_head>())); // LIST_HEAD(valist), on the stack in C (docs/wasm.md)
  let va: vmap_area;
  let n_va: vmap_area;
  let nr: i32 = 0;
  let nr_areas: i32 = 0; // instrumentation: areas released, for the "purged" event

  INIT_LIST_HEAD(valist);

  if (!sync && !force_flush) {
    if (!spin_trylock(purge_lock)) return frame_pop(changetype<usize>(valist));
  } else spin_lock(purge_lock);

  if (sync) purge_fragmented_blocks_allcpus();

  // rcu_read_lock();
  // list_for_each_entry_rcu(va, &vmap_area_list, list)
  for (va = list_entry(vmap_area_list.next); va.list !== vmap_area_list; va = list_entry(va.list.next)) {
    if (va.flags & VM_LAZY_FREE) {
      if (va.va_start < load<u64>(start)) store<u64>(start, va.va_start);
      if (va.va_end > load<u64>(end)) store<u64>(end, va.va_end);
      nr += <i32>((va.va_end - va.va_start) >> PAGE_SHIFT);
      unmap_vmap_area(va);
      list_add_tail(va.purge_list, valist);
      va.flags |= VM_LAZY_FREEING;
      va.flags &= ~VM_LAZY_FREE;
      nr_areas++;
      purge_area_read(); // instrumentation, not kernel text: the purge reads the lazily freed area again
    }
  }
  // rcu_read_unlock();

  if (nr) vmap_lazy_nr -= nr; // atomic_sub(nr, &vmap_lazy_nr)

  if (nr || force_flush) {
    flush_tlb_kernel_range(load<u64>(start), load<u64>(end));
    purged(nr_areas, load<u64>(start), load<u64>(end));
  }

  if (nr) {
    spin_lock(vmap_area_lock);
    // list_for_each_entry_safe(va, n_va, &valist, purge_list)
    for (
      va = list_entry_purge_list(valist.next), n_va = list_entry_purge_list(va.purge_list.next);
      va.purge_list !== valist;
      va = n_va, n_va = list_entry_purge_list(n_va.purge_list.next)
    ) {
      __free_vmap_area(va);
      purge_released(); // instrumentation, not kernel text
    }
    spin_unlock(vmap_area_lock);
  }
  spin_unlock(purge_lock);
  frame_pop(changetype<usize>(valist));
}

/* Start a purge of the lazy areas unless one is already running. */
function try_purge_vmap_area_lazy(): void {
  const try_purge_range = frame_push(16); // unsigned long start = ULONG_MAX, end = 0, whose addresses are taken (docs/wasm.md)
  store<u64>(try_purge_range, ULONG_MAX);
  store<u64>(try_purge_range + 8, 0);

  __purge_vmap_area_lazy(try_purge_range, try_purge_range + 8, 0, 0);
  frame_pop(try_purge_range);
}

/** Purge the lazy areas, waiting for a running purge. */
export function purge_vmap_area_lazy(): void {
  const purge_range = frame_push(16); // unsigned long start = ULONG_MAX, end = 0, whose addresses are taken (docs/wasm.md)
  store<u64>(purge_range, ULONG_MAX);
  store<u64>(purge_range + 8, 0);

  __purge_vmap_area_lazy(purge_range, purge_range + 8, 1, 0);
  frame_pop(purge_range);
}

/*
 * Mark an area lazily freed; its TLB flush is deferred. The caller has
 * done flush_cache_vunmap().
 */
export function free_unmap_vmap_area_noflush(va: vmap_area): void {
  va.flags |= VM_LAZY_FREE;
  vmap_lazy_nr += <i32>((va.va_end - va.va_start) >> PAGE_SHIFT); // atomic_add
  if (vmap_lazy_nr > lazy_max_pages()) try_purge_vmap_area_lazy();
}

/** Free and unmap an area lazily. */
export function free_unmap_vmap_area(va: vmap_area): void {
  flush_cache_vunmap(va.va_start, va.va_end);
  free_unmap_vmap_area_noflush(va);
}

export function find_vmap_area(addr: u64): vmap_area | null {
  let va: vmap_area | null;

  spin_lock(vmap_area_lock);
  va = __find_vmap_area(addr);
  spin_unlock(vmap_area_lock);

  return va;
}

export function free_unmap_vmap_area_addr(addr: u64): void {
  let va: vmap_area | null;

  va = find_vmap_area(addr);
  BUG_ON(!va, 'free_unmap_vmap_area_addr', '!va');
  free_unmap_vmap_area(va!);
}

/*
 * vmalloc_init(), allocator part: no early vmlist entries to import in the
 * emulated boot; the percpu hole starts at VMALLOC_END.
 */
export function vmalloc_init(): void {
  INIT_LIST_HEAD(vmap_area_list);
  vmap_area_root.rb_node = null;
  vmap_area_pcpu_hole = VMALLOC_END;
  vmap_initialized = true;
}
