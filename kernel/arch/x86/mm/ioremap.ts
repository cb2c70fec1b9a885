// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86 ioremap()/iounmap() (arch/x86/mm/ioremap.c, __ioremap_caller and
 * iounmap), over an era's vmalloc API layer: the page-rounded span of the
 * physical range gets a VM_IOREMAP area (aligned by __get_vm_area_node to
 * the size's power of two, at most IOREMAP_MAX_ORDER), mapped with
 * ioremap_page_range; iounmap removes the area, lazily freed like any other.
 * Memory types (PAT, memtype reservation) are not modelled: the leaves get
 * PCD (UC-).
 * Versions: the same structure in 2.6.35 and 6.1 (text read:
 * docs/reference/vmalloc-history.md §1.8; x86 ioremap.c of 6.1 from memory
 * of its structure, [M]).
 */

import { ult, type ulong } from '../../../include/u64.js';
import type { vmalloc_api, vmalloc_context } from '../../../mm/vmalloc/api/common.js';
import { ioremap_page_range, pgtable_report_for, PAGE_KERNEL_IO_NOCACHE, PAGE_SIZE } from '../../../mm/pgtable.js';
import { KernelBug } from '../../../include/asm-generic/bug.js';

export const VM_IOREMAP = 0x1;

/** __ioremap_caller(phys_addr, size, pcm, caller): the mapped address (offset kept), or 0. */
export function __ioremap_caller(k: vmalloc_context, api: vmalloc_api, phys_addr: number, size: number, caller: string): ulong {
  const last_addr = phys_addr + size - 1;
  if (!size || last_addr < phys_addr) return 0;

  // Page-align the mapping; keep the offset for the caller.
  const offset = phys_addr % PAGE_SIZE;
  phys_addr -= offset;
  size = Math.ceil((last_addr + 1) / PAGE_SIZE) * PAGE_SIZE - phys_addr;

  const area = api.get_vm_area_caller(size, VM_IOREMAP, caller);
  if (!area) return 0;
  api.set_phys_addr(area, phys_addr);
  const vaddr = area.addr;

  if (ioremap_page_range(k.init_mm, vaddr, vaddr + size, phys_addr, PAGE_KERNEL_IO_NOCACHE, pgtable_report_for(api.era, (v, f, c) => k.warn(v, f, c))) < 0) {
    api.remove_vm_area(vaddr); // free_vm_area(area)
    return 0;
  }
  return vaddr + offset;
}

/** ioremap(phys_addr, size) */
export function ioremap(k: vmalloc_context, api: vmalloc_api, phys_addr: number, size: number, caller = 'ioremap'): ulong {
  return __ioremap_caller(k, api, phys_addr, size, caller);
}

/** iounmap(addr) */
export function iounmap(k: vmalloc_context, api: vmalloc_api, addr: ulong): void {
  // Only vmalloc-range mappings were made by ioremap (x86: addr <= high_memory returns).
  if (ult(addr, k.VMALLOC_START)) return;
  addr = Math.floor(addr / PAGE_SIZE) * PAGE_SIZE;

  const p = api.find_vm_area(addr);
  if (!p) {
    k.warn(api.era, 'iounmap', 'iounmap: bad address');
    return;
  }
  const o = api.remove_vm_area(addr);
  if (p !== o || o === null) throw new KernelBug(api.era, 'iounmap', 0, 'p != o || o == NULL', 'arch/x86/mm/ioremap.c');
}
