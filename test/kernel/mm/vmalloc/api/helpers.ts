// SPDX-License-Identifier: GPL-2.0-only
/** Shared arrangements for the API-layer specs (not a spec itself). */

import { bootKernel, Kernel } from '../../../../../kernel/boot.js';
import type { page } from '../../../../../kernel/mm/page_alloc.js';

export const P = 4096;
/** 0xffffc90000000000 in the signed view (VMALLOC_START, 4-level). */
export const VSTART = -0x370000000000;

/* x86 PTE bits by hand (pgtable_types.h). */
export const _P = 1n, _RW = 2n, _PCD = 0x10n, _A = 0x20n, _D = 0x40n, _G = 0x100n, _NX = 1n << 63n;
/** PAGE_KERNEL: P|RW|A|D|G|NX. */
export const KERNEL_BITS = _P | _RW | _A | _D | _G | _NX;
/** PAGE_KERNEL_EXEC: PAGE_KERNEL without NX. */
export const KERNEL_EXEC_BITS = _P | _RW | _A | _D | _G;

/** The PTE of frame `pfn` with `bits`: pfn << 12 | bits. */
export function pte(pfn: number, bits: bigint): bigint {
  return BigInt.asUintN(64, (BigInt(pfn) << 12n) | bits);
}

/** A kernel of `version` on a small machine (2 CPUs, 256 MiB). */
export function boot(version: string, cpus = 2, api?: string): Kernel {
  const k = bootKernel({ version, cpus, machine: { physMemBytes: 256 * 2 ** 20 }, ...(api ? { api } : {}) });
  if (k.vmallocRange.start !== VSTART) throw new Error('unexpected VMALLOC_START');
  return k;
}

/** Record every flush_tlb_kernel_range the kernel issues (API layer and allocator), as [start, end] pairs. */
export function recordFlushes(k: Kernel): [number, number][] {
  const seen: [number, number][] = [];
  const kk = k as unknown as { flush_tlb_kernel_range: (s: number, e: number) => void };
  const orig = kk.flush_tlb_kernel_range.bind(k);
  kk.flush_tlb_kernel_range = (s: number, e: number) => {
    seen.push([s, e]);
    orig(s, e);
  };
  return seen;
}

/** The frames of `pages`. */
export function pfns(pages: readonly page[]): number[] {
  return pages.map((p) => p.pfn);
}

/** The frame each of `n` pages from `addr` maps (-1: none). */
export function mapped(k: Kernel, addr: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const e = k.pte(addr + i * P);
    out.push((e & 1n) === 1n ? Number((e >> 12n) & 0xffffffffffn) : -1);
  }
  return out;
}

/** The warnings so far, as [func, cond]. */
export function warnings(k: Kernel): [string, string][] {
  return k.warnings.map((w) => [w.func, w.cond]);
}

/** "0x%016lx" of a kernel address, by hand: 2^64 + addr for the signed view. */
export function hex16(addr: number): string {
  return '0x' + (2n ** 64n + BigInt(addr)).toString(16).padStart(16, '0');
}
