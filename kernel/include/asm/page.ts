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

/*
 * 5-level paging (LA57, pgtable_l5_enabled()): __VMALLOC_BASE_L5 and
 * VMALLOC_SIZE_TB_L5 = 12800 of arch/x86/include/asm/pgtable_64_types.h
 * (4.17+), VMALLOC_END = VMALLOC_START + (VMALLOC_SIZE_TB << 40) - 1.
 * VMALLOC_END is not exact in the signed view (it needs 54 significant
 * bits): held as a bigint, for the allocators with exact u64 (the wasm
 * cores); its signed-view number rounds to VMALLOC_END + 1.
 */
export const VMALLOC_START_5LEVEL: ulong = -0x60000000000000; // 0xffa0000000000000
export const VMALLOC_END_5LEVEL_U64 = 0xffd1ffffffffffffn;
