// SPDX-License-Identifier: GPL-2.0-only
/*
 * __vmalloc_node_range() over every API era, for kernel text that asks for
 * an aligned vmalloc (lib/test_vmalloc.c, alloc_thread_stack_node): the
 * vmalloc API interface has no aligned allocation, so this reaches the
 * era's own function.
 */

import type { Kernel } from '../../../boot.js';
import type { ulong } from '../../../include/u64.js';
import { GFP_KERNEL, __GFP_ZERO } from '../../page_alloc.js';
import { PAGE_KERNEL } from '../../pgtable.js';

interface node_range_2_6 {
  __vmalloc_node(size: ulong, align: ulong, gfp_mask: number, prot: bigint, node: number, caller: string): ulong;
}
interface node_range_6 {
  __vmalloc_node_range(size: ulong, align: ulong, start: ulong, end: ulong, gfp_mask: number, prot: bigint, vm_flags: number, node: number, caller: string): ulong;
}

/**
 * __vmalloc_node_range(size, align, VMALLOC_START, VMALLOC_END, GFP_KERNEL |
 * __GFP_ZERO, PAGE_KERNEL, 0, node 0, caller) on `cpu`: linux-6.1's (used by
 * 5.2, 6.1, 6.12, 7.3) __vmalloc_node_range, or 2.6.35's (2.6.35, 2.6.39,
 * 3.18) __vmalloc_node(size, align, gfp, prot, node, caller), which always
 * spans VMALLOC_START..VMALLOC_END (what __vmalloc_node_range over that
 * range does in later kernels).
 */
export function vmallocNodeRange(k: Kernel, cpu: number, size: ulong, align: ulong, caller: string): ulong {
  return k.call(cpu, '__vmalloc_node_range', (api) => {
    const a = api as unknown as Partial<node_range_6> & Partial<node_range_2_6>;
    if (a.__vmalloc_node_range) return a.__vmalloc_node_range(size, align, vmallocStart(api), vmallocEnd(api), GFP_KERNEL | __GFP_ZERO, PAGE_KERNEL, 0, 0, caller);
    if (a.__vmalloc_node) return a.__vmalloc_node(size, align, GFP_KERNEL | __GFP_ZERO, PAGE_KERNEL, 0, caller);
    throw new Error(`${api.era}: no __vmalloc_node_range or __vmalloc_node`);
  });
}

function vmallocStart(api: unknown): ulong {
  return (api as { k: { VMALLOC_START: ulong } }).k.VMALLOC_START;
}
function vmallocEnd(api: unknown): ulong {
  return (api as { k: { VMALLOC_END: ulong } }).k.VMALLOC_END;
}
