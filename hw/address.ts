// SPDX-License-Identifier: GPL-2.0-only
/**
 * Address arithmetic on the project's signed two's-complement view of u64 values:
 * a u64 `u` >= 2^63 is held as the JS number `u - 2^64`, so the kernel half of the
 * address space is negative. Every page-aligned canonical address is exact.
 */

/** Bytes in a small (4 KiB) page. */
export const PAGE_SIZE = 4096;
/** log2(PAGE_SIZE). */
export const PAGE_SHIFT = 12;
/** Bytes in a large (2 MiB) page. */
export const LARGE_PAGE_SIZE = 2 ** 21;
/** 4 KiB pages in one 2 MiB page. */
export const PAGES_PER_LARGE_PAGE = 512;
/** Entries in one paging-structure table at every level. */
export const ENTRIES_PER_TABLE = 512;

const TWO_64 = 2n ** 64n;

/** Divisors that turn a virtual page number into the page number at each level's granularity. */
const LEVEL_DIVISOR = [0, 1, 2 ** 9, 2 ** 18, 2 ** 27, 2 ** 36] as const;

/** Virtual (or physical) page number of an address: floor(addr / 4096), negative in the kernel half. */
export function pageNumber(addr: number): number {
  return Math.floor(addr / PAGE_SIZE);
}

/**
 * The 9-bit index into the paging-structure table of `level` (1 = page table, 2 = page
 * directory, 3 = PDPT, 4 = PML4, 5 = PML5) that translates `va`, computed from the u64 bit
 * pattern (correct for both halves).
 */
export function tableIndex(va: number, level: number): number {
  const divisor = LEVEL_DIVISOR[level];
  if (divisor === undefined || divisor === 0) {
    throw new RangeError(`paging level must be an integer from 1 to 5, got ${level}`);
  }
  return (Math.floor(pageNumber(va) / divisor) | 0) & 511;
}

/** Index at `level` of a virtual page number (see tableIndex); the hot-path form. */
export function pageTableIndex(pn: number, level: number): number {
  return (Math.floor(pn / LEVEL_DIVISOR[level]!) | 0) & 511;
}

/** Half the size of the canonical address space: 2^47 for 4-level paging, 2^56 for 5-level. */
export function canonicalHalf(levels: 4 | 5): number {
  return levels === 5 ? 2 ** 56 : 2 ** 47;
}

/** Whether `va` (signed view) is canonical under `levels`-level paging. */
export function isCanonical(va: number, levels: 4 | 5): boolean {
  const half = canonicalHalf(levels);
  return va >= -half && va < half;
}

/** The exact u64 bit pattern of a signed-view number (which must be an integer in [-2^63, 2^64)). */
export function toU64(value: number): bigint {
  if (!Number.isInteger(value) || value < -(2 ** 63) || value >= 2 ** 64) {
    throw new RangeError(`a u64 value must be an integer from -2^63 to 2^64-1, got ${value}`);
  }
  return BigInt.asUintN(64, BigInt(value));
}

/** The signed-view number of a u64 bit pattern (rounded to the nearest double if not exact). */
export function fromU64(value: bigint): number {
  return Number(BigInt.asIntN(64, value));
}

/** `0x`-prefixed, 16-digit hex of the u64 that a signed-view number stands for. */
export function formatAddress(value: number): string {
  let u = BigInt(Math.trunc(value));
  if (u < 0n) u += TWO_64;
  return '0x' + u.toString(16).padStart(16, '0');
}
