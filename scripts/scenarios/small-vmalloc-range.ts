// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small vmalloc range on the x86-64 kernel, for the scenarios about
 * exhausting it (32-bit kernels had about 120 MiB). bootKernel has no option
 * for VMALLOC_START/VMALLOC_END, so the scenario reserves everything below
 * the top `bytes` of the range with one get_vm_area() on CPU 0, as the
 * first allocation after boot: it is never freed, and every later request
 * sees only [VMALLOC_END + 1 - bytes, VMALLOC_END].
 *
 * What differs from a real small range: the reservation is an area below
 * the window, so a version that keeps a guard gap after every area
 * (2.6.35 .. 2.6.39) cannot start a naturally aligned vmap block at the
 * window's first address (one block slot fewer than a real VMALLOC_START
 * would give it); and the last page of the window is VMALLOC_END itself,
 * which an allocation may not reach (addr + size > vend), as on x86-64.
 */

import type { Kernel } from '../../kernel/boot';
import type { ulong } from '../../kernel/include/u64';
import { VMALLOC_END_4LEVEL, VMALLOC_START_4LEVEL } from '../../kernel/include/asm/page';
import type { vm_struct_view } from '../../kernel/mm/vmalloc/api/common';

const PAGE_SIZE = 4096;

/** The window left to the workload. */
export interface SmallRange {
  /** First address of the window. */
  readonly start: ulong;
  /** VMALLOC_END (inclusive, as the kernel's constant). */
  readonly end: ulong;
  readonly bytes: number;
  /** The reservation below it. */
  readonly filler: vm_struct_view;
}

/** Reserve the x86-64 vmalloc range below its top `bytes` (a multiple of 4 MiB). */
export function shrinkVmallocRange(k: Kernel, bytes: number): SmallRange {
  const total = VMALLOC_END_4LEVEL - VMALLOC_START_4LEVEL + 1; // 32 TiB
  if (bytes <= 0 || bytes % (4 << 20) !== 0 || bytes >= total) throw new Error(`small vmalloc range: ${bytes} bytes is not a multiple of 4 MiB below 32 TiB`);
  // get_vm_area adds the guard page: the area is exactly [VMALLOC_START, VMALLOC_END + 1 - bytes).
  const filler = k.call(0, 'get_vm_area', (a) => a.get_vm_area(total - bytes - PAGE_SIZE, 0, 'vmapsim_small_range'));
  if (!filler || filler.addr !== VMALLOC_START_4LEVEL || filler.size !== total - bytes) throw new Error('small vmalloc range: the reservation did not land at VMALLOC_START');
  return { start: VMALLOC_START_4LEVEL + total - bytes, end: VMALLOC_END_4LEVEL, bytes, filler };
}
