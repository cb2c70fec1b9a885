// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vmalloc API layer of Linux 2.6.35 (mm/vmalloc.c outside the "Global
 * kva allocator" section): per-CPU vmap blocks with alloc/dirty bitmaps
 * (new_vmap_block, vb_alloc, vb_free, purge_fragmented_blocks),
 * vm_unmap_aliases, vm_map_ram/vm_unmap_ram, the vm_struct layer on the
 * address-sorted vmlist (__get_vm_area_node with its guard page,
 * remove_vm_area, __vunmap), vmap, vmalloc, vfree, and /proc/vmallocinfo.
 *
 * Version: linux-2.6.35. Upstream path: mm/vmalloc.c (and fs/proc/mmu.c's
 * get_vmalloc_info). Text read: mm/vmalloc.c of 2.6.35.6
 * (rivsidn/linux-2.6.35.6, index id 38332888255; docs/sources.md#text-linux-2.6.35).
 *
 * In this era PTEs stay mapped until the purge: remove_vm_area only marks
 * the area lazily freed (the allocator's purge calls vunmap_page_range),
 * vb_free only marks pages dirty, and vm_unmap_aliases unmaps every dirty
 * run it finds before one flush over all of them and the lazy areas.
 * Also runs the mmotm-2010-vmap-cache-v1 allocator (a 2.6.35 patch).
 */

import { IS_ERR } from '../../../include/linux/errno.js';
import { list_add_rcu, list_add_tail, list_del, list_del_rcu, list_head, INIT_LIST_HEAD } from '../../../include/linux/list.js';
import { fls, ult, ugt, ULONG_MAX, type ulong } from '../../../include/u64.js';
import { GFP_KERNEL, __GFP_HIGHMEM, __GFP_ZERO, page } from '../../page_alloc.js';
import { PAGE_KERNEL, PAGE_SHIFT, PAGE_SIZE, type pgprot_t, pgtable_report_for, vmap_page_range, vunmap_page_range } from '../../pgtable.js';
import { KernelBug } from '../../../include/asm-generic/bug.js';
import {
  type bitmap,
  bitmap_allocate_region,
  bitmap_fill,
  bitmap_find_free_region,
  bitmap_zero,
  find_first_bit,
  find_next_bit,
  find_next_zero_bit,
  IS_ERR_VALUE,
  get_order,
  ptr,
  type vm_struct_view,
  type vmalloc_api,
  type vmalloc_context,
} from './common.js';

export const VERSION = 'linux-2.6.35';

/* include/linux/vmalloc.h (2.6.35) */
export const VM_IOREMAP = 0x00000001;
export const VM_ALLOC = 0x00000002;
export const VM_MAP = 0x00000004;
export const VM_USERMAP = 0x00000008;
export const VM_VPAGES = 0x00000010;
/** IOREMAP_MAX_ORDER: x86 does not define it, so the generic 7 + PAGE_SHIFT (512 KiB). */
export const IOREMAP_MAX_ORDER = 7 + PAGE_SHIFT;
/** vmap_area.flags: the area carries a vm_struct (mm/vmalloc.c). */
export const VM_VM_AREA = 0x04;

/** struct vm_struct (2.6.35) */
export class vm_struct implements vm_struct_view {
  next: vm_struct | null = null;
  addr: ulong = 0;
  size: ulong = 0;
  flags = 0;
  pages: page[] | null = null;
  nr_pages = 0;
  phys_addr = 0;
  caller = '';
}

/** The vmap_area fields this layer reads (2.6.35 .. 3.x ports). */
export interface vmap_area_2_6 {
  va_start: ulong;
  va_end: ulong;
  flags: number;
}

/** What this layer calls in a 2.6.35-style allocator port. */
export interface allocator_2_6 {
  readonly version: string;
  vmap_lazy_nr: number;
  readonly vmap_area_list: list_head<vmap_area_2_6>;
  lazy_max_pages(): number;
  alloc_vmap_area(size: ulong, align: ulong, vstart: ulong, vend: ulong, node?: number, gfp_mask?: number): vmap_area_2_6 | ERR_PTR;
  find_vmap_area(addr: ulong): vmap_area_2_6 | null;
  free_vmap_area(va: vmap_area_2_6): void;
  free_unmap_vmap_area(va: vmap_area_2_6): void;
  free_unmap_vmap_area_noflush(va: vmap_area_2_6): void;
  __purge_vmap_area_lazy(range: { start: ulong; end: ulong }, sync: number, force_flush: number): void;
  set_iounmap_nonlazy?(): void;
}

/** struct vmap_block_queue */
export class vmap_block_queue {
  readonly free: list_head<vmap_block> = new list_head<vmap_block>(null);
}

/** struct vmap_block (2.6.35: alloc and dirty bitmaps) */
export class vmap_block {
  va!: vmap_area_2_6;
  vbq!: vmap_block_queue;
  free = 0;
  dirty = 0;
  alloc_map: bitmap;
  dirty_map: bitmap;
  readonly free_list: list_head<vmap_block> = new list_head<vmap_block>(this);
  readonly purge: list_head<vmap_block> = new list_head<vmap_block>(this);
  constructor(bits: number) {
    this.alloc_map = new Uint8Array(bits);
    this.dirty_map = new Uint8Array(bits);
  }
}

type ERR_PTR = number;

export class vmalloc_api_linux_2_6_35 implements vmalloc_api {
  readonly era: string = VERSION;
  protected readonly version: string = VERSION;

  /**
   * The address-sorted list of vm_structs (vmlist, under vmlist_lock). The
   * C code walks it through `struct vm_struct **p`, starting at &vmlist; the
   * anchor object plays &vmlist (its `next` is vmlist).
   */
  private readonly vmlist_anchor: { next: vm_struct | null } = { next: null };

  get vmlist(): vm_struct | null {
    return this.vmlist_anchor.next;
  }

  /* Per-CPU vmap blocks. */
  readonly VMAP_MAX_ALLOC = 64; // BITS_PER_LONG
  readonly VMAP_BBMAP_BITS: number;
  readonly VMAP_BLOCK_SIZE: number;
  readonly vmap_block_queue: vmap_block_queue[] = [];
  /** The radix tree of vmap blocks, indexed by addr_to_vb_idx. */
  readonly vmap_block_tree = new Map<number, vmap_block>();

  constructor(
    readonly k: vmalloc_context,
    readonly a: allocator_2_6,
  ) {
    // VMALLOC_SPACE is guessed as 128 GiB on 64-bit; blocks get
    // min(1024, max(2 * VMAP_MAX_ALLOC, VMALLOC_PAGES / NR_CPUS / 16)) pages.
    const VMALLOC_PAGES = (128 * 1024 * 1024 * 1024) / PAGE_SIZE;
    this.VMAP_BBMAP_BITS = Math.min(1024, Math.max(this.VMAP_MAX_ALLOC * 2, Math.floor(VMALLOC_PAGES / this.nr_cpus_for_bbmap() / 16)));
    this.VMAP_BLOCK_SIZE = this.VMAP_BBMAP_BITS * PAGE_SIZE;
    // vmalloc_init(): the per-CPU queues.
    for (let i = 0; i < k.nr_cpu_ids; i++) {
      const vbq = new vmap_block_queue();
      INIT_LIST_HEAD(vbq.free);
      this.vmap_block_queue.push(vbq);
    }
  }

  /** NR_CPUS as the VMAP_BBMAP_BITS formula of this era uses it (6.x: roundup_pow_of_two). */
  protected nr_cpus_for_bbmap(): number {
    return this.k.NR_CPUS;
  }

  BUG_ON(cond: boolean, func: string, cond_text: string): void {
    if (cond) throw new KernelBug(this.version, func, 0, cond_text);
  }

  WARN(cond: boolean, func: string, text: string): boolean {
    if (cond) this.k.warn(this.version, func, text);
    return cond;
  }

  /* ---- the vm_struct a vmap_area carries (va->private here, va->vm from 3.10) ---- */

  protected va_vm(va: vmap_area_2_6): vm_struct | null {
    return ((va as unknown as { private: unknown }).private as vm_struct | null) ?? null;
  }

  protected set_va_vm(va: vmap_area_2_6, vm: vm_struct | null): void {
    (va as unknown as { private: unknown }).private = vm;
  }

  /* ---- calls into the allocator, with the trace events placed as 6.2+ places them ---- */

  alloc_vmap_area(size: ulong, align: ulong, vstart: ulong, vend: ulong, node: number, gfp_mask: number): vmap_area_2_6 | ERR_PTR {
    const va = this.a.alloc_vmap_area(size, align, vstart, vend, node, gfp_mask);
    if (IS_ERR(va)) this.k.trace_alloc_vmap_area(va, size, align, vstart, vend, 1);
    else this.k.trace_alloc_vmap_area(va.va_start, size, align, vstart, vend, 0);
    return va;
  }

  protected trace_lazy_free(va: vmap_area_2_6): void {
    const nr_lazy = this.a.vmap_lazy_nr + Math.floor((va.va_end - va.va_start) / PAGE_SIZE);
    this.k.trace_free_vmap_area_noflush(va.va_start, nr_lazy, this.a.lazy_max_pages());
  }

  free_unmap_vmap_area(va: vmap_area_2_6): void {
    if (this.k.vmfaults.freeBeforeFlush) {
      // Fault injection: unmap and hand the range back at once, no flush.
      this.vunmap_page_range(va.va_start, va.va_end);
      this.a.free_vmap_area(va);
      return;
    }
    this.trace_lazy_free(va);
    this.a.free_unmap_vmap_area(va);
  }

  free_unmap_vmap_area_noflush(va: vmap_area_2_6): void {
    this.trace_lazy_free(va);
    this.a.free_unmap_vmap_area_noflush(va);
  }

  free_unmap_vmap_area_addr(addr: ulong): void {
    const va = this.a.find_vmap_area(addr);
    this.BUG_ON(!va, 'free_unmap_vmap_area_addr', '!va');
    this.free_unmap_vmap_area(va as vmap_area_2_6);
  }

  /* ---- page tables ---- */

  vmap_page_range(start: ulong, end: ulong, prot: pgprot_t, pages: readonly (page | null)[]): number {
    return vmap_page_range(this.k.init_mm, start, end, prot, pages, pgtable_report_for(this.version, (v, f, c) => this.k.warn(v, f, c)));
  }

  vunmap_page_range(start: ulong, end: ulong): void {
    vunmap_page_range(this.k.init_mm, start, end, pgtable_report_for(this.version, (v, f, c) => this.k.warn(v, f, c)));
  }

  /* ---- per-CPU vmap blocks ---- */

  addr_to_vb_idx(addr: ulong): number {
    const base = Math.floor(this.k.VMALLOC_START / this.VMAP_BLOCK_SIZE) * this.VMAP_BLOCK_SIZE; // VMALLOC_START & ~(VMAP_BLOCK_SIZE-1)
    return Math.floor((addr - base) / this.VMAP_BLOCK_SIZE);
  }

  new_vmap_block(gfp_mask: number): vmap_block | ERR_PTR {
    const vb = new vmap_block(this.VMAP_BBMAP_BITS); // kmalloc_node

    const va = this.alloc_vmap_area(this.VMAP_BLOCK_SIZE, this.VMAP_BLOCK_SIZE, this.k.VMALLOC_START, this.k.VMALLOC_END, -1, gfp_mask);
    if (IS_ERR(va)) return va;

    vb.va = va;
    vb.free = this.VMAP_BBMAP_BITS;
    vb.dirty = 0;
    bitmap_zero(vb.alloc_map);
    bitmap_zero(vb.dirty_map);
    INIT_LIST_HEAD(vb.free_list);

    const vb_idx = this.addr_to_vb_idx(va.va_start);
    this.k.spin_lock('vmap_block_tree_lock');
    this.BUG_ON(this.vmap_block_tree.has(vb_idx), 'new_vmap_block', 'err'); // radix_tree_insert
    this.vmap_block_tree.set(vb_idx, vb);
    this.k.spin_unlock('vmap_block_tree_lock');

    const vbq = this.this_cpu_vbq(); // get_cpu_var(vmap_block_queue)
    vb.vbq = vbq;
    this.k.spin_lock('vbq->lock', vbq);
    list_add_rcu(vb.free_list, vbq.free);
    this.k.spin_unlock('vbq->lock', vbq);

    return vb;
  }

  protected this_cpu_vbq(): vmap_block_queue {
    return this.vmap_block_queue[this.k.smp_processor_id()]!;
  }

  free_vmap_block(vb: vmap_block): void {
    const vb_idx = this.addr_to_vb_idx(vb.va.va_start);
    this.k.spin_lock('vmap_block_tree_lock');
    const tmp = this.vmap_block_tree.get(vb_idx);
    this.vmap_block_tree.delete(vb_idx);
    this.k.spin_unlock('vmap_block_tree_lock');
    this.BUG_ON(tmp !== vb, 'free_vmap_block', 'tmp != vb');

    this.free_unmap_vmap_area_noflush(vb.va);
    // call_rcu(&vb->rcu_head, rcu_free_vb)
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
        vb.free = 0; // no more allocations from it
        vb.dirty = BITS; // and no second purge
        bitmap_fill(vb.alloc_map);
        bitmap_fill(vb.dirty_map);
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

  purge_fragmented_blocks_thiscpu(): void {
    this.purge_fragmented_blocks(this.k.smp_processor_id());
  }

  purge_fragmented_blocks_allcpus(): void {
    for (let cpu = 0; cpu < this.k.nr_cpu_ids; cpu++) this.purge_fragmented_blocks(cpu);
  }

  vb_alloc(size: ulong, gfp_mask: number): ulong | ERR_PTR {
    let addr = 0;
    let purge = 0;
    const BITS = this.VMAP_BBMAP_BITS;

    this.BUG_ON(size % PAGE_SIZE !== 0, 'vb_alloc', 'size & ~PAGE_MASK');
    this.BUG_ON(size > PAGE_SIZE * this.VMAP_MAX_ALLOC, 'vb_alloc', 'size > PAGE_SIZE*VMAP_MAX_ALLOC');
    const order = get_order(size);

    for (;;) {
      // again:
      const vbq = this.this_cpu_vbq();
      for (let l = vbq.free.next; l !== vbq.free; l = l.next) {
        const vb = l.owner as vmap_block;
        this.k.spin_lock('vb->lock', vb);
        if (vb.free < 2 ** order) {
          this.k.spin_unlock('vb->lock', vb); // next:
          continue;
        }

        const i = bitmap_find_free_region(vb.alloc_map, BITS, order);

        if (i < 0) {
          if (vb.free + vb.dirty === BITS) {
            // fragmented, nothing outstanding
            this.BUG_ON(vb.dirty !== BITS, 'vb_alloc', 'vb->dirty != VMAP_BBMAP_BITS');
            purge = 1;
          }
          this.k.spin_unlock('vb->lock', vb); // next:
          continue;
        }
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

      if (purge) this.purge_fragmented_blocks_thiscpu();

      if (!addr) {
        const vb = this.new_vmap_block(gfp_mask);
        if (IS_ERR(vb)) return vb;
        continue; // goto again
      }

      return addr;
    }
  }

  vb_free(addr: ulong, size: ulong): void {
    this.BUG_ON(size % PAGE_SIZE !== 0, 'vb_free', 'size & ~PAGE_MASK');
    this.BUG_ON(size > PAGE_SIZE * this.VMAP_MAX_ALLOC, 'vb_free', 'size > PAGE_SIZE*VMAP_MAX_ALLOC');

    // flush_cache_vunmap(): nothing on x86.
    const order = get_order(size);
    const offset = ((addr % this.VMAP_BLOCK_SIZE) + this.VMAP_BLOCK_SIZE) % this.VMAP_BLOCK_SIZE;

    const vb = this.vmap_block_tree.get(this.addr_to_vb_idx(addr));
    this.BUG_ON(!vb, 'vb_free', '!vb');
    const b = vb as vmap_block;

    this.vb_free_unmap(addr, size);

    this.k.spin_lock('vb->lock', b);
    this.BUG_ON(bitmap_allocate_region(b.dirty_map, offset / PAGE_SIZE, order) !== 0, 'vb_free', 'bitmap_allocate_region(vb->dirty_map, offset >> PAGE_SHIFT, order)');

    b.dirty += 2 ** order;
    if (b.dirty === this.VMAP_BBMAP_BITS) {
      this.BUG_ON(b.free !== 0, 'vb_free', 'vb->free');
      this.k.spin_unlock('vb->lock', b);
      this.free_vmap_block(b);
    } else this.k.spin_unlock('vb->lock', b);
  }

  /** 2.6.35: vb_free leaves the PTEs; vm_unmap_aliases or the block's purge clears them. */
  protected vb_free_unmap(_addr: ulong, _size: ulong): void {}

  /*
   * Unmap and flush every lazy alias: the dirty runs of every CPU's blocks
   * (unmapped here) and the lazily freed areas, in one flush.
   */
  vm_unmap_aliases(): void {
    const range = { start: ULONG_MAX, end: 0 };
    let flush = 0;
    const BITS = this.VMAP_BBMAP_BITS;

    for (let cpu = 0; cpu < this.k.nr_cpu_ids; cpu++) {
      const vbq = this.vmap_block_queue[cpu]!;
      for (let l = vbq.free.next; l !== vbq.free; l = l.next) {
        const vb = l.owner as vmap_block;
        this.k.spin_lock('vb->lock', vb);
        let i = find_first_bit(vb.dirty_map, BITS);
        while (i < BITS) {
          const j = find_next_zero_bit(vb.dirty_map, BITS, i);
          const s = vb.va.va_start + i * PAGE_SIZE;
          const e = vb.va.va_start + j * PAGE_SIZE;
          this.vm_unmap_aliases_unmap(s, e);
          flush = 1;

          if (ult(s, range.start)) range.start = s;
          if (ugt(e, range.end)) range.end = e;

          i = j;
          i = find_next_bit(vb.dirty_map, BITS, i);
        }
        this.k.spin_unlock('vb->lock', vb);
      }
    }

    this.a.__purge_vmap_area_lazy(range, 1, flush);
  }

  /** 2.6.35 unmaps each dirty run here (later eras already unmapped in vb_free). */
  protected vm_unmap_aliases_unmap(s: ulong, e: ulong): void {
    this.vunmap_page_range(s, e);
  }

  vm_unmap_ram(mem: ulong, count: number): void {
    const size = count * PAGE_SIZE;
    const addr = mem;

    this.BUG_ON(!addr, 'vm_unmap_ram', '!addr');
    this.BUG_ON(ult(addr, this.k.VMALLOC_START), 'vm_unmap_ram', 'addr < VMALLOC_START');
    this.BUG_ON(ugt(addr, this.k.VMALLOC_END), 'vm_unmap_ram', 'addr > VMALLOC_END');
    this.BUG_ON(addr % PAGE_SIZE !== 0, 'vm_unmap_ram', 'addr & (PAGE_SIZE-1)');

    // vmap_debug_free_range(): only with CONFIG_DEBUG_PAGEALLOC.
    if (count <= this.VMAP_MAX_ALLOC) this.vb_free(mem, size);
    else this.free_unmap_vmap_area_addr(addr);
  }

  vm_map_ram(pages: readonly page[], count: number, node = -1, prot: pgprot_t = PAGE_KERNEL): ulong {
    const size = count * PAGE_SIZE;
    let addr: ulong;

    if (count <= this.VMAP_MAX_ALLOC) {
      const mem = this.vb_alloc(size, GFP_KERNEL);
      if (IS_ERR_VALUE(mem)) return 0;
      addr = mem;
    } else {
      const va = this.alloc_vmap_area(size, PAGE_SIZE, this.k.VMALLOC_START, this.k.VMALLOC_END, node, GFP_KERNEL);
      if (IS_ERR(va)) return 0;
      addr = va.va_start;
    }
    if (this.vmap_page_range(addr, addr + size, prot, pages) < 0) {
      this.vm_unmap_ram(addr, count);
      return 0;
    }
    return addr;
  }

  /* ---- the vm_struct layer ---- */

  /** map_vm_area(): map the area's pages over its size minus the guard page. */
  map_vm_area(area: vm_struct, prot: pgprot_t, pages: readonly page[]): number {
    const addr = area.addr;
    const end = addr + area.size - PAGE_SIZE;
    const err = this.vmap_page_range(addr, end, prot, pages);
    return err > 0 ? 0 : err;
  }

  insert_vmalloc_vm(vm: vm_struct, va: vmap_area_2_6, flags: number, caller: string): void {
    vm.flags = flags;
    vm.addr = va.va_start;
    vm.size = va.va_end - va.va_start;
    vm.caller = caller;
    this.set_va_vm(va, vm);
    va.flags |= VM_VM_AREA;

    // Insert into the address-sorted vmlist.
    let p: { next: vm_struct | null };
    let tmp: vm_struct | null;
    let steps = 0; // instrumentation: vm_structs read (vmalloc_context.list_walk)
    for (p = this.vmlist_head(); (tmp = p.next) !== null; p = tmp) {
      steps++;
      if (!ult(tmp.addr, vm.addr)) break;
    }
    vm.next = p.next;
    p.next = vm;
    this.k.list_walk(steps);
  }

  /** &vmlist as a "next" pointer. */
  private vmlist_head(): { next: vm_struct | null } {
    return this.vmlist_anchor;
  }

  ioremap_align(size: ulong): number {
    let bit = fls(Math.min(size, 2 ** 31)); // fls(size): int size of an unsigned long; sizes here stay below 2^31
    if (size >= 2 ** 31) bit = 32;
    if (bit > IOREMAP_MAX_ORDER) bit = IOREMAP_MAX_ORDER;
    else if (bit < PAGE_SHIFT) bit = PAGE_SHIFT;
    return 2 ** bit;
  }

  __get_vm_area_node(size: ulong, align: ulong, flags: number, start: ulong, end: ulong, node: number, gfp_mask: number, caller: string): vm_struct | null {
    // BUG_ON(in_interrupt())
    if (flags & VM_IOREMAP) align = this.ioremap_align(size);

    size = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE; // PAGE_ALIGN
    if (!size) return null;

    const area = new vm_struct(); // kzalloc_node

    // Every area gets a guard page.
    size += PAGE_SIZE;

    const va = this.alloc_vmap_area(size, align, start, end, node, gfp_mask);
    if (IS_ERR(va)) return null;

    this.insert_vmalloc_vm(area, va, flags, caller);
    return area;
  }

  get_vm_area(size: ulong, flags: number, caller = 'get_vm_area'): vm_struct | null {
    return this.__get_vm_area_node(size, 1, flags, this.k.VMALLOC_START, this.k.VMALLOC_END, -1, GFP_KERNEL, caller);
  }

  get_vm_area_caller(size: ulong, flags: number, caller: string): vm_struct | null {
    return this.__get_vm_area_node(size, 1, flags, this.k.VMALLOC_START, this.k.VMALLOC_END, -1, GFP_KERNEL, caller);
  }

  set_phys_addr(area: vm_struct_view, phys_addr: number): void {
    (area as vm_struct).phys_addr = phys_addr;
  }

  find_vm_area(addr: ulong): vm_struct | null {
    const va = this.a.find_vmap_area(addr);
    if (va && va.flags & VM_VM_AREA) return this.va_vm(va);
    return null;
  }

  remove_vm_area(addr: ulong): vm_struct | null {
    const va = this.a.find_vmap_area(addr);
    if (va && va.flags & VM_VM_AREA) {
      const vm = this.va_vm(va) as vm_struct;
      // Unlink from vmlist before unmapping.
      let p = this.vmlist_head();
      let tmp: vm_struct | null;
      let steps = 1; // instrumentation: vm_structs read, vm itself included (vmalloc_context.list_walk)
      while ((tmp = p.next) !== vm) {
        if (tmp === null) break;
        p = tmp;
        steps++;
      }
      p.next = vm.next;
      this.k.list_walk(steps);

      // vmap_debug_free_range(): CONFIG_DEBUG_PAGEALLOC is off.
      this.free_unmap_vmap_area(va);
      vm.size -= PAGE_SIZE;

      return vm;
    }
    return null;
  }

  __vunmap(addr: ulong, deallocate_pages: number): void {
    if (!addr) return;

    if (this.WARN(addr % PAGE_SIZE !== 0, '__vunmap', 'Trying to vfree() bad address')) return;

    const area = this.remove_vm_area(addr);
    if (area === null) {
      this.WARN(true, '__vunmap', 'Trying to vfree() nonexistent vm area');
      return;
    }

    if (deallocate_pages) {
      for (let i = 0; i < area.nr_pages; i++) {
        const pg = (area.pages as page[])[i];
        this.BUG_ON(!pg, '__vunmap', '!page');
        this.k.pages.__free_page(pg as page);
      }
      if (area.flags & VM_VPAGES) this.vfree_pages_array(area);
    }
    // kfree(area)
  }

  /** The page array of a large area was itself vmalloc'd (VM_VPAGES); it is vfree'd with it. */
  protected vfree_pages_array(area: vm_struct): void {
    const arr = (area as unknown as { pages_array_addr?: ulong }).pages_array_addr;
    if (arr) this.vfree(arr);
  }

  vfree(addr: ulong): void {
    // BUG_ON(in_interrupt()); kmemleak_free(addr)
    this.__vunmap(addr, 1);
  }

  vunmap(addr: ulong): void {
    // BUG_ON(in_interrupt()); might_sleep()
    this.__vunmap(addr, 0);
  }

  vmap(pages: readonly page[], count: number, flags: number, prot: pgprot_t = PAGE_KERNEL, caller = 'vmap'): ulong {
    if (count > this.k.pages.totalram_pages()) return 0;

    const area = this.get_vm_area_caller(count * PAGE_SIZE, flags, caller);
    if (!area) return 0;

    if (this.map_vm_area(area, prot, pages)) {
      this.vunmap(area.addr);
      return 0;
    }
    return area.addr;
  }

  __vmalloc_area_node(area: vm_struct, gfp_mask: number, prot: pgprot_t, node: number, caller: string): ulong {
    const nested_gfp = gfp_mask | __GFP_ZERO;
    const nr_pages = Math.floor((area.size - PAGE_SIZE) / PAGE_SIZE);
    const array_size = nr_pages * 8;

    area.nr_pages = nr_pages;
    // The page array is vmalloc'd itself when larger than a page (bounded recursion).
    if (array_size > PAGE_SIZE) {
      const arr = this.__vmalloc_node(array_size, 1, nested_gfp | __GFP_HIGHMEM, PAGE_KERNEL, node, caller);
      (area as unknown as { pages_array_addr?: ulong }).pages_array_addr = arr;
      area.flags |= VM_VPAGES;
      if (!arr) {
        this.remove_vm_area(area.addr);
        return 0;
      }
    }
    area.pages = new Array<page>(area.nr_pages); // exact size, as the kernel's array
    area.caller = caller;

    for (let i = 0; i < area.nr_pages; i++) {
      const pg = this.k.pages.alloc_page(gfp_mask);
      if (pg === null) {
        area.nr_pages = i; // the pages so far are freed by __vunmap()
        this.vfree(area.addr);
        return 0;
      }
      area.pages[i] = pg;
    }

    if (this.map_vm_area(area, prot, area.pages)) {
      this.vfree(area.addr);
      return 0;
    }
    return area.addr;
  }

  __vmalloc_node(size: ulong, align: ulong, gfp_mask: number, prot: pgprot_t, node: number, caller: string): ulong {
    size = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    if (!size || size / PAGE_SIZE > this.k.pages.totalram_pages()) return 0;

    const area = this.__get_vm_area_node(size, align, VM_ALLOC, this.k.VMALLOC_START, this.k.VMALLOC_END, node, gfp_mask, caller);
    if (!area) return 0;

    return this.__vmalloc_area_node(area, gfp_mask, prot, node, caller);
  }

  vmalloc(size: ulong, caller = 'vmalloc'): ulong {
    return this.__vmalloc_node(size, 1, GFP_KERNEL | __GFP_HIGHMEM, PAGE_KERNEL, -1, caller);
  }

  /**
   * vzalloc() arrived in 2.6.37 (e1ca7788dec6); in 2.6.35 callers wrote
   * __vmalloc(size, GFP_KERNEL | __GFP_HIGHMEM | __GFP_ZERO, PAGE_KERNEL), which this is.
   */
  vzalloc(size: ulong, caller = 'vzalloc'): ulong {
    return this.__vmalloc_node(size, 1, GFP_KERNEL | __GFP_HIGHMEM | __GFP_ZERO, PAGE_KERNEL, -1, caller);
  }

  set_iounmap_nonlazy(): boolean {
    if (!this.a.set_iounmap_nonlazy) return false;
    this.a.set_iounmap_nonlazy();
    return true;
  }

  /* ---- /proc ---- */

  /** /proc/vmallocinfo: s_show over vmlist. */
  vmallocinfo(): string {
    let out = '';
    for (let v = this.vmlist; v !== null; v = v.next) out += this.s_show(v);
    return out;
  }

  protected s_show(v: vm_struct): string {
    let s = `${ptr(v.addr)}-${ptr(v.addr + v.size)} ${String(v.size).padStart(7)}`;
    if (v.caller) s += ` ${v.caller}`;
    if (v.nr_pages) s += ` pages=${v.nr_pages}`;
    if (v.phys_addr) s += ` phys=${v.phys_addr.toString(16)}`;
    if (v.flags & VM_IOREMAP) s += ' ioremap';
    if (v.flags & VM_ALLOC) s += ' vmalloc';
    if (v.flags & VM_MAP) s += ' vmap';
    if (v.flags & VM_USERMAP) s += ' user';
    if (v.flags & VM_VPAGES) s += ' vpages';
    s += this.show_numa_info(v);
    return s + '\n';
  }

  /** show_numa_info() of a one-node machine: " N0=pages" for vmalloc'd areas. */
  protected show_numa_info(v: vm_struct): string {
    return v.flags & VM_ALLOC && v.nr_pages ? ` N0=${v.nr_pages}` : '';
  }

  /** get_vmalloc_info() (fs/proc/mmu.c): the sizes of every vmlist area in the range, guard pages included. */
  vmalloc_used_kb(): number {
    let used = 0;
    for (let v = this.vmlist; v !== null; v = v.next) {
      if (ult(v.addr, this.k.VMALLOC_START)) continue;
      if (!ult(v.addr, this.k.VMALLOC_END)) break;
      used += v.size;
    }
    return Math.floor(used / 1024);
  }

  nr_vmap_blocks(): number {
    return this.vmap_block_tree.size;
  }
}

