// SPDX-License-Identifier: GPL-2.0-only
/* x86-64 page constants (arch/x86/include/asm/page_types.h, pgtable_64_types.h). */

// SPDX-License-Identifier: GPL-2.0-only
/* x86-64 page constants (arch/x86/include/asm/page_types.h, pgtable_64_types.h). */
import type { ulong } from '../u64.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 0x1000;

/** VMALLOC_START / VMALLOC_END of x86-64 with 4-level paging (no KASLR). */
export const VMALLOC_START_4LEVEL: ulong = -0x370000000000; // 0xffffc90000000000
export const VMALLOC_END_4LEVEL: ulong = -0x170000000001; // 0xffffe8ffffffffff

/** x86-64 THREAD_SIZE (16 KiB since 3.15) and THREAD_ALIGN (= THREAD_SIZE without KASAN), page_64_types.h. */
export const THREAD_SIZE = 16384;
export const THREAD_ALIGN = 16384;
