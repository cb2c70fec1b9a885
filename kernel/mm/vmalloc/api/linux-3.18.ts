// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vmalloc API layer of Linux 3.18: 2.6.39's (eager PTE clearing, dirty
 * bitmaps), plus Joonsoo Kim's 3.10 series that dropped vmlist (the
 * vm_struct hangs off va->vm and /proc/vmallocinfo walks vmap_area_list),
 * vm_unmap_aliases flushing one span per block, from the first to the last
 * dirty bit, instead of every run, and vb_alloc as a bump allocator (the
 * 3.x removal of vmap_block's alloc_map: a block hands out its pages in
 * order, from VMAP_BBMAP_BITS - vb->free, and never reuses freed space).
 *
 * Version: linux-3.18. Upstream path: mm/vmalloc.c. Text read:
 * mm/vmalloc.c (torvalds/linux @ 7ebdfaa52d15, index id 2879928;
 * docs/sources.md#text-linux-3.18): setup_vmalloc_vm, remove_vm_area, vb_alloc, vm_unmap_aliases,
 * s_show, get_vmalloc_info. Only what differs from linux-2.6.39.ts is here.
 */

import { list_del_rcu, list_head } from '../../../include/linux/list.js';
import { ULONG_MAX, ugt, ult, type ulong } from '../../../include/u64.js';
import { PAGE_SIZE } from '../../pgtable.js';
import { ERR_PTR, IS_ERR } from '../../../include/linux/errno.js';
import { find_first_bit, find_last_bit, get_order, ptr } from './common.js';
import { vmalloc_api_linux_2_6_39 } from './linux-2.6.39.js';
import { VM_ALLOC, VM_IOREMAP, VM_MAP, VM_USERMAP, VM_VM_AREA, VM_VPAGES, vm_struct, type vmap_area_2_6, vmap_block } from './linux-2.6.35.js';

export const VERSION = 'linux-3.18';

const VM_LAZY_FREE = 0x01;
const VM_LAZY_FREEING = 0x02;

export class vmalloc_api_linux_3_18 extends vmalloc_api_linux_2_6_39 {
  override readonly era: string = VERSION;
  protected override readonly version: string = VERSION;

  protected override va_vm(va: vmap_area_2_6): vm_struct | null {
    return ((va as unknown as { vm: unknown }).vm as vm_struct | null) ?? null;
  }

  protected override set_va_vm(va: vmap_area_2_6, vm: vm_struct | null): void {
    (va as unknown as { vm: unknown }).vm = vm;
  }

  /*
   * vb_alloc(): take 2^order pages from the first block of this CPU's queue
   * with that many free, at the first never-used page (blocks are bump
   * allocators: no alloc_map, freed pages only count as dirty); none, then a
   * new block. A zero size warns and returns NULL.
   */
  override vb_alloc(size: ulong, gfp_mask: number): ulong | ERR_PTR {
    let addr = 0;
    const BITS = this.VMAP_BBMAP_BITS;

    this.BUG_ON(size % PAGE_SIZE !== 0, 'vb_alloc', 'size & ~PAGE_MASK');
    this.BUG_ON(size > PAGE_SIZE * this.VMAP_MAX_ALLOC, 'vb_alloc', 'size > PAGE_SIZE*VMAP_MAX_ALLOC');
    if (this.WARN(size === 0, 'vb_alloc', 'size == 0')) return 0;
    const order = get_order(size);

    for (;;) {
      // again:
      const vbq = this.this_cpu_vbq();
      for (let l = vbq.free.next; l !== vbq.free; l = l.next) {
        const vb = l.owner as vmap_block;
        this.k.spin_lock('vb->lock', vb);
        if (vb.free < 2 ** order) {
          this.k.spin_unlock('vb->lock', vb);
          continue;
        }

        const i = BITS - vb.free;
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

      if (!addr) {
        const vb = this.new_vmap_block(gfp_mask);
        if (IS_ERR(vb)) return vb;
        continue; // goto again
      }

      return addr;
    }
  }

  /** setup_vmalloc_vm(): no vmlist any more. */
  override insert_vmalloc_vm(vm: vm_struct, va: vmap_area_2_6, flags: number, caller: string): void {
    this.k.spin_lock('vmap_area_lock');
    vm.flags = flags;
    vm.addr = va.va_start;
    vm.size = va.va_end - va.va_start;
    vm.caller = caller;
    this.set_va_vm(va, vm);
    va.flags |= VM_VM_AREA;
    this.k.spin_unlock('vmap_area_lock');
  }

  override remove_vm_area(addr: ulong): vm_struct | null {
    const va = this.a.find_vmap_area(addr);
    if (va && va.flags & VM_VM_AREA) {
      const vm = this.va_vm(va) as vm_struct;

      this.k.spin_lock('vmap_area_lock');
      this.set_va_vm(va, null);
      va.flags &= ~VM_VM_AREA;
      this.k.spin_unlock('vmap_area_lock');

      // vmap_debug_free_range(): CONFIG_DEBUG_PAGEALLOC is off.
      this.free_unmap_vmap_area(va);
      vm.size -= PAGE_SIZE;

      return vm;
    }
    return null;
  }

  /** One span per block: first dirty bit to last dirty bit. */
  override vm_unmap_aliases(): void {
    const range = { start: ULONG_MAX, end: 0 };
    let flush = 0;
    const BITS = this.VMAP_BBMAP_BITS;

    for (let cpu = 0; cpu < this.k.nr_cpu_ids; cpu++) {
      const vbq = this.vmap_block_queue[cpu]!;
      for (let l = vbq.free.next; l !== vbq.free; l = l.next) {
        const vb = l.owner as vmap_block;
        this.k.spin_lock('vb->lock', vb);
        const i = find_first_bit(vb.dirty_map, BITS);
        if (i < BITS) {
          let j = find_last_bit(vb.dirty_map, BITS);
          j = j + 1; // exclusive

          const s = vb.va.va_start + i * PAGE_SIZE;
          const e = vb.va.va_start + j * PAGE_SIZE;
          flush = 1;

          if (ult(s, range.start)) range.start = s;
          if (ugt(e, range.end)) range.end = e;
        }
        this.k.spin_unlock('vb->lock', vb);
      }
    }

    this.a.__purge_vmap_area_lazy(range, 1, flush);
  }

  /** s_show over vmap_area_list, areas that carry a vm_struct only. */
  override vmallocinfo(): string {
    let out = '';
    const head = this.a.vmap_area_list as list_head<vmap_area_2_6>;
    for (let l = head.next; l !== head; l = l.next) {
      const va = l.owner as vmap_area_2_6;
      if (!(va.flags & VM_VM_AREA)) continue;
      const v = this.va_vm(va) as vm_struct;
      let s = `${ptr(v.addr)}-${ptr(v.addr + v.size)} ${String(v.size).padStart(7)}`;
      if (v.caller) s += ` ${v.caller}`;
      if (v.nr_pages) s += ` pages=${v.nr_pages}`;
      if (v.phys_addr) s += ` phys=${v.phys_addr.toString(16)}`; // %llx
      if (v.flags & VM_IOREMAP) s += ' ioremap';
      if (v.flags & VM_ALLOC) s += ' vmalloc';
      if (v.flags & VM_MAP) s += ' vmap';
      if (v.flags & VM_USERMAP) s += ' user';
      if (v.flags & VM_VPAGES) s += ' vpages';
      s += this.show_numa_info(v);
      out += s + '\n';
    }
    return out;
  }

  /** get_vmalloc_info(): every area in the range not being lazily freed. */
  override vmalloc_used_kb(): number {
    let used = 0;
    const head = this.a.vmap_area_list as list_head<vmap_area_2_6>;
    for (let l = head.next; l !== head; l = l.next) {
      const va = l.owner as vmap_area_2_6;
      if (ult(va.va_start, this.k.VMALLOC_START)) continue;
      if (!ult(va.va_start, this.k.VMALLOC_END)) break;
      if (va.flags & (VM_LAZY_FREE | VM_LAZY_FREEING)) continue;
      used += va.va_end - va.va_start;
    }
    return Math.floor(used / 1024);
  }
}
