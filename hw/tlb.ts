// SPDX-License-Identifier: GPL-2.0-only
/**
 * One set-associative TLB structure (an L1 dTLB, the 2 MiB L1, or the STLB), held in
 * flat typed arrays so that a lookup allocates nothing. An entry is keyed by page number
 * (at its own page size), PCID and size, and holds the frame, the combined rights, the
 * global and dirty flags, and when and by whom it was filled (for the checker). A global
 * entry matches every PCID. Invalid slots have a NaN tag, which never compares equal.
 */

import type { ReplacementPolicy, TlbGeometry } from './config.js';
import type { Prng } from './prng.js';
import { declareStats } from './stats.js';

/** Entry flag bits (also the walker's rights encoding). */
export const TLB_VALID = 1;
export const TLB_GLOBAL = 2;
export const TLB_RW = 4;
export const TLB_US = 8;
export const TLB_NX = 16;
export const TLB_DIRTY = 32;
/** The entry maps a 2 MiB page (its tag is a 2 MiB page number). */
export const TLB_LARGE = 64;
/** The checker already reported this entry as stale. */
export const TLB_REPORTED = 128;

/** Counters of one TLB structure. */
export const TLB_STATS = declareStats({
  lookups: ['lookups', 'count', 'lookups in this structure'],
  hits: ['hits', 'count', 'lookups that found a matching entry'],
  misses: ['misses', 'count', 'lookups that found none'],
  fills: ['fills', 'count', 'entries inserted'],
  evictions: ['evictions', 'count', 'valid entries replaced to make room for a fill'],
  invalidations: ['invalidations', 'entries', 'entries removed by flush instructions'],
});

const LOOKUPS = TLB_STATS.index.lookups;
const HITS = TLB_STATS.index.hits;
const MISSES = TLB_STATS.index.misses;
const FILLS = TLB_STATS.index.fills;
const EVICTIONS = TLB_STATS.index.evictions;
const INVALIDATIONS = TLB_STATS.index.invalidations;

/** A readable copy of one entry. */
export interface TlbEntryView {
  readonly slot: number;
  readonly pageNumber: number;
  readonly pcid: number;
  readonly frame: number;
  readonly flags: number;
  readonly fillClock: number;
  readonly fillCycle: number;
  readonly fillTag: number;
}

/** One set-associative TLB structure. */
export class Tlb {
  /** Name in stat paths (`l1`, `l1huge`, `stlb`). */
  readonly name: string;
  readonly sets: number;
  readonly ways: number;
  readonly policy: ReplacementPolicy;
  /** Page number per slot (NaN = invalid). */
  readonly tag: Float64Array;
  readonly pcid: Int32Array;
  readonly flags: Uint8Array;
  /** Frame per slot (for a 2 MiB entry, the 2 MiB-aligned base frame). */
  readonly frame: Float64Array;
  readonly fillClock: Float64Array;
  readonly fillCycle: Float64Array;
  readonly fillTag: Int32Array;
  readonly stats: Float64Array = new Float64Array(TLB_STATS.decls.length);
  private readonly stamp: Float64Array;
  private readonly setMask: number;
  private readonly lru: boolean;
  private readonly rng: Prng;
  private tick = 0;
  private validCount = 0;
  private largeCount = 0;

  constructor(name: string, geometry: TlbGeometry, policy: ReplacementPolicy, rng: Prng) {
    const n = geometry.entries;
    this.name = name;
    this.ways = geometry.ways;
    this.sets = n / geometry.ways;
    this.setMask = this.sets - 1;
    this.policy = policy;
    this.lru = policy === 'lru';
    this.rng = rng;
    this.tag = new Float64Array(n).fill(NaN);
    this.pcid = new Int32Array(n);
    this.flags = new Uint8Array(n);
    this.frame = new Float64Array(n);
    this.fillClock = new Float64Array(n);
    this.fillCycle = new Float64Array(n);
    this.fillTag = new Int32Array(n);
    this.stamp = new Float64Array(n);
  }

  /** Bring derived counters up to date (lookups = hits + misses, not counted on the hot path). */
  syncStats(): void {
    this.stats[LOOKUPS] = this.stats[HITS]! + this.stats[MISSES]!;
  }

  /** Lookups that hit so far. */
  get hits(): number {
    return this.stats[HITS]!;
  }

  /** Valid entries held. */
  get valid(): number {
    return this.validCount;
  }

  /** Valid 2 MiB entries held. */
  get largeValid(): number {
    return this.largeCount;
  }

  /**
   * Slot of the entry for page `pn` of size `size` (0 or TLB_LARGE) usable under `pcid`,
   * or -1. Counts the lookup and refreshes LRU age on a hit.
   */
  lookup(pn: number, pcid: number, size: number): number {
    const st = this.stats;
    const tag = this.tag;
    const base = ((pn | 0) & this.setMask) * this.ways;
    const end = base + this.ways;
    for (let i = base; i < end; i++) {
      if (tag[i] === pn) {
        const f = this.flags[i]!;
        if ((f & TLB_LARGE) === size && ((f & TLB_GLOBAL) !== 0 || this.pcid[i] === pcid)) {
          st[HITS]!++;
          if (this.lru) this.stamp[i] = ++this.tick;
          return i;
        }
      }
    }
    st[MISSES]!++;
    return -1;
  }

  /** Insert an entry (flags must include TLB_VALID); returns its slot. */
  insert(pn: number, pcid: number, frame: number, flags: number, clock: number, cycle: number, fillTag: number): number {
    const base = ((pn | 0) & this.setMask) * this.ways;
    const i = this.victim(base);
    const st = this.stats;
    if (this.tag[i] === this.tag[i]) {
      st[EVICTIONS]!++;
      if (this.flags[i]! & TLB_LARGE) this.largeCount--;
    } else {
      this.validCount++;
    }
    if (flags & TLB_LARGE) this.largeCount++;
    st[FILLS]!++;
    this.tag[i] = pn;
    this.pcid[i] = pcid;
    this.flags[i] = flags;
    this.frame[i] = frame;
    this.fillClock[i] = clock;
    this.fillCycle[i] = cycle;
    this.fillTag[i] = fillTag;
    this.stamp[i] = ++this.tick;
    return i;
  }

  /**
   * Remove entries for page `pn` of size `size`: global ones if `global`, non-global ones
   * if `nonGlobal` and (pcid < 0 or their PCID is `pcid`). Returns how many.
   */
  invalidatePage(pn: number, size: number, pcid: number, nonGlobal: boolean, global: boolean): number {
    if (this.validCount === 0) return 0;
    const base = ((pn | 0) & this.setMask) * this.ways;
    let removed = 0;
    for (let i = base, end = base + this.ways; i < end; i++) {
      if (this.tag[i] === pn && (this.flags[i]! & TLB_LARGE) === size && this.matches(i, pcid, nonGlobal, global)) {
        this.drop(i);
        removed++;
      }
    }
    return removed;
  }

  /** Remove every entry selected as in invalidatePage, whatever its page. Returns how many. */
  invalidateAll(pcid: number, nonGlobal: boolean, global: boolean): number {
    if (this.validCount === 0) return 0;
    let removed = 0;
    const tag = this.tag;
    for (let i = 0, n = tag.length; i < n; i++) {
      if (tag[i] === tag[i] && this.matches(i, pcid, nonGlobal, global)) {
        this.drop(i);
        removed++;
      }
    }
    return removed;
  }

  /**
   * Drop entries for page `pn` of size `size` usable under `pcid` (its own or global)
   * without counting them as invalidations: the CPU refreshing an entry by itself.
   */
  discardPage(pn: number, size: number, pcid: number): void {
    if (this.validCount === 0) return;
    const base = ((pn | 0) & this.setMask) * this.ways;
    for (let i = base, end = base + this.ways; i < end; i++) {
      if (this.tag[i] === pn && (this.flags[i]! & TLB_LARGE) === size && this.matches(i, pcid, true, true)) {
        this.drop(i);
        this.stats[INVALIDATIONS]!--;
      }
    }
  }

  /** Set `bits` in the flags of every entry for page `pn` of size `size`, whatever its PCID. */
  markPage(pn: number, size: number, bits: number): void {
    const base = ((pn | 0) & this.setMask) * this.ways;
    for (let i = base, end = base + this.ways; i < end; i++) {
      if (this.tag[i] === pn && (this.flags[i]! & TLB_LARGE) === size) this.flags[i] = this.flags[i]! | bits;
    }
  }

  /** Copies of all valid entries, in slot order. */
  entries(): TlbEntryView[] {
    const out: TlbEntryView[] = [];
    for (let i = 0; i < this.tag.length; i++) {
      if (this.tag[i] !== this.tag[i]) continue;
      out.push({
        slot: i,
        pageNumber: this.tag[i]!,
        pcid: this.pcid[i]!,
        frame: this.frame[i]!,
        flags: this.flags[i]!,
        fillClock: this.fillClock[i]!,
        fillCycle: this.fillCycle[i]!,
        fillTag: this.fillTag[i]!,
      });
    }
    return out;
  }

  private matches(i: number, pcid: number, nonGlobal: boolean, global: boolean): boolean {
    if ((this.flags[i]! & TLB_GLOBAL) !== 0) return global;
    return nonGlobal && (pcid < 0 || this.pcid[i] === pcid);
  }

  private drop(i: number): void {
    if (this.flags[i]! & TLB_LARGE) this.largeCount--;
    this.tag[i] = NaN;
    this.flags[i] = 0;
    this.validCount--;
    this.stats[INVALIDATIONS]!++;
  }

  /** The slot to fill in the set starting at `base`: a free way, else by policy. */
  private victim(base: number): number {
    const end = base + this.ways;
    const tag = this.tag;
    for (let i = base; i < end; i++) if (tag[i] !== tag[i]) return i;
    if (!this.lru) return base + this.rng.below(this.ways);
    let best = base;
    let oldest = this.stamp[base]!;
    for (let i = base + 1; i < end; i++) {
      const s = this.stamp[i]!;
      if (s < oldest) {
        oldest = s;
        best = i;
      }
    }
    return best;
  }
}
