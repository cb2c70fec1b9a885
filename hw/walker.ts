// SPDX-License-Identifier: GPL-2.0-only
/**
 * The page walker: reads paging-structure entries from physical memory exactly as the
 * hardware does (4- or 5-level, 4 KiB and 2 MiB leaves), combines the rights along the
 * path (AND of R/W and U/S, OR of NX), and, for a successful access, sets A on every entry
 * used and D on the leaf for a write. The checker calls it with `update` false: a probe
 * that changes nothing. No paging-structure caches are modelled: every walk starts at CR3.
 */

import type { PhysicalMemory } from './physmem.js';
import { TLB_NX, TLB_RW, TLB_US } from './tlb.js';

/** Walk outcome codes. */
export const WALK_OK = 0;
export const WALK_NOT_PRESENT = 1;
export const WALK_RESERVED = 2;
export const WALK_PROTECTION = 3;

/** Access codes shared by walker and CPU. */
export const ACCESS_READ = 0;
export const ACCESS_WRITE = 1;
export const ACCESS_FETCH = 2;

const P = 0x1;
const RW = 0x2;
const US = 0x4;
const A = 0x20;
const D = 0x40;
const PS = 0x80;
const G = 0x100;
const TWO_20 = 1048576;
const DIVISOR = [0, 1, 2 ** 9, 2 ** 18, 2 ** 27, 2 ** 36];

/** What a walk found; one instance is reused per CPU (no allocation per walk). */
export class WalkResult {
  /** Frame of the accessed 4 KiB page (inside a large page: base frame + offset). */
  frame = 0;
  /** Frame of the leaf's page: the 2 MiB-aligned base for a large page. */
  baseFrame = 0;
  /** Whether the leaf is a 2 MiB page. */
  large = false;
  /** Combined rights as TLB flags (TLB_RW, TLB_US, TLB_NX). */
  rights = 0;
  /** The leaf's G bit. */
  global = false;
  /** The leaf's D bit after the walk. */
  dirty = false;
  /** Level of the entry that ended the walk (the leaf, or the one that faulted). */
  level = 0;
  /** Entries read. */
  entriesRead = 0;
  /** A/D bits the walk set. */
  accessedSets = 0;
  dirtySets = 0;
  /** Physical address of the entry used at each level (index = level; 0 unused). */
  readonly slots = new Float64Array(6);
  /** Low word of the entry read at each level. */
  readonly lows = new Uint32Array(6);
}

/**
 * Walk the tables rooted at frame `root` for virtual page `pn`. `access` is ACCESS_*;
 * `user` checks U/S; with `update`, A/D bits are written back when the access is allowed.
 * Returns WALK_OK or the fault code; `out` holds the details either way.
 */
export function walk(
  mem: PhysicalMemory,
  levels: number,
  root: number,
  pn: number,
  access: number,
  user: boolean,
  update: boolean,
  out: WalkResult,
): number {
  let table = root;
  let rw = RW;
  let us = US;
  let nx = 0;
  const slots = out.slots;
  const lows = out.lows;
  out.entriesRead = 0;
  out.accessedSets = 0;
  out.dirtySets = 0;
  out.large = false;
  for (let level = levels; level >= 1; level--) {
    const index = (Math.floor(pn / DIVISOR[level]!) | 0) & 511;
    const words = mem.words(table);
    const w = index << 1;
    const lo = words === undefined ? 0 : words[w]!;
    const hi = words === undefined ? 0 : words[w + 1]!;
    slots[level] = table * 4096 + index * 8;
    lows[level] = lo;
    out.entriesRead++;
    out.level = level;
    if ((lo & P) === 0) return WALK_NOT_PRESENT;
    rw &= lo;
    us &= lo;
    nx |= hi >>> 31;
    const frame = (lo >>> 12) + (hi & 0xfffff) * TWO_20;
    const leafLarge = level === 2 && (lo & PS) !== 0;
    if ((lo & PS) !== 0 && level >= 3) return WALK_RESERVED; // no 1 GiB pages on this machine
    if (leafLarge && (lo & 0x1fe000) !== 0) return WALK_RESERVED; // bits 13..20 of a 2 MiB PDE
    if (level === 1 || leafLarge) {
      const base = leafLarge ? frame - (frame & 511) : frame;
      out.large = leafLarge;
      out.baseFrame = base;
      out.frame = leafLarge ? base + ((pn | 0) & 511) : frame;
      out.rights = (rw !== 0 ? TLB_RW : 0) | (us !== 0 ? TLB_US : 0) | (nx !== 0 ? TLB_NX : 0);
      out.global = (lo & G) !== 0;
      out.dirty = (lo & D) !== 0;
      if ((access === ACCESS_WRITE && rw === 0) || (user && us === 0) || (access === ACCESS_FETCH && nx !== 0)) {
        out.level = 0;
        return WALK_PROTECTION;
      }
      if (update) setAccessedDirty(mem, levels, level, access === ACCESS_WRITE, out);
      return WALK_OK;
    }
    table = frame;
  }
  return WALK_NOT_PRESENT; // unreachable: level 1 is always a leaf
}

/** Write back A on every entry used (levels..leaf) and D on the leaf for a write. */
function setAccessedDirty(mem: PhysicalMemory, levels: number, leaf: number, write: boolean, out: WalkResult): void {
  for (let level = levels; level >= leaf; level--) {
    const lo = out.lows[level]!;
    let want = lo | A;
    if (write && level === leaf) want |= D;
    if (want !== lo) {
      const pa = out.slots[level]!;
      const f = Math.floor(pa / 4096);
      mem.wordsForWrite(f)[(pa - f * 4096) >>> 2] = want >>> 0;
      out.lows[level] = want;
      if ((lo & A) === 0) out.accessedSets++;
      if ((want & D) !== 0 && (lo & D) === 0) out.dirtySets++;
    }
  }
  if (write) out.dirty = true;
}
