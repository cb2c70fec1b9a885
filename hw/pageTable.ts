// SPDX-License-Identifier: GPL-2.0-only
/**
 * x86-64 paging-structure entries as exact u64 bigints (NX is bit 63): the bit names, and
 * helpers to build and take apart an entry. Entries live in physical frames; the kernel
 * layer reads and writes them with Machine.readEntry / writeEntry / clearEntry at a
 * physical address (tableFrame * 4096 + index * 8, see entryAddress).
 */

import { ENTRIES_PER_TABLE } from './address.js';

/** The architectural bits of a paging-structure entry. */
export const EntryBits = Object.freeze({
  /** Present. */
  P: 1n << 0n,
  /** Read/write (writes allowed when every level has it). */
  RW: 1n << 1n,
  /** User/supervisor (user access allowed when every level has it). */
  US: 1n << 2n,
  /** Page-level write-through. */
  PWT: 1n << 3n,
  /** Page-level cache disable. */
  PCD: 1n << 4n,
  /** Accessed: set by the walker on every entry it uses. */
  A: 1n << 5n,
  /** Dirty: set by the walker on the leaf for a write. */
  D: 1n << 6n,
  /** Page size: this level-2 entry maps a 2 MiB page. */
  PS: 1n << 7n,
  /** Global: the leaf's translation survives CR3 writes (with CR4.PGE). */
  G: 1n << 8n,
  /** Execute-disable. */
  NX: 1n << 63n,
});

/** The physical-address field, bits 12..51. */
export const ENTRY_ADDRESS_MASK = 0x000ffffffffff000n;

/** The largest frame number an entry can hold (bits 12..51). */
export const MAX_ENTRY_FRAME = 2 ** 40 - 1;

/** An entry pointing at `frame` with `flags` (EntryBits or-ed together). */
export function makeEntry(frame: number, flags: bigint): bigint {
  if (!Number.isInteger(frame) || frame < 0 || frame > MAX_ENTRY_FRAME) {
    throw new RangeError(`an entry's frame must be an integer from 0 to 2^40-1, got ${frame}`);
  }
  return BigInt.asUintN(64, (BigInt(frame) << 12n) | (flags & ~ENTRY_ADDRESS_MASK));
}

/** The frame number an entry points at. */
export function entryFrame(entry: bigint): number {
  return Number((entry & ENTRY_ADDRESS_MASK) >> 12n);
}

/** The entry's flag bits (everything outside the address field). */
export function entryFlags(entry: bigint): bigint {
  return BigInt.asUintN(64, entry) & ~ENTRY_ADDRESS_MASK;
}

/** Whether the entry's P bit is set. */
export function isPresent(entry: bigint): boolean {
  return (entry & EntryBits.P) !== 0n;
}

/** Physical address of entry `index` in the table held by `tableFrame`. */
export function entryAddress(tableFrame: number, index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= ENTRIES_PER_TABLE) {
    throw new RangeError(`a table index must be an integer from 0 to 511, got ${index}`);
  }
  return tableFrame * 4096 + index * 8;
}

/** `frame 0x1a2 P RW A G NX` — for reports and test messages. */
export function describeEntry(entry: bigint): string {
  const names = (Object.keys(EntryBits) as (keyof typeof EntryBits)[]).filter((k) => (entry & EntryBits[k]) !== 0n);
  return `frame 0x${entryFrame(entry).toString(16)}${names.length > 0 ? ' ' + names.join(' ') : ''}`;
}
