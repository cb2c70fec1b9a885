// SPDX-License-Identifier: GPL-2.0-only
/**
 * Page-table editing helpers for tests, benchmarks and boot code: map or unmap one page
 * under a root, allocating zeroed tables on the way down, and find the entry that
 * translates an address. They write through Machine.writeEntry, so the checker sees the
 * writes. (The kernel layer does its own walks with readEntry/writeEntry/allocFrame, as
 * mm/vmalloc.c does; these are not its implementation.) No TLB is flushed.
 */

import { LARGE_PAGE_SIZE, PAGE_SIZE, formatAddress, tableIndex } from './address.js';
import type { Machine } from './machine.js';
import { EntryBits, entryAddress, entryFrame, isPresent, makeEntry } from './pageTable.js';

/** Options of mapPage / unmapPage. */
export interface MapOptions {
  /** Map a 2 MiB page with a level-2 leaf (PS). Default false. */
  readonly large?: boolean;
  /**
   * Flags of new intermediate entries. Default P|RW for kernel-half addresses (the
   * kernel's _KERNPG_TABLE without A/D) and P|RW|US for user-half ones.
   */
  readonly tableFlags?: bigint;
}

/** Where an address's walk ends: the leaf entry or the first entry that is not present. */
export interface EntryLocation {
  readonly pa: number;
  readonly level: number;
  readonly entry: bigint;
}

/**
 * Point `va` at `frame` with `flags` (P is added; PS too for a large page) in the tables
 * under `root`, replacing any previous leaf. Returns the entry's physical address.
 */
export function mapPage(machine: Machine, root: number, va: number, frame: number, flags: bigint, options: MapOptions = {}): number {
  const large = options.large === true;
  const size = large ? LARGE_PAGE_SIZE : PAGE_SIZE;
  if (va % size !== 0) throw new RangeError(`${formatAddress(va)} is not aligned to its ${large ? '2 MiB' : '4 KiB'} page`);
  if (large && frame % 512 !== 0) throw new RangeError(`a 2 MiB page needs a frame that is a multiple of 512, got ${frame}`);
  const tableFlags = options.tableFlags ?? (va < 0 ? EntryBits.P | EntryBits.RW : EntryBits.P | EntryBits.RW | EntryBits.US);
  const leafLevel = large ? 2 : 1;
  let table = root;
  for (let level = machine.config.pagingLevels; level > leafLevel; level--) {
    const pa = entryAddress(table, tableIndex(va, level));
    const e = machine.readEntry(pa);
    if (!isPresent(e)) {
      const next = machine.allocFrame({ zero: true });
      if (next === null) throw new Error('physical memory is exhausted');
      machine.writeEntry(pa, makeEntry(next, tableFlags | EntryBits.P));
      table = next;
    } else {
      if ((e & EntryBits.PS) !== 0n) throw new Error(`${formatAddress(va)} is inside a large page mapped at level ${level}`);
      table = entryFrame(e);
    }
  }
  const pa = entryAddress(table, tableIndex(va, leafLevel));
  machine.writeEntry(pa, makeEntry(frame, flags | EntryBits.P | (large ? EntryBits.PS : 0n)));
  return pa;
}

/** Clear the leaf that maps `va` under `root`; returns the old entry (0n if there was none). */
export function unmapPage(machine: Machine, root: number, va: number): bigint {
  const loc = findEntry(machine, root, va);
  if (loc === null || !isPresent(loc.entry)) return 0n;
  return machine.clearEntry(loc.pa);
}

/** The leaf entry translating `va` under `root`, or the first not-present entry on the way. */
export function findEntry(machine: Machine, root: number, va: number): EntryLocation | null {
  let table = root;
  for (let level: number = machine.config.pagingLevels; level >= 1; level--) {
    const pa = entryAddress(table, tableIndex(va, level));
    const entry = machine.readEntry(pa);
    if (!isPresent(entry) || level === 1 || (level === 2 && (entry & EntryBits.PS) !== 0n)) return { pa, level, entry };
    table = entryFrame(entry);
  }
  return null;
}
