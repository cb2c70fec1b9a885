// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel page tables for the vmalloc range, in the machine's physical memory:
 * the map and unmap walks of mm/vmalloc.c (vmap_page_range and
 * vunmap_page_range with their p4d/pud/pmd/pte levels), the table
 * allocators they call (pte_alloc_kernel, pmd_alloc, pud_alloc, p4d_alloc),
 * and lib/ioremap.c's ioremap_page_range, on init_mm, whose kernel half every
 * CPU shares (machine.kernelRoot).
 *
 * Versions: the walk structure of linux-2.6.35 mm/vmalloc.c (vmap_page_range,
 * vunmap_page_range: pgd -> pud -> pmd -> pte) with the p4d level added in
 * 4.11 and used by 5-level paging; the same in 6.1 (vmap_pages_*_range,
 * vunmap_*_range), which differs only in names and huge-page attempts.
 * Upstream paths: mm/vmalloc.c, lib/ioremap.c (2.6.35) / mm/vmalloc.c
 * vmap_range_noflush (6.1), include/asm-generic/pgtable-nop4d.h.
 * Text read: mm/vmalloc.c of 2.6.35 and 6.1 (docs/sources.md#text-linux-2.6.35,
 * #text-linux-6.1).
 *
 * As in the kernel:
 * - new tables are zeroed pages, linked with _KERNPG_TABLE (P|RW|A|D);
 * - leaf PTEs of PAGE_KERNEL are P|RW|A|D|G|NX (global: CR3 writes keep them);
 * - unmapping clears leaf PTEs only (ptep_get_and_clear) and never frees a
 *   table, so tables stay allocated, empty, for reuse;
 * - nothing here flushes a TLB: callers do (or defer) that.
 * Huge (PMD) mappings are not attempted: every leaf is a 4 KiB PTE.
 */

import { COST_INDEX } from '../../hw/costs.js';
import { KernelBug } from '../include/asm-generic/bug.js';
import { EntryBits, Machine, entryAddress, entryFrame, isPresent, makeEntry, tableIndex } from '../../hw/index.js';
import type { page, page_alloc } from './page_alloc.js';
import { ult, type ulong } from '../include/u64.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
export const PMD_SHIFT = 21;
export const PMD_SIZE = 2 ** PMD_SHIFT;
export const PUD_SHIFT = 30;
export const PUD_SIZE = 2 ** PUD_SHIFT;
export const P4D_SHIFT = 39;
export const P4D_SIZE = 2 ** P4D_SHIFT;

/** pgprot_t: the flag bits of a leaf entry. */
export type pgprot_t = bigint;

const _PAGE_PRESENT = EntryBits.P;
const _PAGE_RW = EntryBits.RW;
const _PAGE_ACCESSED = EntryBits.A;
const _PAGE_DIRTY = EntryBits.D;
const _PAGE_GLOBAL = EntryBits.G;
const _PAGE_NX = EntryBits.NX;
const _PAGE_PCD = EntryBits.PCD;

/** _KERNPG_TABLE: how a kernel table is linked into the level above. */
export const _KERNPG_TABLE: bigint = _PAGE_PRESENT | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED;
/** PAGE_KERNEL (no PTI: _PAGE_GLOBAL survives __supported_pte_mask). */
export const PAGE_KERNEL: pgprot_t = _PAGE_PRESENT | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED | _PAGE_GLOBAL | _PAGE_NX;
/** PAGE_KERNEL_EXEC */
export const PAGE_KERNEL_EXEC: pgprot_t = PAGE_KERNEL & ~_PAGE_NX;
/** PAGE_KERNEL_IO_NOCACHE-like protection of x86 ioremap (UC- through PCD). */
export const PAGE_KERNEL_IO_NOCACHE: pgprot_t = PAGE_KERNEL | _PAGE_PCD;

/** pgprot_nx(prot) */
export function pgprot_nx(prot: pgprot_t): pgprot_t {
  return prot | _PAGE_NX;
}

/** The kernel's mm: its top-level table and what allocates its tables. */
export class mm_struct {
  /** Frame of the top-level table (swapper_pg_dir). */
  readonly pgd: number;
  /** 4 or 5 paging levels (5: the p4d level is real). */
  readonly levels: 4 | 5;

  constructor(
    readonly machine: Machine,
    readonly pages: page_alloc,
  ) {
    this.pgd = machine.kernelRoot;
    this.levels = machine.config.pagingLevels;
  }
}

/** Physical address of an entry: where a pgd_t/p4d_t/pud_t/pmd_t/pte_t pointer points. */
export type entry_ptr = number;

/** The address where the next table of `size` starts, or `end` if that comes first (p?d_addr_end). */
function addr_end(addr: ulong, end: ulong, size: number): ulong {
  const boundary = Math.floor(addr / size) * size + size;
  return ult(boundary - 1, end - 1) ? boundary : end;
}

export function pgd_addr_end(mm: mm_struct, addr: ulong, end: ulong): ulong {
  return addr_end(addr, end, mm.levels === 5 ? 2 ** 48 : 2 ** 39);
}
export function p4d_addr_end(addr: ulong, end: ulong): ulong {
  return addr_end(addr, end, P4D_SIZE);
}
export function pud_addr_end(addr: ulong, end: ulong): ulong {
  return addr_end(addr, end, PUD_SIZE);
}
export function pmd_addr_end(addr: ulong, end: ulong): ulong {
  return addr_end(addr, end, PMD_SIZE);
}

/** pgd_offset_k(addr) */
export function pgd_offset_k(mm: mm_struct, addr: ulong): entry_ptr {
  return entryAddress(mm.pgd, tableIndex(addr, mm.levels));
}

function none(mm: mm_struct, p: entry_ptr): boolean {
  return mm.machine.readEntry(p) === 0n;
}

/** Allocate a zeroed table and link it at `p` (the *_populate_kernel step); false on ENOMEM. */
function populate(mm: mm_struct, p: entry_ptr): boolean {
  const pg = mm.pages.alloc_pgtable_page();
  if (pg === null) return false;
  mm.machine.writeEntry(p, makeEntry(pg.pfn, _KERNPG_TABLE));
  return true;
}

/** The entry for `addr` at `level` in the table that the entry at `p` points to. */
function offset(mm: mm_struct, p: entry_ptr, addr: ulong, level: number): entry_ptr {
  return entryAddress(entryFrame(mm.machine.readEntry(p)), tableIndex(addr, level));
}

/** p4d_offset: with 4-level paging the p4d level is folded into the pgd (pgtable-nop4d.h). */
export function p4d_offset(mm: mm_struct, pgd: entry_ptr, addr: ulong): entry_ptr {
  return mm.levels === 5 ? offset(mm, pgd, addr, 4) : pgd;
}
export function pud_offset(mm: mm_struct, p4d: entry_ptr, addr: ulong): entry_ptr {
  return offset(mm, p4d, addr, 3);
}
export function pmd_offset(mm: mm_struct, pud: entry_ptr, addr: ulong): entry_ptr {
  return offset(mm, pud, addr, 2);
}
export function pte_offset_kernel(mm: mm_struct, pmd: entry_ptr, addr: ulong): entry_ptr {
  return offset(mm, pmd, addr, 1);
}

/** p4d_alloc(&init_mm, pgd, addr): null on ENOMEM. */
export function p4d_alloc(mm: mm_struct, pgd: entry_ptr, addr: ulong): entry_ptr | null {
  if (mm.levels === 4) return pgd;
  if (none(mm, pgd) && !populate(mm, pgd)) return null;
  return p4d_offset(mm, pgd, addr);
}
/** pud_alloc(&init_mm, p4d, addr) */
export function pud_alloc(mm: mm_struct, p4d: entry_ptr, addr: ulong): entry_ptr | null {
  if (none(mm, p4d) && !populate(mm, p4d)) return null;
  return pud_offset(mm, p4d, addr);
}
/** pmd_alloc(&init_mm, pud, addr) */
export function pmd_alloc(mm: mm_struct, pud: entry_ptr, addr: ulong): entry_ptr | null {
  if (none(mm, pud) && !populate(mm, pud)) return null;
  return pmd_offset(mm, pud, addr);
}
/** pte_alloc_kernel(pmd, addr) */
export function pte_alloc_kernel(mm: mm_struct, pmd: entry_ptr, addr: ulong): entry_ptr | null {
  if (none(mm, pmd) && !populate(mm, pmd)) return null;
  return pte_offset_kernel(mm, pmd, addr);
}

/**
 * Where the page-table walks report: a WARN_ON is reported and the walk goes
 * on; a BUG_ON does not return (the caller raises its version's KernelBug).
 */
export interface pgtable_report {
  WARN_ON(func: string, cond: string): void;
  BUG(func: string, cond: string): never;
}

/** The report of one kernel version: WARNs go to warn(), BUGs raise a KernelBug. */
export function pgtable_report_for(version: string, warn: (version: string, func: string, cond: string) => void): pgtable_report {
  return {
    WARN_ON: (func, cond) => warn(version, func, cond),
    BUG: (func, cond) => {
      throw new KernelBug(version, func, 0, cond);
    },
  };
}

const ENOMEM = 12;
const EBUSY = 16;

/*
 * vmap_page_range(start, end, prot, pages): map pages[*nr...] from start to
 * end; returns the number of pages mapped, or -errno. No TLB flush is needed:
 * x86 never caches a not-present entry (flush_cache_vmap is a no-op).
 */
export function vmap_page_range(mm: mm_struct, start: ulong, end: ulong, prot: pgprot_t, pages: readonly (page | null)[], report: pgtable_report): number {
  const nr = { n: 0 };
  let addr = start;
  if (!ult(addr, end)) report.BUG('vmap_page_range', 'addr >= end');
  let pgd = pgd_offset_k(mm, addr);
  let err = 0;
  do {
    const next = pgd_addr_end(mm, addr, end);
    err = vmap_p4d_range(mm, pgd, addr, next, prot, pages, nr, report);
    if (err) return err;
    pgd += 8;
    addr = next;
  } while (addr !== end);
  return nr.n;
}

function vmap_p4d_range(mm: mm_struct, pgd: entry_ptr, addr: ulong, end: ulong, prot: pgprot_t, pages: readonly (page | null)[], nr: { n: number }, report: pgtable_report): number {
  const first = p4d_alloc(mm, pgd, addr);
  if (first === null) return -ENOMEM;
  let p4d = first;
  do {
    const next = p4d_addr_end(addr, end);
    const err = vmap_pud_range(mm, p4d, addr, next, prot, pages, nr, report);
    if (err) return err;
    p4d += 8;
    addr = next;
  } while (addr !== end);
  return 0;
}

function vmap_pud_range(mm: mm_struct, p4d: entry_ptr, addr: ulong, end: ulong, prot: pgprot_t, pages: readonly (page | null)[], nr: { n: number }, report: pgtable_report): number {
  const first = pud_alloc(mm, p4d, addr);
  if (first === null) return -ENOMEM;
  let pud = first;
  do {
    const next = pud_addr_end(addr, end);
    const err = vmap_pmd_range(mm, pud, addr, next, prot, pages, nr, report);
    if (err) return err;
    pud += 8;
    addr = next;
  } while (addr !== end);
  return 0;
}

function vmap_pmd_range(mm: mm_struct, pud: entry_ptr, addr: ulong, end: ulong, prot: pgprot_t, pages: readonly (page | null)[], nr: { n: number }, report: pgtable_report): number {
  const first = pmd_alloc(mm, pud, addr);
  if (first === null) return -ENOMEM;
  let pmd = first;
  do {
    const next = pmd_addr_end(addr, end);
    const err = vmap_pte_range(mm, pmd, addr, next, prot, pages, nr, report);
    if (err) return err;
    pmd += 8;
    addr = next;
  } while (addr !== end);
  return 0;
}

function vmap_pte_range(mm: mm_struct, pmd: entry_ptr, addr: ulong, end: ulong, prot: pgprot_t, pages: readonly (page | null)[], nr: { n: number }, report: pgtable_report): number {
  // Nobody should be mapping here yet: a present PTE is a bug (WARN_ON).
  const first = pte_alloc_kernel(mm, pmd, addr);
  if (first === null) return -ENOMEM;
  let pte = first;
  do {
    const pg = pages[nr.n];
    if (mm.machine.readEntry(pte) !== 0n) {
      report.WARN_ON('vmap_pte_range', '!pte_none(*pte)');
      return -EBUSY;
    }
    if (!pg) {
      report.WARN_ON('vmap_pte_range', '!page');
      return -ENOMEM;
    }
    mm.machine.writeEntry(pte, makeEntry(pg.pfn, prot)); // set_pte_at(&init_mm, addr, pte, mk_pte(page, prot))
    chargePte(mm, COST_INDEX.pteWrite);
    nr.n++;
    pte += 8;
    addr += PAGE_SIZE;
  } while (addr !== end);
  return 0;
}

/*
 * ioremap_page_range(addr, end, phys_addr, prot): map a physical range
 * (lib/ioremap.c in 2.6.35; vmap_range_noflush in 6.1), 4 KiB at a time.
 */
export function ioremap_page_range(mm: mm_struct, addr: ulong, end: ulong, phys_addr: number, prot: pgprot_t, report: pgtable_report): number {
  const n = Math.round((end - addr) / PAGE_SIZE);
  const first = Math.floor(phys_addr / PAGE_SIZE);
  const frames: page[] = [];
  for (let i = 0; i < n; i++) frames.push({ pfn: first + i });
  const r = vmap_page_range(mm, addr, end, prot, frames, report);
  return r < 0 ? r : 0;
}

/*
 * vunmap_page_range(addr, end): clear every present leaf PTE in the range.
 * Tables are never freed. Absent tables are skipped (p?d_none_or_clear_bad).
 */
export function vunmap_page_range(mm: mm_struct, addr: ulong, end: ulong, report: pgtable_report): void {
  if (!ult(addr, end)) report.BUG('vunmap_page_range', 'addr >= end');
  let pgd = pgd_offset_k(mm, addr);
  do {
    const next = pgd_addr_end(mm, addr, end);
    if (!none(mm, pgd)) vunmap_p4d_range(mm, pgd, addr, next, report);
    pgd += 8;
    addr = next;
  } while (addr !== end);
}

function vunmap_p4d_range(mm: mm_struct, pgd: entry_ptr, addr: ulong, end: ulong, report: pgtable_report): void {
  let p4d = p4d_offset(mm, pgd, addr);
  do {
    const next = p4d_addr_end(addr, end);
    if (!none(mm, p4d)) vunmap_pud_range(mm, p4d, addr, next, report);
    p4d += 8;
    addr = next;
  } while (addr !== end);
}

function vunmap_pud_range(mm: mm_struct, p4d: entry_ptr, addr: ulong, end: ulong, report: pgtable_report): void {
  let pud = pud_offset(mm, p4d, addr);
  do {
    const next = pud_addr_end(addr, end);
    if (!none(mm, pud)) vunmap_pmd_range(mm, pud, addr, next, report);
    pud += 8;
    addr = next;
  } while (addr !== end);
}

function vunmap_pmd_range(mm: mm_struct, pud: entry_ptr, addr: ulong, end: ulong, report: pgtable_report): void {
  let pmd = pmd_offset(mm, pud, addr);
  do {
    const next = pmd_addr_end(addr, end);
    if (!none(mm, pmd)) vunmap_pte_range(mm, pmd, addr, next, report);
    pmd += 8;
    addr = next;
  } while (addr !== end);
}

function vunmap_pte_range(mm: mm_struct, pmd: entry_ptr, addr: ulong, end: ulong, report: pgtable_report): void {
  let pte = pte_offset_kernel(mm, pmd, addr);
  do {
    const m = mm.machine;
    if (m.readEntry(pte) !== 0n) {
      const ptent = m.clearEntry(pte); // ptep_get_and_clear(&init_mm, addr, pte)
      chargePte(mm, COST_INDEX.pteClear);
      if (!isPresent(ptent)) report.WARN_ON('vunmap_pte_range', '!pte_none(ptent) && !pte_present(ptent)');
    }
    pte += 8;
    addr += PAGE_SIZE;
  } while (addr !== end);
}

/** The modelled cost of one PTE store, to the CPU whose code runs (cost model, not kernel text). */
function chargePte(mm: mm_struct, index: number): void {
  const m = mm.machine;
  if (m.currentCpu >= 0) m.cpu(m.currentCpu).charge(index, m.costVector[index]!);
}

/** The leaf PTE mapping `addr` (0n if none, or if a table on the way is missing). For checks and dumps. */
export function lookup_pte(mm: mm_struct, addr: ulong): bigint {
  let p = pgd_offset_k(mm, addr);
  for (let level = mm.levels; level > 1; level--) {
    const e = mm.machine.readEntry(p);
    if (!isPresent(e)) return 0n;
    p = entryAddress(entryFrame(e), tableIndex(addr, level - 1));
  }
  return mm.machine.readEntry(p);
}

/** vmalloc_to_pfn(addr): the frame a present PTE maps, or -1. */
export function vmalloc_to_pfn(mm: mm_struct, addr: ulong): number {
  const e = lookup_pte(mm, addr);
  return isPresent(e) ? entryFrame(e) : -1;
}
