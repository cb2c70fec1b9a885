// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vmalloc API layer of Linux 6.12: 6.1's, with
 * - the vmap_blocks xarray split per CPU and hashed by address
 *   (addr_to_vb_xa, 062eacf57ad9), blocks remembering their CPU;
 * - the v6.5 series of Thomas Gleixner: fc1e0d980037 (_vm_unmap_aliases
 *   walks the xarrays, so fully used blocks are seen), a09fad96ffb1 (the
 *   dirty range is reset once flushed), purge_fragmented_block() shared by
 *   both walks, and 77e50af07f14 (VMAP_PURGE_THRESHOLD: _vm_unmap_aliases
 *   purges a fragmented block only when less than a quarter is free);
 * - used_map (for vread), VMAP_RAM | VMAP_BLOCK area flags;
 * - the vmap nodes: areas are taken out of their busy tree with
 *   find_unlink_vmap_area / unlink_va before being freed lazily;
 * - vb->lock taken twice in vb_free (used_map, then the dirty range), and
 *   vb_alloc looking at vb->free before taking it (v6.5); the
 *   vn->busy.lock of free_vmap_block is not taken here.
 *
 * - vrealloc() (6.12) with the requested_size of the stable backport
 *   ("mm: vmalloc: support more granular vrealloc() sizing"): it grows in
 *   place up to the area's size less the guard page, shrinks by lowering
 *   requested_size only (the pages stay mapped), and otherwise vmallocs
 *   anew, copies and vfrees; __vmalloc(size, gfp_mask).
 *
 * Version: linux-6.12 (Debian 6.12.95). Upstream path: mm/vmalloc.c.
 * Text read: docs/sources.md#text-linux-6.12 (vmap block section,
 * _vm_unmap_aliases, remove_vm_area, vm_unmap_ram, vm_map_ram; vrealloc,
 * __vmalloc and __get_vm_area_node). Only what differs from linux-6.1.ts
 * is here.
 */

import { EINVAL, ERR_PTR } from '../../../include/linux/errno.js';
import { list_add_tail, list_del, list_del_rcu, list_head } from '../../../include/linux/list.js';
import { ult, type ulong, umax, umin } from '../../../include/u64.js';
import { GFP_KERNEL } from '../../page_alloc.js';
import { PAGE_SIZE } from '../../pgtable.js';
import { get_order } from './common.js';
import { VM_ALLOC, vmalloc_api_linux_6_1, vm_struct, type vmap_area_6, vmap_block, vmap_block_queue } from './linux-6.1.js';
import type { vmap_area_common } from '../common.js';

export const VERSION = 'linux-6.12';

/** va->flags of vm_map_ram areas. */
export const VMAP_RAM = 0x1;
export const VMAP_BLOCK = 0x2;

/** What 6.12's allocator adds to the 6.1 interface. */
interface allocator_6_12_extra {
  find_unlink_vmap_area(addr: ulong): vmap_area_6 | null;
  unlink_va(va: vmap_area_6, root: unknown): void;
  addr_to_node(addr: ulong): { busy: { root: unknown; head: list_head<vmap_area_6> }; lazy: { head: list_head<vmap_area_6> } };
  readonly vmap_nodes: { busy: { head: list_head<vmap_area_6> }; lazy: { head: list_head<vmap_area_6> } }[];
}

type ERR = number;

export class vmalloc_api_linux_6_12 extends vmalloc_api_linux_6_1 {
  override readonly era: string = VERSION;
  protected override readonly version: string = VERSION;

  /** VMAP_PURGE_THRESHOLD: purge only blocks with less than a quarter free (unless forced). */
  get VMAP_PURGE_THRESHOLD(): number {
    return Math.floor(this.VMAP_BBMAP_BITS / 4);
  }

  private get a12(): allocator_6_12_extra {
    return this.a as unknown as allocator_6_12_extra;
  }

  protected override purge_lazy(start: ulong, end: ulong): boolean {
    return this.a.__purge_vmap_area_lazy(start, end, false);
  }

  protected override find_for_free(addr: ulong): vmap_area_6 | null {
    return this.a12.find_unlink_vmap_area(addr);
  }

  /** addr_to_vb_xa(addr): the xarray of CPU (addr / VMAP_BLOCK_SIZE) % nr_cpu_ids. */
  protected override vb_xa(addr: ulong): Map<number, vmap_block> {
    const n = this.k.nr_cpu_ids;
    // addr / VMAP_BLOCK_SIZE as an unsigned long: 2^64 / size + floor(addr / size) for kernel addresses.
    const q = addr < 0 ? 2 ** 64 / this.VMAP_BLOCK_SIZE + Math.floor(addr / this.VMAP_BLOCK_SIZE) : Math.floor(addr / this.VMAP_BLOCK_SIZE);
    const index = q % n;
    return this.vmap_block_queue[index]!.vmap_blocks;
  }

  protected override alloc_block_area(gfp_mask: number): vmap_area_6 | ERR {
    return this.alloc_vmap_area(this.VMAP_BLOCK_SIZE, this.VMAP_BLOCK_SIZE, this.k.VMALLOC_START, this.k.VMALLOC_END, -1, gfp_mask, VMAP_RAM | VMAP_BLOCK, null);
  }

  protected override alloc_ram_area(size: ulong, node: number): vmap_area_6 | ERR {
    return this.alloc_vmap_area(size, PAGE_SIZE, this.k.VMALLOC_START, this.k.VMALLOC_END, node, GFP_KERNEL, VMAP_RAM, null);
  }

  protected override new_vmap_block_extra(vb: vmap_block, order: number): void {
    vb.used_map = new Uint8Array(this.VMAP_BBMAP_BITS);
    vb.used_map.fill(1, 0, 2 ** order);
    vb.cpu = this.k.smp_processor_id(); // raw_smp_processor_id()
  }

  protected override vbq_of_new_block(vb: vmap_block): vmap_block_queue {
    return this.vmap_block_queue[vb.cpu]!;
  }

  protected override vb_alloc_extra(vb: vmap_block, pages_off: number, order: number): void {
    vb.used_map?.fill(1, pages_off, pages_off + 2 ** order);
  }

  /** vb_free(): bitmap_clear(vb->used_map, ...) under vb->lock, before the unmap (the lock is taken again after it). */
  protected override vb_free_extra(vb: vmap_block, offset: number, order: number): void {
    this.k.spin_lock('vb->lock', vb);
    vb.used_map?.fill(0, offset, offset + 2 ** order);
    this.k.spin_unlock('vb->lock', vb);
  }

  /**
   * vb_alloc(): as 6.1's, but a block without room is skipped on a look at
   * vb->free without its lock (Thomas Gleixner's v6.5 series), and only a block that
   * may fit is locked and checked again.
   */
  override vb_alloc(size: ulong, gfp_mask: number): ulong | ERR {
    let vaddr = 0;

    this.BUG_ON(size % PAGE_SIZE !== 0, 'vb_alloc', 'offset_in_page(size)');
    this.BUG_ON(size > PAGE_SIZE * this.VMAP_MAX_ALLOC, 'vb_alloc', 'size > PAGE_SIZE*VMAP_MAX_ALLOC');
    if (this.WARN_ON(size === 0, 'vb_alloc', 'size == 0')) return ERR_PTR(-EINVAL); // NULL before Hailong Liu's 2024 fix
    const order = get_order(size);

    const vbq = this.this_cpu_vbq();
    for (let l = vbq.free.next; l !== vbq.free; l = l.next) {
      const vb = l.owner as vmap_block;
      if (vb.free < 2 ** order) continue; // READ_ONCE(vb->free)

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

  /** free_vmap_block(): take the area out of its node's busy tree, then free it lazily. */
  protected override free_block_area(va: vmap_area_6): void {
    const vn = this.a12.addr_to_node(va.va_start);
    this.a12.unlink_va(va, vn.busy.root);
    this.free_vmap_area_noflush(va);
  }

  purge_fragmented_block(vb: vmap_block, purge_list: list_head<vmap_block>, force_purge: boolean): boolean {
    const vbq = this.vmap_block_queue[vb.cpu]!;
    const BITS = this.VMAP_BBMAP_BITS;

    if (vb.free + vb.dirty !== BITS || vb.dirty === BITS) return false;

    // Usable blocks stay unless asked.
    if (!(force_purge || vb.free < this.VMAP_PURGE_THRESHOLD)) return false;

    vb.free = 0; // no more allocations after the lock is dropped
    vb.dirty = BITS; // no second purge
    vb.dirty_min = 0;
    vb.dirty_max = BITS;
    this.k.spin_lock('vbq->lock', vbq);
    list_del_rcu(vb.free_list);
    this.k.spin_unlock('vbq->lock', vbq);
    list_add_tail(vb.purge, purge_list);
    return true;
  }

  free_purged_blocks(purge_list: list_head<vmap_block>): void {
    for (let l = purge_list.next; l !== purge_list; ) {
      const vb = l.owner as vmap_block;
      l = l.next;
      list_del(vb.purge);
      this.free_vmap_block(vb);
    }
  }

  override purge_fragmented_blocks(cpu: number): void {
    const purge = new list_head<vmap_block>(null);
    const vbq = this.vmap_block_queue[cpu]!;
    const BITS = this.VMAP_BBMAP_BITS;

    for (let l = vbq.free.next; l !== vbq.free; ) {
      const vb = l.owner as vmap_block;
      l = l.next;
      // READ_ONCE(vb->free), READ_ONCE(vb->dirty): a look without the lock first.
      if (vb.free + vb.dirty !== BITS || vb.dirty === BITS) continue;

      this.k.spin_lock('vb->lock', vb);
      this.purge_fragmented_block(vb, purge, true);
      this.k.spin_unlock('vb->lock', vb);
    }
    this.free_purged_blocks(purge);
  }

  override _vm_unmap_aliases(start: ulong, end: ulong, flush: number): void {
    const purge_list = new list_head<vmap_block>(null);

    this.k.mutex_lock('vmap_purge_lock');
    for (let cpu = 0; cpu < this.k.nr_cpu_ids; cpu++) {
      const vbq = this.vmap_block_queue[cpu]!;
      // xa_for_each(&vbq->vmap_blocks, idx, vb): index order
      const idxs = [...vbq.vmap_blocks.keys()].sort((x, y) => x - y);
      for (const idx of idxs) {
        const vb = vbq.vmap_blocks.get(idx);
        if (!vb) continue;
        this.k.spin_lock('vb->lock', vb);

        // A fragmented block is purged first; else its dirty space is flushed.
        if (!this.purge_fragmented_block(vb, purge_list, false) && vb.dirty_max && vb.dirty !== this.VMAP_BBMAP_BITS) {
          const va_start = vb.va.va_start;
          const s = va_start + vb.dirty_min * PAGE_SIZE;
          const e = va_start + vb.dirty_max * PAGE_SIZE;

          start = umin(s, start);
          end = umax(e, end);

          // Not flushed again.
          vb.dirty_min = this.VMAP_BBMAP_BITS;
          vb.dirty_max = 0;

          flush = 1;
        }
        this.k.spin_unlock('vb->lock', vb);
      }
    }
    this.free_purged_blocks(purge_list);

    if (!this.purge_lazy(start, end) && flush) this.k.flush_tlb_kernel_range(start, end);
    this.k.mutex_unlock('vmap_purge_lock');
  }

  override nr_vmap_blocks(): number {
    let n = 0;
    for (const q of this.vmap_block_queue) n += q.vmap_blocks.size;
    return n;
  }

  /** The busy areas of every node, in address order. */
  protected override busy_areas(): vmap_area_6[] {
    const out: vmap_area_6[] = [];
    for (const vn of this.a12.vmap_nodes) for (let l = vn.busy.head.next; l !== vn.busy.head; l = l.next) out.push(l.owner as vmap_area_6);
    return out.sort((x, y) => (ult(x.va_start, y.va_start) ? -1 : ult(y.va_start, x.va_start) ? 1 : 0));
  }

  protected override purge_areas(): vmap_area_6[] {
    const out: vmap_area_6[] = [];
    for (const vn of this.a12.vmap_nodes) for (let l = vn.lazy.head.next; l !== vn.lazy.head; l = l.next) out.push(l.owner as vmap_area_6);
    return out.sort((x, y) => (ult(x.va_start, y.va_start) ? -1 : ult(y.va_start, x.va_start) ? 1 : 0));
  }

  override set_iounmap_nonlazy(): boolean {
    return false;
  }

  /**
   * setup_vmalloc_vm(): no lock since the vmap nodes (6.9): the area is not
   * in any busy tree another CPU can reach yet. requested_size is set by
   * __get_vm_area_node below.
   */
  override setup_vmalloc_vm(vm: vm_struct, va: vmap_area_6, flags: number, caller: string): void {
    this.setup_vmalloc_vm_locked(vm, va, flags, caller);
  }

  /* ---- requested_size, __vmalloc, vrealloc ---- */

  /** __get_vm_area_node(): the area remembers the size asked for (requested_size). */
  override __get_vm_area_node(size: ulong, align: ulong, shift: number, flags: number, start: ulong, end: ulong, node: number, gfp_mask: number, caller: string): vm_struct | null {
    const requested_size = size;
    const area = super.__get_vm_area_node(size, align, shift, flags, start, end, node, gfp_mask, caller);
    if (area) area.requested_size = requested_size;
    return area;
  }

  /** __vmalloc(size, gfp_mask) */
  __vmalloc(size: ulong, gfp_mask: number, caller = '__vmalloc'): ulong {
    return this.__vmalloc_node(size, 1, gfp_mask, -1, caller);
  }

  /**
   * vrealloc(p, size, flags): the contents are kept up to the smaller size;
   * no data is modelled, so the copy is not either. 0 is NULL.
   */
  vrealloc(p: ulong, size: ulong, flags: number = GFP_KERNEL, caller = 'vrealloc'): ulong {
    let vm: vm_struct | null = null;
    let alloced_size = 0;
    let old_size = 0;

    if (!size) {
      this.vfree(p);
      return 0;
    }

    if (p) {
      vm = this.find_vm_area(p);
      if (!vm) {
        this.WARN_ON(true, 'vrealloc', 'Trying to vrealloc() nonexistent vm area');
        return 0;
      }

      alloced_size = vm.size - PAGE_SIZE; // get_vm_area_size(vm)
      old_size = vm.requested_size;
      if (this.WARN_ON(alloced_size < old_size, 'vrealloc', 'vrealloc() has mismatched area vs requested sizes')) return 0;
    }

    // Shrinking only lowers the requested size: the pages stay.
    if (size <= old_size) {
      // memset of the tail under init_on_free/init_on_alloc: no data here.
      (vm as vm_struct).requested_size = size;
      // kasan_vrealloc(): no KASAN.
      return p;
    }

    // The area already has the bytes: use them.
    if (size <= alloced_size) {
      (vm as vm_struct).requested_size = size;
      return p;
    }

    // A new area; grow-in-place beyond the area is not done.
    const n = this.__vmalloc(size, flags, caller);
    if (!n) return 0;

    if (p) {
      // memcpy(n, p, old_size)
      this.vfree(p);
    }

    return n;
  }

  /** free_vm_area(area): out of the vmap tree, the vm_struct freed. */
  free_vm_area(area: vm_struct): void {
    const ret = this.remove_vm_area(area.addr);
    this.BUG_ON(ret !== area, 'free_vm_area', 'ret != area');
    // kfree(area)
  }

  /**
   * pcpu_get_vm_areas(offsets, sizes, nr_vms, align, gfp): the vm_struct
   * side of it (mm/vmalloc.c of 6.12 and 7.3, the same text, after the search): the allocator carves
   * and inserts the areas (kernel/mm/vmalloc/pcpu/linux-6.1.ts), and each
   * gets its vm_struct through setup_vmalloc_vm(VM_ALLOC,
   * pcpu_get_vm_areas). No page array: /proc/vmallocinfo shows no pages=.
   */
  pcpu_get_vm_areas(offsets: readonly ulong[], sizes: readonly ulong[], nr_vms: number, align: ulong): vm_struct[] | null {
    const search = (this.a as unknown as { pcpu_get_vm_areas(o: readonly ulong[], s: readonly ulong[], n: number, a: ulong): vmap_area_common[] | null }).pcpu_get_vm_areas;
    const vas = search.call(this.a, offsets, sizes, nr_vms, align);
    if (!vas) return null;
    const vms = vas.map(() => new vm_struct()); // kzalloc(sizeof(struct vm_struct)) each
    for (let area = 0; area < nr_vms; area++) this.setup_vmalloc_vm(vms[area]!, vas[area] as never, VM_ALLOC, 'pcpu_get_vm_areas');
    return vms;
  }

  /** pcpu_free_vm_areas(vms, nr_vms): free_vm_area() of each. */
  pcpu_free_vm_areas(vms: readonly vm_struct[], nr_vms: number): void {
    for (let i = 0; i < nr_vms; i++) this.free_vm_area(vms[i]!);
    // kfree(vms)
  }
}
