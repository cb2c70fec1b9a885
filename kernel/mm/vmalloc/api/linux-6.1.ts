// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vmalloc API layer of Linux 6.1: per-CPU vmap blocks with a dirty range
 * (dirty_min/dirty_max, Roman Pen's v4.1 rework: no bitmaps, allocation is a
 * bump pointer), found through the vmap_blocks xarray; _vm_unmap_aliases
 * walking each CPU's free list; vm_map_ram/vm_unmap_ram; the vm_struct layer
 * on va->vm (__get_vm_area_node with VM_IOREMAP alignment from
 * get_count_order_long and a guard page unless VM_NO_GUARD, remove_vm_area,
 * vm_remove_mappings, __vunmap); vmap, __vmalloc_node_range, vmalloc,
 * vzalloc, vfree, vunmap; /proc/vmallocinfo with vm_map_ram and
 * "unpurged vm_area" lines; VmallocUsed from nr_vmalloc_pages.
 *
 * Version: linux-6.1 (Debian 6.1.192). Upstream path: mm/vmalloc.c.
 * Text read: docs/sources.md#text-linux-6.1. Also runs the linux-5.2
 * allocator, whose API section has the same vmap-block code; for it the
 * 5.2 VM_VM_AREA / VM_LAZY_FREE bits on va->flags are kept as 5.2's
 * setup_vmalloc_vm and remove_vm_area keep them (5.2 keeps the blocks in a
 * radix tree under vmap_block_tree_lock, which this layer does not take).
 *
 * Locks: vb->lock (an instance per block) and vbq->lock (one per CPU) are
 * taken where the text takes them (docs/concurrency.md, "The vmap-block
 * locks of 5.2 to 7.3"); the xarray's own lock is not modelled.
 *
 * Debian's 6.1.192 does not carry fc1e0d980037 ("mm/vmalloc: prevent stale
 * TLBs in fully utilized blocks", v6.5): _vm_unmap_aliases still walks
 * vbq->free with list_for_each_entry_rcu and never resets the dirty range.
 * That fix is the separate variant linux-6.1+fc1e0d980037.ts.
 */

import { IS_ERR } from '../../../include/linux/errno.js';
import { list_add_tail, list_add_tail_rcu, list_del, list_del_rcu, list_head, INIT_LIST_HEAD } from '../../../include/linux/list.js';
import { ULONG_MAX, ugt, ult, type ulong, umax, umin } from '../../../include/u64.js';
import { KernelBug } from '../../../include/asm-generic/bug.js';
import { GFP_KERNEL, __GFP_ZERO, page } from '../../page_alloc.js';
import { PAGE_KERNEL, PAGE_SHIFT, PAGE_SIZE, pgprot_nx, type pgprot_t, pgtable_report_for, vmap_page_range, vunmap_page_range } from '../../pgtable.js';
import { IS_ERR_VALUE, get_order, phys, ptr, roundup_pow_of_two, type vm_struct_view, type vmalloc_api, type vmalloc_context } from './common.js';

export const VERSION = 'linux-6.1';

/* include/linux/vmalloc.h (6.1) */
export const VM_IOREMAP = 0x00000001;
export const VM_ALLOC = 0x00000002;
export const VM_MAP = 0x00000004;
export const VM_USERMAP = 0x00000008;
export const VM_DMA_COHERENT = 0x00000010;
export const VM_UNINITIALIZED = 0x00000020;
export const VM_NO_GUARD = 0x00000040;
export const VM_FLUSH_RESET_PERMS = 0x00000100;
export const VM_MAP_PUT_PAGES = 0x00000200;
/** IOREMAP_MAX_ORDER: not defined by x86, so 7 + PAGE_SHIFT. */
export const IOREMAP_MAX_ORDER = 7 + PAGE_SHIFT;

/* linux-5.2's va->flags bits. */
const VM_LAZY_FREE_5_2 = 0x02;
const VM_VM_AREA_5_2 = 0x04;

/** struct vm_struct (6.1) */
export class vm_struct implements vm_struct_view {
  next: vm_struct | null = null;
  addr: ulong = 0;
  size: ulong = 0;
  flags = 0;
  pages: page[] | null = null;
  nr_pages = 0;
  phys_addr = 0;
  caller = '';
  /** Where a page array too big for kmalloc was vmalloc'd (is_vmalloc_addr(v->pages)). */
  pages_vmalloc_addr: ulong = 0;
  /** 6.12.95+ (vrealloc): the size the caller asked for; 0 in the eras without it. */
  requested_size: ulong = 0;
}

/** The vmap_area fields this layer uses. */
export interface vmap_area_6 {
  va_start: ulong;
  va_end: ulong;
  vm: unknown;
  flags?: number;
  readonly list: list_head<vmap_area_6>;
}

/** What this layer calls in a 5.2/6.1-style allocator port. */
export interface allocator_6 {
  readonly version: string;
  vmap_lazy_nr: number;
  lazy_max_pages(): number;
  alloc_vmap_area(size: ulong, align: ulong, vstart: ulong, vend: ulong, node?: number, gfp_mask?: number, ...rest: unknown[]): vmap_area_6 | number;
  find_vmap_area(addr: ulong): vmap_area_6 | null;
  free_vmap_area(va: vmap_area_6): void;
  free_unmap_vmap_area(va: vmap_area_6): void;
  free_vmap_area_noflush(va: vmap_area_6): void;
  __purge_vmap_area_lazy(start: ulong, end: ulong, ...rest: unknown[]): boolean;
}

/** struct vmap_block (6.1) */
export class vmap_block {
  va!: vmap_area_6;
  free = 0;
  dirty = 0;
  dirty_min = 0;
  dirty_max = 0;
  readonly free_list: list_head<vmap_block> = new list_head<vmap_block>(this);
  readonly purge: list_head<vmap_block> = new list_head<vmap_block>(this);
  /** 6.12: the CPU whose queue it is on */
  cpu = 0;
  /** 6.12: used_map (pages handed out and not yet freed) */
  used_map: Uint8Array | null = null;
}

/** struct vmap_block_queue */
export class vmap_block_queue {
  readonly free: list_head<vmap_block> = new list_head<vmap_block>(null);
  /** 6.12: this queue's share of the vmap_blocks xarray */
  readonly vmap_blocks = new Map<number, vmap_block>();
}

type ERR = number;

export class vmalloc_api_linux_6_1 implements vmalloc_api {
  readonly era: string = VERSION;
  protected readonly version: string = VERSION;

  readonly VMAP_MAX_ALLOC = 64; // BITS_PER_LONG
  readonly VMAP_BBMAP_BITS: number;
  readonly VMAP_BLOCK_SIZE: number;
  readonly vmap_block_queue: vmap_block_queue[] = [];
  /** DEFINE_XARRAY(vmap_blocks), indexed by addr_to_vb_idx. */
  readonly vmap_blocks = new Map<number, vmap_block>();
  /** atomic_long_t nr_vmalloc_pages */
  nr_vmalloc_pages = 0;
  protected readonly is_5_2: boolean;

  constructor(
    readonly k: vmalloc_context,
    readonly a: allocator_6,
  ) {
    // VMALLOC_SPACE is guessed as 128 GiB; VMAP_BBMAP_BITS =
    // min(1024, max(2 * VMAP_MAX_ALLOC, VMALLOC_PAGES / roundup_pow_of_two(NR_CPUS) / 16)).
    const VMALLOC_PAGES = (128 * 1024 * 1024 * 1024) / PAGE_SIZE;
    this.VMAP_BBMAP_BITS = Math.min(1024, Math.max(this.VMAP_MAX_ALLOC * 2, Math.floor(VMALLOC_PAGES / roundup_pow_of_two(k.NR_CPUS) / 16)));
    this.VMAP_BLOCK_SIZE = this.VMAP_BBMAP_BITS * PAGE_SIZE;
    for (let i = 0; i < k.nr_cpu_ids; i++) {
      const vbq = new vmap_block_queue();
      INIT_LIST_HEAD(vbq.free);
      this.vmap_block_queue.push(vbq);
    }
    this.is_5_2 = k.va_flags_5_2 === true;
  }

  BUG_ON(cond: boolean, func: string, text: string): void {
    if (cond) throw new KernelBug(this.version, func, 0, text);
  }

  WARN_ON(cond: boolean, func: string, text: string): boolean {
    if (cond) this.k.warn(this.version, func, text);
    return cond;
  }

  /* ---- calls into the allocator, traced as 6.2+ traces them when the port does not ---- */

  alloc_vmap_area(size: ulong, align: ulong, vstart: ulong, vend: ulong, node: number, gfp_mask: number, ...rest: unknown[]): vmap_area_6 | ERR {
    const va = this.a.alloc_vmap_area(size, align, vstart, vend, node, gfp_mask, ...rest);
    if (IS_ERR(va)) this.k.trace_alloc_vmap_area(va, size, align, vstart, vend, 1);
    else this.k.trace_alloc_vmap_area(va.va_start, size, align, vstart, vend, 0);
    return va;
  }

  protected trace_lazy_free(va: vmap_area_6): void {
    const nr_lazy = this.a.vmap_lazy_nr + Math.floor((va.va_end - va.va_start) / PAGE_SIZE);
    this.k.trace_free_vmap_area_noflush(va.va_start, nr_lazy, this.a.lazy_max_pages());
  }

  free_vmap_area_noflush(va: vmap_area_6): void {
    this.trace_lazy_free(va);
    this.a.free_vmap_area_noflush(va);
  }

  free_unmap_vmap_area(va: vmap_area_6): void {
    if (this.k.vmfaults.freeBeforeFlush) {
      // Fault injection: unmap and give the range back at once, with no flush.
      this.vunmap_range_noflush(va.va_start, va.va_end);
      this.a.free_vmap_area(va);
      return;
    }
    this.trace_lazy_free(va);
    this.a.free_unmap_vmap_area(va);
  }

  /** __purge_vmap_area_lazy(start, end) of this allocator. */
  protected purge_lazy(start: ulong, end: ulong): boolean {
    return this.a.__purge_vmap_area_lazy(start, end);
  }

  /** The busy area at addr, for remove_vm_area and vm_unmap_ram (6.12 unlinks it). */
  protected find_for_free(addr: ulong): vmap_area_6 | null {
    return this.a.find_vmap_area(addr);
  }

  /* ---- page tables ---- */

  /** vmap_pages_range(addr, end, prot, pages, PAGE_SHIFT): 0 or -errno. */
  vmap_pages_range(addr: ulong, end: ulong, prot: pgprot_t, pages: readonly (page | null)[]): number {
    const r = vmap_page_range(this.k.init_mm, addr, end, prot, pages, pgtable_report_for(this.version, (v, f, c) => this.k.warn(v, f, c)));
    return r < 0 ? r : 0;
  }

  vunmap_range_noflush(start: ulong, end: ulong): void {
    vunmap_page_range(this.k.init_mm, start, end, pgtable_report_for(this.version, (v, f, c) => this.k.warn(v, f, c)));
  }

  /* ---- per-CPU vmap blocks ---- */

  addr_to_vb_idx(addr: ulong): number {
    const base = Math.floor(this.k.VMALLOC_START / this.VMAP_BLOCK_SIZE) * this.VMAP_BLOCK_SIZE;
    return Math.floor((addr - base) / this.VMAP_BLOCK_SIZE);
  }

  vmap_block_vaddr(va_start: ulong, pages_off: number): ulong {
    const addr = va_start + pages_off * PAGE_SIZE;
    this.BUG_ON(this.addr_to_vb_idx(addr) !== this.addr_to_vb_idx(va_start), 'vmap_block_vaddr', 'addr_to_vb_idx(addr) != addr_to_vb_idx(va_start)');
    return addr;
  }

  protected this_cpu_vbq(): vmap_block_queue {
    return this.vmap_block_queue[this.k.smp_processor_id()]!;
  }

  /** xa_insert / xa_erase / xa_load on the blocks' xarray (global in 6.1). */
  protected vb_xa(_addr: ulong): Map<number, vmap_block> {
    return this.vmap_blocks;
  }

  protected alloc_block_area(gfp_mask: number): vmap_area_6 | ERR {
    return this.alloc_vmap_area(this.VMAP_BLOCK_SIZE, this.VMAP_BLOCK_SIZE, this.k.VMALLOC_START, this.k.VMALLOC_END, -1, gfp_mask);
  }

  new_vmap_block(order: number, gfp_mask: number): ulong | ERR {
    const vb = new vmap_block(); // kmalloc_node

    const va = this.alloc_block_area(gfp_mask);
    if (IS_ERR(va)) return va;

    const vaddr = this.vmap_block_vaddr(va.va_start, 0);
    vb.va = va;
    // Something must stay free.
    this.BUG_ON(this.VMAP_BBMAP_BITS <= 2 ** order, 'new_vmap_block', 'VMAP_BBMAP_BITS <= (1UL << order)');
    vb.free = this.VMAP_BBMAP_BITS - 2 ** order;
    vb.dirty = 0;
    vb.dirty_min = this.VMAP_BBMAP_BITS;
    vb.dirty_max = 0;
    this.new_vmap_block_extra(vb, order);
    INIT_LIST_HEAD(vb.free_list);

    const vb_idx = this.addr_to_vb_idx(va.va_start);
    const xa = this.vb_xa(va.va_start);
    this.BUG_ON(xa.has(vb_idx), 'new_vmap_block', 'xa_insert() == -EBUSY');
    xa.set(vb_idx, vb);

    const vbq = this.vbq_of_new_block(vb);
    this.k.spin_lock('vbq->lock', vbq);
    list_add_tail_rcu(vb.free_list, vbq.free);
    this.k.spin_unlock('vbq->lock', vbq);

    return vaddr;
  }

  /** 6.12 marks used_map and remembers the CPU. */
  protected new_vmap_block_extra(_vb: vmap_block, _order: number): void {}

  protected vbq_of_new_block(_vb: vmap_block): vmap_block_queue {
    return this.this_cpu_vbq(); // raw_cpu_ptr(&vmap_block_queue)
  }

  free_vmap_block(vb: vmap_block): void {
    const xa = this.vb_xa(vb.va.va_start);
    const idx = this.addr_to_vb_idx(vb.va.va_start);
    const tmp = xa.get(idx);
    xa.delete(idx);
    this.BUG_ON(tmp !== vb, 'free_vmap_block', 'tmp != vb');

    this.free_block_area(vb.va);
    // kfree_rcu(vb, rcu_head)
  }

  /** free_vmap_area_noflush(vb->va): 6.1 unlinks it from the busy tree inside; 6.12 first. */
  protected free_block_area(va: vmap_area_6): void {
    this.free_vmap_area_noflush(va);
  }

  purge_fragmented_blocks(cpu: number): void {
    const purge = new list_head<vmap_block>(null);
    const vbq = this.vmap_block_queue[cpu]!;
    const BITS = this.VMAP_BBMAP_BITS;

    for (let l = vbq.free.next; l !== vbq.free; ) {
      const vb = l.owner as vmap_block;
      l = l.next;
      if (!(vb.free + vb.dirty === BITS && vb.dirty !== BITS)) continue;

      this.k.spin_lock('vb->lock', vb);
      if (vb.free + vb.dirty === BITS && vb.dirty !== BITS) {
        vb.free = 0; // no more allocations from it once the lock is dropped
        vb.dirty = BITS; // no second purge
        vb.dirty_min = 0;
        vb.dirty_max = BITS;
        this.k.spin_lock('vbq->lock', vbq);
        list_del_rcu(vb.free_list);
        this.k.spin_unlock('vbq->lock', vbq);
        this.k.spin_unlock('vb->lock', vb);
        list_add_tail(vb.purge, purge);
      } else this.k.spin_unlock('vb->lock', vb);
    }

    for (let l = purge.next; l !== purge; ) {
      const vb = l.owner as vmap_block;
      l = l.next;
      list_del(vb.purge);
      this.free_vmap_block(vb);
    }
  }

  purge_fragmented_blocks_allcpus(): void {
    for (let cpu = 0; cpu < this.k.nr_cpu_ids; cpu++) this.purge_fragmented_blocks(cpu);
  }

  vb_alloc(size: ulong, gfp_mask: number): ulong | ERR {
    let vaddr = 0;

    this.BUG_ON(size % PAGE_SIZE !== 0, 'vb_alloc', 'offset_in_page(size)');
    this.BUG_ON(size > PAGE_SIZE * this.VMAP_MAX_ALLOC, 'vb_alloc', 'size > PAGE_SIZE*VMAP_MAX_ALLOC');
    if (this.WARN_ON(size === 0, 'vb_alloc', 'size == 0')) return 0;
    const order = get_order(size);

    const vbq = this.this_cpu_vbq();
    for (let l = vbq.free.next; l !== vbq.free; l = l.next) {
      const vb = l.owner as vmap_block;
      this.k.spin_lock('vb->lock', vb);
      if (vb.free < 2 ** order) {
        this.k.spin_unlock('vb->lock', vb);
        continue;
      }

      const pages_off = this.VMAP_BBMAP_BITS - vb.free;
      vaddr = this.vmap_block_vaddr(vb.va.va_start, pages_off);
      vb.free -= 2 ** order;
      this.vb_alloc_extra(vb, pages_off, order);
      if (vb.free === 0) {
        this.k.spin_lock('vbq->lock', vbq);
        list_del_rcu(vb.free_list);
        this.k.spin_unlock('vbq->lock', vbq);
      }

      this.k.spin_unlock('vb->lock', vb);
      break;
    }

    // No block had room: a new one.
    if (!vaddr) vaddr = this.new_vmap_block(order, gfp_mask);

    return vaddr;
  }

  /** 6.12: bitmap_set(vb->used_map, pages_off, 1 << order). */
  protected vb_alloc_extra(_vb: vmap_block, _pages_off: number, _order: number): void {}

  vb_free(addr: ulong, size: ulong): void {
    this.BUG_ON(size % PAGE_SIZE !== 0, 'vb_free', 'offset_in_page(size)');
    this.BUG_ON(size > PAGE_SIZE * this.VMAP_MAX_ALLOC, 'vb_free', 'size > PAGE_SIZE*VMAP_MAX_ALLOC');

    // flush_cache_vunmap(): nothing on x86.
    const order = get_order(size);
    const offset = Math.floor((((addr % this.VMAP_BLOCK_SIZE) + this.VMAP_BLOCK_SIZE) % this.VMAP_BLOCK_SIZE) / PAGE_SIZE);
    const vb = this.vb_xa(addr).get(this.addr_to_vb_idx(addr)) as vmap_block;
    this.vb_free_extra(vb, offset, order);

    this.vunmap_range_noflush(addr, addr + size);

    // debug_pagealloc_enabled_static() is false: no immediate flush.

    this.k.spin_lock('vb->lock', vb);

    // Widen the not yet flushed dirty range.
    vb.dirty_min = Math.min(vb.dirty_min, offset);
    vb.dirty_max = Math.max(vb.dirty_max, offset + 2 ** order);

    vb.dirty += 2 ** order;
    if (vb.dirty === this.VMAP_BBMAP_BITS) {
      this.BUG_ON(vb.free !== 0, 'vb_free', 'vb->free');
      this.k.spin_unlock('vb->lock', vb);
      this.free_vmap_block(vb);
    } else this.k.spin_unlock('vb->lock', vb);
  }

  /** 6.12: bitmap_clear(vb->used_map, offset, 1 << order). */
  protected vb_free_extra(_vb: vmap_block, _offset: number, _order: number): void {}

  _vm_unmap_aliases(start: ulong, end: ulong, flush: number): void {
    for (let cpu = 0; cpu < this.k.nr_cpu_ids; cpu++) {
      const vbq = this.vmap_block_queue[cpu]!;
      for (let l = vbq.free.next; l !== vbq.free; l = l.next) {
        const vb = l.owner as vmap_block;
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
    }

    this.k.mutex_lock('vmap_purge_lock');
    this.purge_fragmented_blocks_allcpus();
    if (!this.purge_lazy(start, end) && flush) this.k.flush_tlb_kernel_range(start, end);
    this.k.mutex_unlock('vmap_purge_lock');
  }

  vm_unmap_aliases(): void {
    this._vm_unmap_aliases(ULONG_MAX, 0, 0);
  }

  vm_unmap_ram(mem: ulong, count: number): void {
    const size = count * PAGE_SIZE;
    const addr = mem;

    this.BUG_ON(!addr, 'vm_unmap_ram', '!addr');
    this.BUG_ON(ult(addr, this.k.VMALLOC_START), 'vm_unmap_ram', 'addr < VMALLOC_START');
    this.BUG_ON(ugt(addr, this.k.VMALLOC_END), 'vm_unmap_ram', 'addr > VMALLOC_END');
    this.BUG_ON(addr % PAGE_SIZE !== 0, 'vm_unmap_ram', '!PAGE_ALIGNED(addr)');

    if (count <= this.VMAP_MAX_ALLOC) {
      this.vb_free(addr, size);
      return;
    }

    const va = this.find_for_free(addr);
    this.BUG_ON(!va, 'vm_unmap_ram', '!va');
    this.free_unmap_vmap_area(va as vmap_area_6);
  }

  protected alloc_ram_area(size: ulong, node: number): vmap_area_6 | ERR {
    return this.alloc_vmap_area(size, PAGE_SIZE, this.k.VMALLOC_START, this.k.VMALLOC_END, node, GFP_KERNEL);
  }

  vm_map_ram(pages: readonly page[], count: number, node = -1): ulong {
    const size = count * PAGE_SIZE;
    let addr: ulong;

    if (count <= this.VMAP_MAX_ALLOC) {
      const mem = this.vb_alloc(size, GFP_KERNEL);
      // IS_ERR() only: vb_alloc(0) warns and returns NULL here, which goes on to
      // vmap_pages_range(0, 0) and its BUG_ON(addr >= end) (fixed in 2024 by Hailong Liu: 6.12 returns ERR_PTR(-EINVAL)).
      if (IS_ERR_VALUE(mem)) return 0;
      addr = mem;
    } else {
      const va = this.alloc_ram_area(size, node);
      if (IS_ERR(va)) return 0;
      addr = va.va_start;
    }

    if (this.vmap_pages_range(addr, addr + size, PAGE_KERNEL, pages) < 0) {
      this.vm_unmap_ram(addr, count);
      return 0;
    }
    return addr;
  }

  /* ---- the vm_struct layer ---- */

  /** setup_vmalloc_vm_locked(): fill in the vm_struct and hang it off the area (vmap_area_lock held). */
  setup_vmalloc_vm_locked(vm: vm_struct, va: vmap_area_6, flags: number, caller: string): void {
    vm.flags = flags;
    vm.addr = va.va_start;
    vm.size = va.va_end - va.va_start;
    vm.caller = caller;
    va.vm = vm;
    if (this.is_5_2) va.flags = (va.flags ?? 0) | VM_VM_AREA_5_2;
  }

  /* setup_vmalloc_vm(): the same under vmap_area_lock (5.2 has it inline, under the same lock). */
  setup_vmalloc_vm(vm: vm_struct, va: vmap_area_6, flags: number, caller: string): void {
    this.k.spin_lock('vmap_area_lock');
    this.setup_vmalloc_vm_locked(vm, va, flags, caller);
    this.k.spin_unlock('vmap_area_lock');
  }

  /** get_count_order_long(size): ceil(log2(size)). */
  static get_count_order_long(size: number): number {
    let order = 0;
    while (2 ** order < size) order++;
    return order;
  }

  __get_vm_area_node(size: ulong, align: ulong, shift: number, flags: number, start: ulong, end: ulong, node: number, gfp_mask: number, caller: string): vm_struct | null {
    // BUG_ON(in_interrupt())
    size = Math.ceil(size / 2 ** shift) * 2 ** shift; // ALIGN(size, 1ul << shift)
    if (!size) return null;

    if (flags & VM_IOREMAP) align = 2 ** Math.min(Math.max(vmalloc_api_linux_6_1.get_count_order_long(size), PAGE_SHIFT), IOREMAP_MAX_ORDER);

    const area = new vm_struct(); // kzalloc_node

    if (!(flags & VM_NO_GUARD)) size += PAGE_SIZE;

    const va = this.alloc_vmap_area(size, align, start, end, node, gfp_mask);
    if (IS_ERR(va)) return null;

    this.setup_vmalloc_vm(area, va, flags, caller);
    return area;
  }

  get_vm_area(size: ulong, flags: number, caller = 'get_vm_area'): vm_struct | null {
    return this.__get_vm_area_node(size, 1, PAGE_SHIFT, flags, this.k.VMALLOC_START, this.k.VMALLOC_END, -1, GFP_KERNEL, caller);
  }

  get_vm_area_caller(size: ulong, flags: number, caller: string): vm_struct | null {
    return this.__get_vm_area_node(size, 1, PAGE_SHIFT, flags, this.k.VMALLOC_START, this.k.VMALLOC_END, -1, GFP_KERNEL, caller);
  }

  set_phys_addr(area: vm_struct_view, phys_addr: number): void {
    (area as vm_struct).phys_addr = phys_addr;
  }

  find_vm_area(addr: ulong): vm_struct | null {
    const va = this.a.find_vmap_area(addr);
    if (!va) return null;
    return (va.vm as vm_struct | null) ?? null;
  }

  remove_vm_area(addr: ulong): vm_struct | null {
    // might_sleep(); spin_lock(&vmap_area_lock)
    const va = this.find_for_free(addr);
    if (va && va.vm) {
      const vm = va.vm as vm_struct;
      va.vm = null;
      if (this.is_5_2) va.flags = ((va.flags ?? 0) & ~VM_VM_AREA_5_2) | VM_LAZY_FREE_5_2;

      // kasan_free_module_shadow(vm): no KASAN.
      this.free_unmap_vmap_area(va);
      return vm;
    }
    return null;
  }

  /** vm_remove_mappings(area, deallocate_pages): VM_FLUSH_RESET_PERMS areas also flush now. */
  vm_remove_mappings(area: vm_struct, deallocate_pages: number): void {
    const flush_reset = area.flags & VM_FLUSH_RESET_PERMS;
    this.remove_vm_area(area.addr);
    if (!flush_reset) return;
    // The direct map is not modelled: _vm_unmap_aliases over no direct-map range.
    void deallocate_pages;
    this.vm_unmap_aliases();
  }

  __vunmap(addr: ulong, deallocate_pages: number): void {
    if (!addr) return;

    if (this.WARN_ON(addr % PAGE_SIZE !== 0, '__vunmap', 'Trying to vfree() bad address')) return;

    const area = this.find_vm_area(addr);
    if (area === null) {
      this.WARN_ON(true, '__vunmap', 'Trying to vfree() nonexistent vm area');
      return;
    }

    this.vm_remove_mappings(area, deallocate_pages);

    if (deallocate_pages) {
      for (let i = 0; i < area.nr_pages; i++) {
        const pg = (area.pages as page[])[i];
        this.BUG_ON(!pg, '__vunmap', '!page');
        this.k.pages.__free_page(pg as page); // __free_pages(page, 0)
      }
      if (!(area.flags & VM_MAP_PUT_PAGES)) this.nr_vmalloc_pages -= area.nr_pages;

      if (area.pages_vmalloc_addr) this.vfree(area.pages_vmalloc_addr); // kvfree(area->pages)
    }
    // kfree(area)
  }

  vfree(addr: ulong): void {
    // BUG_ON(in_nmi()); kmemleak_free(); might_sleep_if(!in_interrupt())
    if (!addr) return;
    this.__vunmap(addr, 1); // __vfree(): not in interrupt
  }

  vunmap(addr: ulong): void {
    if (addr) this.__vunmap(addr, 0);
  }

  vmap(pages: readonly page[], count: number, flags: number, prot: pgprot_t = PAGE_KERNEL, caller = 'vmap'): ulong {
    // A missing top guard would expose the next area too.
    if (this.WARN_ON(!!(flags & VM_NO_GUARD), 'vmap', 'flags & VM_NO_GUARD')) flags &= ~VM_NO_GUARD;

    if (count > this.k.pages.totalram_pages()) return 0;

    const size = count * PAGE_SIZE;
    const area = this.get_vm_area_caller(size, flags, caller);
    if (!area) return 0;

    const addr = area.addr;
    if (this.vmap_pages_range(addr, addr + size, pgprot_nx(prot), pages) < 0) {
      this.vunmap(area.addr);
      return 0;
    }

    if (flags & VM_MAP_PUT_PAGES) {
      area.pages = pages.slice();
      area.nr_pages = count;
    }
    return area.addr;
  }

  __vmalloc_area_node(area: vm_struct, gfp_mask: number, prot: pgprot_t, node: number): ulong {
    const addr = area.addr;
    const size = area.size - PAGE_SIZE; // get_vm_area_size(area)
    const nr_small_pages = Math.floor(size / PAGE_SIZE);
    const array_size = nr_small_pages * 8;
    const nested_gfp = (gfp_mask & ~0) | __GFP_ZERO;

    // The page array is vmalloc'd itself when larger than a page (bounded recursion).
    if (array_size > PAGE_SIZE) {
      area.pages_vmalloc_addr = this.__vmalloc_node(array_size, 1, nested_gfp, node, area.caller);
      if (!area.pages_vmalloc_addr) {
        this.vfree(area.addr);
        return 0;
      }
    }
    // The page array at its exact size, as the kernel's kvmalloc'd one is (a grown JS
    // array keeps spare slots: some 250 bytes for a one-page area).
    area.pages = new Array<page>(nr_small_pages);

    // vm_area_alloc_pages(): order-0 pages one by one.
    let nr_allocated = 0;
    for (let i = 0; i < nr_small_pages; i++) {
      const pg = this.k.pages.alloc_page(gfp_mask);
      if (pg === null) break;
      area.pages[nr_allocated++] = pg;
    }
    area.pages.length = nr_allocated;
    area.nr_pages = nr_allocated;
    this.nr_vmalloc_pages += area.nr_pages;

    // Not every page came: free what did through __vfree().
    if (area.nr_pages !== nr_small_pages) {
      this.vfree(area.addr);
      return 0;
    }

    if (this.vmap_pages_range(addr, addr + size, prot, area.pages) < 0) {
      this.vfree(area.addr);
      return 0;
    }

    return area.addr;
  }

  __vmalloc_node_range(size: ulong, align: ulong, start: ulong, end: ulong, gfp_mask: number, prot: pgprot_t, vm_flags: number, node: number, caller: string): ulong {
    const real_size = size;
    if (this.WARN_ON(!size, '__vmalloc_node_range', '!size')) return 0;
    if (size / PAGE_SIZE > this.k.pages.totalram_pages()) return 0; // warn_alloc

    const area = this.__get_vm_area_node(real_size, align, PAGE_SHIFT, VM_ALLOC | VM_UNINITIALIZED | vm_flags, start, end, node, gfp_mask, caller);
    if (!area) return 0;

    const ret = this.__vmalloc_area_node(area, gfp_mask, prot, node);
    if (!ret) return 0;

    area.flags &= ~VM_UNINITIALIZED; // clear_vm_uninitialized_flag()
    return area.addr;
  }

  __vmalloc_node(size: ulong, align: ulong, gfp_mask: number, node: number, caller: string): ulong {
    return this.__vmalloc_node_range(size, align, this.k.VMALLOC_START, this.k.VMALLOC_END, gfp_mask, PAGE_KERNEL, 0, node, caller);
  }

  vmalloc(size: ulong, caller = 'vmalloc'): ulong {
    return this.__vmalloc_node(size, 1, GFP_KERNEL, -1, caller);
  }

  vzalloc(size: ulong, caller = 'vzalloc'): ulong {
    return this.__vmalloc_node(size, 1, GFP_KERNEL | __GFP_ZERO, -1, caller);
  }

  /** set_iounmap_nonlazy() was removed in 5.12 (x86 crash dumps stopped needing it). 5.2 has it. */
  set_iounmap_nonlazy(): boolean {
    if (!this.is_5_2) return false;
    this.a.vmap_lazy_nr = this.a.lazy_max_pages() + 1;
    return true;
  }

  /* ---- /proc ---- */

  /** The busy areas in address order, then the lazily freed ones, as s_show walks them. */
  protected busy_areas(): vmap_area_6[] {
    const head = (this.a as unknown as { vmap_area_list: list_head<vmap_area_6> }).vmap_area_list;
    const out: vmap_area_6[] = [];
    for (let l = head.next; l !== head; l = l.next) out.push(l.owner as vmap_area_6);
    return out;
  }

  protected purge_areas(): vmap_area_6[] {
    const head = (this.a as unknown as { purge_vmap_area_list?: list_head<vmap_area_6> }).purge_vmap_area_list;
    const out: vmap_area_6[] = [];
    if (head) for (let l = head.next; l !== head; l = l.next) out.push(l.owner as vmap_area_6);
    return out;
  }

  vmallocinfo(): string {
    let out = '';
    const line = (va: vmap_area_6, what: string) => `${ptr(va.va_start)}-${ptr(va.va_end)} ${String(va.va_end - va.va_start).padStart(7)} ${what}\n`;
    for (const va of this.busy_areas()) {
      if (this.is_5_2) {
        if ((va.flags ?? 0) & VM_LAZY_FREE_5_2) {
          out += line(va, 'unpurged vm_area');
          continue;
        }
        if (!((va.flags ?? 0) & VM_VM_AREA_5_2)) {
          out += line(va, 'vm_map_ram');
          continue;
        }
      }
      if (!va.vm) {
        out += line(va, 'vm_map_ram');
        continue;
      }
      const v = va.vm as vm_struct;
      let s = `${ptr(v.addr)}-${ptr(v.addr + v.size)} ${String(v.size).padStart(7)}`;
      if (v.caller) s += ` ${v.caller}`;
      if (v.nr_pages) s += ` pages=${v.nr_pages}`;
      if (v.phys_addr) s += ` phys=${phys(v.phys_addr)}`;
      if (v.flags & VM_IOREMAP) s += ' ioremap';
      if (v.flags & VM_ALLOC) s += ' vmalloc';
      if (v.flags & VM_MAP) s += ' vmap';
      if (v.flags & VM_USERMAP) s += ' user';
      if (v.flags & VM_DMA_COHERENT) s += ' dma-coherent';
      if (v.pages_vmalloc_addr) s += ' vpages';
      if (v.flags & VM_ALLOC && v.nr_pages) s += ` N0=${v.nr_pages}`; // show_numa_info, one node
      out += s + '\n';
    }
    for (const va of this.purge_areas()) out += line(va, 'unpurged vm_area'); // show_purge_info()
    return out;
  }

  /** VmallocUsed: vmalloc_nr_pages() << (PAGE_SHIFT - 10). */
  vmalloc_used_kb(): number {
    return this.nr_vmalloc_pages * 4;
  }

  nr_vmap_blocks(): number {
    return this.vmap_blocks.size;
  }
}
