// SPDX-License-Identifier: GPL-2.0-only
/**
 * One emulated x86-64 CPU: CR3 (root frame + PCID), CR4.PGE/PCIDE, a two-level TLB, the
 * memory-access path (TLB → walk → fill, with typed faults), and the TLB-invalidation
 * instructions with their SDM semantics (Vol. 3A §4.10.4.1, see docs/machine.md):
 *
 * | instruction            | non-global entries               | global entries |
 * |------------------------|----------------------------------|----------------|
 * | INVLPG va              | that page, current PCID          | that page      |
 * | MOV CR3 (bit 63 clear) | all of the PCID being loaded     | kept           |
 * | MOV CR3 (bit 63 set)   | none                             | kept           |
 * | MOV CR4 changing PGE   | all                              | all            |
 * | INVPCID 0 (address)    | that page, given PCID            | kept           |
 * | INVPCID 1 (context)    | all of the given PCID            | kept           |
 * | INVPCID 2 (all)        | all                              | all            |
 * | INVPCID 3 (all, no G)  | all                              | kept           |
 * | INVLPGB (AMD)          | as asked, on every CPU, no IPI   | if asked       |
 */

import { LARGE_PAGE_SIZE, canonicalHalf, formatAddress } from './address.js';
import { COST_INDEX, COST_KEYS, COST_SPECS, type CostKey } from './costs.js';
import { type AccessType, GeneralProtection, InvalidOpcode, PageFault } from './faults.js';
import type { CoherenceChecker } from './checker.js';
import type { Machine } from './machine.js';
import type { PhysicalMemory } from './physmem.js';
import type { Prng } from './prng.js';
import { type StatSpec, declareStats, flushStats } from './stats.js';
import { TLB_DIRTY, TLB_GLOBAL, TLB_LARGE, TLB_NX, TLB_REPORTED, TLB_RW, TLB_US, TLB_VALID, Tlb } from './tlb.js';
import {
  ACCESS_FETCH,
  ACCESS_READ,
  ACCESS_WRITE,
  WALK_NOT_PRESENT,
  WALK_OK,
  WALK_PROTECTION,
  WalkResult,
  walk,
} from './walker.js';

/** Per-CPU event counters. The first three are indexed by access code (read, write, fetch). */
export const CPU_STATS = declareStats({
  reads: ['access.reads', 'count', 'data reads translated'],
  writes: ['access.writes', 'count', 'data writes translated'],
  fetches: ['access.fetches', 'count', 'instruction fetches translated'],
  faultNotPresent: ['fault.notPresent', 'count', 'page faults raised because an entry on the walk was not present'],
  faultProtection: ['fault.protection', 'count', 'page faults raised because the combined rights refused the access'],
  faultReserved: ['fault.reserved', 'count', 'page faults raised for a reserved bit (PS above level 2, bad 2 MiB address)'],
  faultNonCanonical: ['fault.nonCanonical', 'count', 'general-protection faults for non-canonical addresses'],
  walks: ['walk.walks', 'count', 'page walks (TLB misses, dirty assists and rights re-walks)'],
  walkEntryReads: ['walk.entryReads', 'entries', 'paging-structure entries read by walks'],
  walkAccessedSets: ['walk.accessedSets', 'count', 'A bits set by walks'],
  walkDirtySets: ['walk.dirtySets', 'count', 'D bits set by walks'],
  dirtyAssists: ['walk.dirtyAssists', 'count', 'writes that hit a clean entry and re-walked to set D'],
  rightsRewalks: ['walk.rightsRewalks', 'count', 'hits whose cached rights refused the access and re-walked'],
  ...flushStats('invlpg', 'invlpg', 'INVLPG'),
  ...flushStats('cr3', 'cr3', 'flushing MOV to CR3'),
  ...flushStats('cr4', 'cr4', 'MOV to CR4 changing PGE (or clearing PCIDE)'),
  ...flushStats('invpcid0', 'invpcid0', 'INVPCID type 0'),
  ...flushStats('invpcid1', 'invpcid1', 'INVPCID type 1'),
  ...flushStats('invpcid2', 'invpcid2', 'INVPCID type 2'),
  ...flushStats('invpcid3', 'invpcid3', 'INVPCID type 3'),
  ...flushStats('invlpgb', 'invlpgb', 'INVLPGB broadcasts received'),
  cr3Writes: ['cr3.writes', 'count', 'MOV to CR3'],
  cr3NoFlushWrites: ['cr3.noFlushWrites', 'count', 'MOV to CR3 with the PCID no-flush bit 63 set'],
  cr4Writes: ['cr4.writes', 'count', 'MOV to CR4'],
  invlpgbIssued: ['invlpgb.issued', 'count', 'INVLPGB instructions issued by this CPU'],
  tlbsyncs: ['invlpgb.tlbsyncs', 'count', 'TLBSYNC instructions'],
  ipiSentCal: ['ipi.sent.CAL', 'count', 'IPIs sent on the call-function vector (per target)'],
  ipiSentTlb: ['ipi.sent.TLB', 'count', 'IPIs sent on the TLB-shootdown vector (per target)'],
  ipiReceivedCal: ['ipi.received.CAL', 'count', 'call-function interrupts handled (/proc/interrupts CAL)'],
  ipiReceivedTlb: ['ipi.received.TLB', 'count', 'TLB-shootdown interrupts handled (/proc/interrupts TLB)'],
  ipiMerged: ['ipi.mergedAtTarget', 'count', 'IPIs that found the vector already pending at the target'],
  callQueued: ['call.queued', 'count', 'call-function requests this CPU queued for other CPUs'],
  callCoalesced: ['call.coalesced', 'count', 'requests queued without an IPI because the target queue was not empty'],
  callHandled: ['call.handled', 'count', 'requests from other CPUs run from this CPU\'s queue'],
  callLocal: ['call.local', 'count', 'functions the initiator ran locally'],
  callWaits: ['call.waits', 'count', 'call-function operations that waited for ACKs'],
  csdLockWaits: ['call.csdLockWaits', 'count', 'requests that had to wait for this CPU\'s previous request to the same target'],
  migrationsIn: ['sched.migrationsIn', 'count', 'tasks pulled to this CPU when a kworker preempted them elsewhere (timed mode)'],
});

const CYCLE_SPECS = Object.fromEntries([
  ...COST_KEYS.map((k): [string, StatSpec] => [k, [`cycles.${k}`, 'cycles', COST_SPECS[k].description]]),
  ['handlerWait', ['cycles.handlerWait', 'cycles', 'time a waiting sender spent while the slowest target ran its handler']],
  ['lockWait', ['cycles.lockWait', 'cycles', 'time spent spinning for a spinlock another CPU held (timed mode)']],
  ['mutexWait', ['cycles.mutexWait', 'cycles', 'time a task slept waiting for a mutex another CPU held (timed mode)']],
  ['workWait', ['cycles.workWait', 'cycles', 'time a task waited in flush_work() for work running elsewhere (timed mode)']],
]) as { readonly [K in WaitKey]: StatSpec };

/** Per-CPU modelled cycles, one bucket per cost (same order as COST_KEYS) plus handler wait. */
export const CYCLE_STATS = declareStats<WaitKey>(CYCLE_SPECS);

/** A cost bucket or one of the waits that are measured, not priced. */
export type WaitKey = CostKey | 'handlerWait' | 'lockWait' | 'mutexWait' | 'workWait';

const S = CPU_STATS.index;
const C = COST_INDEX;
const ACCESS_NAMES: readonly AccessType[] = ['read', 'write', 'fetch'];

/** Arguments of INVLPGB (AMD APM: RAX, ECX, EDX operands). */
export interface InvlpgbOptions {
  /** First page (VA-valid); omitted: every address. */
  readonly va?: number;
  /** Pages to invalidate from `va` (ECX[15:0] + 1); default 1. */
  readonly pages?: number;
  /** Stride between pages: 2 MiB instead of 4 KiB (ECX bit 31). */
  readonly largeStride?: boolean;
  /** Only entries of this PCID (PCID-valid); omitted: every PCID. */
  readonly pcid?: number;
  /** Also remove global entries. */
  readonly includeGlobal?: boolean;
  /** Leave paging-structure caches alone (no effect here: none are modelled). */
  readonly finalOnly?: boolean;
}

/** Result of a non-throwing translation. */
export type TranslateOutcome =
  | { readonly ok: true; readonly pa: number }
  | { readonly ok: false; readonly fault: PageFault | GeneralProtection };

/** One emulated CPU. */
export class Cpu {
  readonly id: number;
  /** L1 dTLB for 4 KiB pages. */
  readonly l1: Tlb;
  /** L1 dTLB for 2 MiB pages. */
  readonly l1Huge: Tlb;
  /** Second-level TLB, 4 KiB and 2 MiB. */
  readonly stlb: Tlb;
  /** Event counters (CPU_STATS). */
  readonly stats: Float64Array = new Float64Array(CPU_STATS.decls.length);
  /** Modelled cycles per cost (CYCLE_STATS). */
  readonly cycles: Float64Array = new Float64Array(CYCLE_STATS.decls.length);

  private readonly m: Machine;
  private readonly mem: PhysicalMemory;
  private readonly checker: CoherenceChecker;
  private readonly hitCost: number;
  private base = 0;
  private readonly levels: number;
  private readonly half: number;
  private readonly cost: Float64Array;
  private readonly w = new WalkResult();
  private rootFrame: number;
  private pcidValue = 0;
  private pcideOn: boolean;
  private pgeOn: boolean;
  private userOn = false;
  private needRead = 0;
  private needWrite = TLB_RW;
  /** Per access code: flag bits that decide whether a hit can be used as is, and their wanted values. */
  private readonly fastMask = Int32Array.of(0, TLB_RW | TLB_DIRTY, TLB_NX);
  private readonly fastWant = Int32Array.of(0, TLB_RW | TLB_DIRTY, 0);
  private tagId = 0;
  private refreshed = false;
  private unsynced = 0;

  constructor(machine: Machine, id: number, rng: Prng) {
    const cfg = machine.config;
    this.m = machine;
    this.id = id;
    this.mem = machine.mem;
    this.levels = cfg.pagingLevels;
    this.half = canonicalHalf(cfg.pagingLevels);
    this.cost = machine.costVector;
    this.checker = machine.checker;
    this.hitCost = machine.costVector[C.tlbHit]!;
    this.l1 = new Tlb('l1', cfg.l1, cfg.replacement, rng.fork(1));
    this.l1Huge = new Tlb('l1huge', cfg.l1Huge, cfg.replacement, rng.fork(2));
    this.stlb = new Tlb('stlb', cfg.stlb, cfg.replacement, rng.fork(3));
    this.rootFrame = machine.kernelRoot;
    this.pcideOn = cfg.pcid;
    this.pgeOn = cfg.pge;
  }

  /**
   * Modelled cycles so far. L1 hits are charged lazily (hits × tlbHit) so the hit path
   * does no cycle arithmetic.
   */
  get now(): number {
    return this.base + (this.l1.hits + this.l1Huge.hits) * this.hitCost;
  }

  /** Bring derived counters up to date (cycles.tlbHit, TLB lookups); reports call this. */
  syncStats(): void {
    this.cycles[C.tlbHit] = (this.l1.hits + this.l1Huge.hits) * this.hitCost;
    this.l1.syncStats();
    this.l1Huge.syncStats();
    this.stlb.syncStats();
  }

  /** Frame of the top-level table CR3 points at. */
  get root(): number {
    return this.rootFrame;
  }

  /** Current PCID (CR3[11:0]; 0 while CR4.PCIDE is clear). */
  get pcid(): number {
    return this.pcidValue;
  }

  /** CR4.PCIDE. */
  get pcide(): boolean {
    return this.pcideOn;
  }

  /** CR4.PGE. */
  get pge(): boolean {
    return this.pgeOn;
  }

  /** Whether accesses are made at CPL 3 (checked against U/S). */
  get userMode(): boolean {
    return this.userOn;
  }

  /** Run later accesses at CPL 3 (true) or CPL 0 (false). */
  setUserMode(user: boolean): void {
    this.userOn = user;
    this.needRead = user ? TLB_US : 0;
    this.needWrite = TLB_RW | (user ? TLB_US : 0);
    const us = user ? TLB_US : 0;
    this.fastMask.set([us, TLB_RW | TLB_DIRTY | us, TLB_NX | us]);
    this.fastWant.set([us, TLB_RW | TLB_DIRTY | us, us]);
  }

  /** Name the code now running on this CPU; TLB fills remember it (the checker's "by whom"). */
  setContext(label: string): void {
    this.tagId = this.m.intern(label);
  }

  /** setContext with a label number the caller interned (Machine.intern) and keeps. */
  setContextId(id: number): void {
    this.tagId = id;
  }

  /** The label given to setContext (or "-"). */
  get context(): string {
    return this.m.label(this.tagId);
  }

  // ---- memory access ------------------------------------------------------------------

  /** Byte at `va`. */
  read8(va: number): number {
    return this.mem.read8(this.xlate(va, ACCESS_READ));
  }

  /** Store a byte at `va`. */
  write8(va: number, value: number): void {
    this.mem.write8(this.xlate(va, ACCESS_WRITE), value);
  }

  /** Unsigned 32-bit word at the 4-byte-aligned `va`. */
  read32(va: number): number {
    return this.mem.read32(this.xlate(va, ACCESS_READ));
  }

  /** Store a 32-bit word at the 4-byte-aligned `va`. */
  write32(va: number, value: number): void {
    this.mem.write32(this.xlate(va, ACCESS_WRITE), value);
  }

  /** 64-bit word at the 8-byte-aligned `va`, as a signed-view number. */
  read64(va: number): number {
    if ((va & 7) !== 0) return unaligned(va, 8);
    return this.mem.read64Trusted(this.xlate(va, ACCESS_READ));
  }

  /** Store a signed-view number at the 8-byte-aligned `va`. */
  write64(va: number, value: number): void {
    this.mem.write64(this.xlate(va, ACCESS_WRITE), value);
  }

  /** Exact 64-bit word at the 8-byte-aligned `va`. */
  readU64(va: number): bigint {
    return this.mem.readU64(this.xlate(va, ACCESS_READ));
  }

  /** Store an exact 64-bit word at the 8-byte-aligned `va`. */
  writeU64(va: number, value: bigint): void {
    this.mem.writeU64(this.xlate(va, ACCESS_WRITE), value);
  }

  /** Instruction-fetch a byte at `va` (checks NX). */
  fetch8(va: number): number {
    return this.mem.read8(this.xlate(va, ACCESS_FETCH));
  }

  /** Physical address `va` translates to for `access`, through the TLB; throws PageFault / GeneralProtection. */
  translate(va: number, access: AccessType = 'read'): number {
    return this.xlate(va, access === 'read' ? ACCESS_READ : access === 'write' ? ACCESS_WRITE : ACCESS_FETCH);
  }

  /** translate() returning the fault instead of throwing it. */
  tryTranslate(va: number, access: AccessType = 'read'): TranslateOutcome {
    try {
      return { ok: true, pa: this.translate(va, access) };
    } catch (e) {
      if (e instanceof PageFault || e instanceof GeneralProtection) return { ok: false, fault: e };
      throw e;
    }
  }

  // ---- TLB-invalidation instructions ------------------------------------------------------

  /** INVLPG: remove `va`'s page for the current PCID, and global entries for it in any PCID. */
  invlpg(va: number): void {
    this.m.clock++;
    this.charge(C.invlpg, this.cost[C.invlpg]!);
    let removed = 0;
    const pn = Math.floor(va / 4096);
    if (va >= -this.half && va < this.half) removed = this.invalidatePage(pn, this.pcidValue, true, true); // non-canonical: a NOP
    this.countFlush(S.invlpgRequested, removed);
    if (this.m.checker.enabled) this.m.checker.recordPageFlush(pn, this.id, this.now, 'invlpg', removed);
  }

  /**
   * MOV to CR3: load `root` (a table frame) and `pcid`. Unless `noFlush` (bit 63, only with
   * CR4.PCIDE), flush the non-global entries of the PCID being loaded.
   */
  writeCr3(root: number, options: { readonly pcid?: number; readonly noFlush?: boolean } = {}): void {
    const pcid = options.pcid ?? 0;
    const noFlush = options.noFlush ?? false;
    this.m.clock++;
    this.charge(C.cr3Write, this.cost[C.cr3Write]!);
    if (!Number.isInteger(root) || root < 0 || root >= this.mem.frameCount) {
      throw new GeneralProtection(this.id, `CR3 root frame ${root} is outside physical memory`);
    }
    if (!Number.isInteger(pcid) || pcid < 0 || pcid > 4095) {
      throw new GeneralProtection(this.id, `a PCID must be an integer from 0 to 4095, got ${pcid}`);
    }
    if (!this.pcideOn && (pcid !== 0 || noFlush)) {
      throw new GeneralProtection(this.id, 'CR3 PCID bits and bit 63 need CR4.PCIDE');
    }
    this.stats[S.cr3Writes]!++;
    this.rootFrame = root;
    this.pcidValue = pcid;
    if (noFlush) {
      this.stats[S.cr3NoFlushWrites]!++;
      return;
    }
    const removed = this.invalidateAll(pcid, true, false);
    this.countFlush(S.cr3Requested, removed);
    if (this.m.checker.enabled) this.m.checker.recordFullFlush(this.id, this.now, 'cr3', removed);
  }

  /**
   * MOV to CR4, changing PGE and/or PCIDE. A change of PGE (either way), or clearing PCIDE,
   * flushes every entry of every PCID, globals included.
   */
  writeCr4(bits: { readonly pge?: boolean; readonly pcide?: boolean }): void {
    const pge = bits.pge ?? this.pgeOn;
    const pcide = bits.pcide ?? this.pcideOn;
    this.m.clock++;
    this.charge(C.cr4Write, this.cost[C.cr4Write]!);
    if (pge && !this.m.config.pge) throw new GeneralProtection(this.id, 'CR4.PGE cannot be set: this CPU has no global pages');
    if (pcide && !this.m.config.pcid) throw new GeneralProtection(this.id, 'CR4.PCIDE cannot be set: this CPU has no PCIDs');
    if (pcide && !this.pcideOn && this.pcidValue !== 0) throw new GeneralProtection(this.id, 'CR4.PCIDE can be set only with PCID 0 in CR3');
    this.stats[S.cr4Writes]!++;
    const flush = pge !== this.pgeOn || (this.pcideOn && !pcide);
    this.pgeOn = pge;
    if (this.pcideOn && !pcide) this.pcidValue = 0;
    this.pcideOn = pcide;
    if (!flush) return;
    const removed = this.invalidateAll(-1, true, true);
    this.countFlush(S.cr4Requested, removed);
    if (this.m.checker.enabled) this.m.checker.recordFullFlush(this.id, this.now, 'cr4', removed);
  }

  /**
   * Flush everything, globals included, the way Linux's native_flush_tlb_global() does
   * without INVPCID: write CR4 with PGE flipped, then write it back (two flushing writes).
   */
  toggleCr4Pge(): void {
    const pge = this.pgeOn;
    this.writeCr4({ pge: !pge });
    this.writeCr4({ pge });
  }

  /**
   * INVPCID of `type`: 0 = one address in `pcid` (non-global), 1 = all non-global entries
   * of `pcid`, 2 = everything incl. globals, 3 = everything but globals.
   */
  invpcid(type: 0 | 1 | 2 | 3, pcid = 0, va = 0): void {
    if (!this.m.config.invpcid) throw new InvalidOpcode(this.id, 'INVPCID');
    this.m.clock++;
    this.charge(type === 0 ? C.invpcidAddress : C.invpcidContext, this.cost[type === 0 ? C.invpcidAddress : C.invpcidContext]!);
    if (type !== 0 && type !== 1 && type !== 2 && type !== 3) throw new GeneralProtection(this.id, `INVPCID type ${String(type)} is invalid`);
    if (type <= 1) {
      if (!Number.isInteger(pcid) || pcid < 0 || pcid > 4095) throw new GeneralProtection(this.id, `INVPCID PCID ${pcid} is out of range`);
      if (!this.pcideOn && pcid !== 0) throw new GeneralProtection(this.id, 'INVPCID types 0 and 1 can name only PCID 0 while CR4.PCIDE is clear');
    }
    const checker = this.m.checker;
    let removed: number;
    if (type === 0) {
      if (!(va >= -this.half && va < this.half)) throw new GeneralProtection(this.id, `INVPCID address ${formatAddress(va)} is not canonical`);
      const pn = Math.floor(va / 4096);
      removed = this.invalidatePage(pn, pcid, true, false);
      this.countFlush(S.invpcid0Requested, removed);
      if (checker.enabled) checker.recordPageFlush(pn, this.id, this.now, 'invpcid0', removed);
      return;
    }
    if (type === 1) {
      removed = this.invalidateAll(pcid, true, false);
      this.countFlush(S.invpcid1Requested, removed);
    } else if (type === 2) {
      removed = this.invalidateAll(-1, true, true);
      this.countFlush(S.invpcid2Requested, removed);
    } else {
      removed = this.invalidateAll(-1, true, false);
      this.countFlush(S.invpcid3Requested, removed);
    }
    if (checker.enabled) checker.recordFullFlush(this.id, this.now, `invpcid${type}`, removed);
  }

  /**
   * AMD INVLPGB: broadcast an invalidation to every CPU's TLB (this one included) without
   * interrupts. Takes effect at once on every CPU; TLBSYNC is still owed (and counted).
   */
  invlpgb(options: InvlpgbOptions = {}): void {
    if (!this.m.config.invlpgb) throw new InvalidOpcode(this.id, 'INVLPGB');
    this.m.clock++;
    this.charge(C.invlpgb, this.cost[C.invlpgb]!);
    const pages = options.pages ?? 1;
    if (!Number.isInteger(pages) || pages < 1 || pages > 65536) {
      throw new GeneralProtection(this.id, `INVLPGB page count must be an integer from 1 to 65536, got ${pages}`);
    }
    const pcid = options.pcid ?? -1;
    if (pcid !== -1 && (!Number.isInteger(pcid) || pcid < 0 || pcid > 4095)) {
      throw new GeneralProtection(this.id, `INVLPGB PCID ${pcid} is out of range`);
    }
    const va = options.va;
    if (va !== undefined && !(va >= -this.half && va < this.half)) {
      throw new GeneralProtection(this.id, `INVLPGB address ${formatAddress(va)} is not canonical`);
    }
    this.stats[S.invlpgbIssued]!++;
    this.unsynced++;
    this.m.broadcastInvalidate(this.id, va === undefined ? null : Math.floor(va / 4096), pages, options.largeStride === true ? 512 : 1, pcid, options.includeGlobal === true);
  }

  /** TLBSYNC: wait until this CPU's INVLPGBs are done everywhere. */
  tlbsync(): void {
    if (!this.m.config.invlpgb) throw new InvalidOpcode(this.id, 'TLBSYNC');
    this.m.clock++;
    this.stats[S.tlbsyncs]!++;
    if (this.unsynced > 0) this.charge(C.tlbsync, this.cost[C.tlbsync]!);
    this.unsynced = 0;
  }

  /** INVLPGBs issued since the last TLBSYNC. */
  get invlpgbOutstanding(): number {
    return this.unsynced;
  }

  // ---- used by the machine ---------------------------------------------------------------

  /** Apply one received INVLPGB (see Machine.broadcastInvalidate); returns entries removed. */
  receiveInvlpgb(firstPn: number | null, pages: number, stride: number, pcid: number, includeGlobal: boolean): number {
    let removed = 0;
    if (firstPn === null) {
      removed = this.invalidateAll(pcid, true, includeGlobal);
    } else {
      for (let k = 0; k < pages; k++) removed += this.invalidatePage(firstPn + k * stride, pcid, true, includeGlobal);
    }
    this.countFlush(S.invlpgbRequested, removed);
    return removed;
  }

  /** Flag every cached copy of page `pn` (both sizes) as already reported by the checker. */
  markReported(pn: number): void {
    const pn2 = Math.floor(pn / 512);
    this.l1.markPage(pn, 0, TLB_REPORTED);
    this.stlb.markPage(pn, 0, TLB_REPORTED);
    this.l1Huge.markPage(pn2, TLB_LARGE, TLB_REPORTED);
    this.stlb.markPage(pn2, TLB_LARGE, TLB_REPORTED);
  }

  /** Cycles this CPU spent idle (timed mode: nothing to run until a wake-up). */
  idleCycles = 0;

  /** Idle until modelled time `t` (nothing happens when the clock is already there). */
  idleUntil(t: number): void {
    const dt = t - this.now;
    if (dt <= 0) return;
    this.idleCycles += dt;
    this.base += dt;
  }

  /**
   * Add `cycles` to cost bucket `index` (a COST_INDEX or CYCLE_STATS index).
   * Priced work (a COST_INDEX) also takes the time it waits for a host core
   * when the vCPUs share fewer host cores (Machine.host, bucket
   * cycles.hostCores); a measured wait is already time and is not stretched.
   */
  charge(index: number, cycles: number): void {
    this.cycles[index]! += cycles;
    const host = this.m.host;
    if (host !== null && index < COST_KEYS.length && host.shared) {
      const start = this.now;
      const extra = host.advance(this.id, start, cycles) - start - cycles;
      this.cycles[C.hostCores]! += extra;
      this.base += extra;
    }
    this.base += cycles;
  }

  /** Bump event counter `index` (a CPU_STATS index) by `n`. */
  count(index: number, n = 1): void {
    this.stats[index]! += n;
  }

  // ---- internals ------------------------------------------------------------------------

  private xlate(va: number, access: number): number {
    this.m.clock++;
    if (!(va >= -this.half && va < this.half)) return this.nonCanonical(va);
    this.stats[access]!++;
    const pn = Math.floor(va / 4096);
    const l1 = this.l1;
    const i = l1.lookup(pn, this.pcidValue, 0);
    if (i < 0) return this.missL1(va, pn, access);
    const checker = this.checker;
    if (checker.enabled) checker.onHit(this, l1, i, va, pn, access);
    if ((l1.flags[i]! & this.fastMask[access]!) === this.fastWant[access]) {
      return l1.frame[i]! * 4096 + (va - pn * 4096);
    }
    return this.rightsOrDirty(l1, i, va, pn, access, va - pn * 4096);
  }

  private missL1(va: number, pn: number, access: number): number {
    const pcid = this.pcidValue;
    if (this.l1Huge.largeValid > 0) {
      const pn2 = Math.floor(pn / 512);
      const i = this.l1Huge.lookup(pn2, pcid, TLB_LARGE);
      if (i >= 0) return this.use(this.l1Huge, i, va, pn, access, va - pn2 * LARGE_PAGE_SIZE);
    }
    const stlb = this.stlb;
    let i = stlb.lookup(pn, pcid, 0);
    if (i >= 0) {
      this.charge(C.stlbHit, this.cost[C.stlbHit]!);
      this.refreshed = false;
      const pa = this.use(stlb, i, va, pn, access, va - pn * 4096);
      if (!this.refreshed) this.promote(stlb, i, this.l1, pn);
      return pa;
    }
    if (stlb.largeValid > 0) {
      const pn2 = Math.floor(pn / 512);
      i = stlb.lookup(pn2, pcid, TLB_LARGE);
      if (i >= 0) {
        this.charge(C.stlbHit, this.cost[C.stlbHit]!);
        this.refreshed = false;
        const pa = this.use(stlb, i, va, pn, access, va - pn2 * LARGE_PAGE_SIZE);
        if (!this.refreshed) this.promote(stlb, i, this.l1Huge, pn2);
        return pa;
      }
    }
    this.charge(C.tlbMiss, this.cost[C.tlbMiss]!);
    return this.walkAndFill(va, pn, access);
  }

  /** Use a hit: check it (checker), check rights and D, and form the physical address. */
  private use(tlb: Tlb, i: number, va: number, pn: number, access: number, offset: number): number {
    const checker = this.checker;
    if (checker.enabled) checker.onHit(this, tlb, i, va, pn, access);
    return this.rightsOrDirty(tlb, i, va, pn, access, offset);
  }

  /** The rest of using a hit: rights and D checks (re-walking when they fail), then the address. */
  private rightsOrDirty(tlb: Tlb, i: number, va: number, pn: number, access: number, offset: number): number {
    const f = tlb.flags[i]!;
    const need = access === ACCESS_WRITE ? this.needWrite : this.needRead;
    if ((f & need) !== need || (access === ACCESS_FETCH && (f & TLB_NX) !== 0)) {
      // SDM §4.10.4.3: stale rights may cause a spurious fault; we re-walk instead.
      this.stats[S.rightsRewalks]!++;
      return this.refresh(va, pn, access);
    }
    if (access === ACCESS_WRITE && (f & TLB_DIRTY) === 0) {
      this.stats[S.dirtyAssists]!++;
      return this.refresh(va, pn, access);
    }
    return tlb.frame[i]! * 4096 + offset;
  }

  /** Drop this page's usable entries (not a flush) and walk again. */
  private refresh(va: number, pn: number, access: number): number {
    this.refreshed = true;
    const pn2 = Math.floor(pn / 512);
    const pcid = this.pcidValue;
    this.l1.discardPage(pn, 0, pcid);
    this.l1Huge.discardPage(pn2, TLB_LARGE, pcid);
    this.stlb.discardPage(pn, 0, pcid);
    this.stlb.discardPage(pn2, TLB_LARGE, pcid);
    return this.walkAndFill(va, pn, access);
  }

  private promote(from: Tlb, i: number, to: Tlb, tag: number): void {
    to.insert(
      tag,
      from.pcid[i]!,
      from.frame[i]!,
      from.flags[i]!,
      from.fillClock[i]!,
      from.fillCycle[i]!,
      from.fillTag[i]!,
    );
  }

  private walkAndFill(va: number, pn: number, access: number): number {
    const w = this.w;
    const st = this.stats;
    st[S.walks]!++;
    const r = walk(this.mem, this.levels, this.rootFrame, pn, access, this.userOn, true, w);
    const reads = w.entriesRead;
    st[S.walkEntryReads]! += reads;
    st[S.walkAccessedSets]! += w.accessedSets;
    st[S.walkDirtySets]! += w.dirtySets;
    this.charge(C.walkLevel, this.cost[C.walkLevel]! * reads);
    if (r !== WALK_OK) return this.pageFault(va, access, r, w.level);
    const flags = TLB_VALID | w.rights | (w.dirty ? TLB_DIRTY : 0) | (w.global && this.pgeOn ? TLB_GLOBAL : 0);
    const clock = this.m.clock;
    const pcid = this.pcidValue;
    if (w.large) {
      const pn2 = Math.floor(pn / 512);
      this.l1Huge.insert(pn2, pcid, w.baseFrame, flags | TLB_LARGE, clock, this.now, this.tagId);
      this.stlb.insert(pn2, pcid, w.baseFrame, flags | TLB_LARGE, clock, this.now, this.tagId);
    } else {
      this.l1.insert(pn, pcid, w.frame, flags, clock, this.now, this.tagId);
      this.stlb.insert(pn, pcid, w.frame, flags, clock, this.now, this.tagId);
    }
    return w.frame * 4096 + (va - pn * 4096);
  }

  private pageFault(va: number, access: number, code: number, level: number): never {
    const kind = code === WALK_NOT_PRESENT ? 'not-present' : code === WALK_PROTECTION ? 'protection' : 'reserved-bit';
    this.stats[kind === 'not-present' ? S.faultNotPresent : kind === 'protection' ? S.faultProtection : S.faultReserved]!++;
    throw new PageFault(this.id, va, kind, ACCESS_NAMES[access]!, level, this.userOn);
  }

  private nonCanonical(va: number): never {
    this.stats[S.faultNonCanonical]!++;
    throw new GeneralProtection(this.id, `address ${formatAddress(va)} is not canonical`);
  }

  /** Remove page `pn`'s entries of both sizes (see Tlb.invalidatePage) from every structure. */
  private invalidatePage(pn: number, pcid: number, nonGlobal: boolean, global: boolean): number {
    const pn2 = Math.floor(pn / 512);
    return (
      this.l1.invalidatePage(pn, 0, pcid, nonGlobal, global) +
      this.l1Huge.invalidatePage(pn2, TLB_LARGE, pcid, nonGlobal, global) +
      this.stlb.invalidatePage(pn, 0, pcid, nonGlobal, global) +
      this.stlb.invalidatePage(pn2, TLB_LARGE, pcid, nonGlobal, global)
    );
  }

  private invalidateAll(pcid: number, nonGlobal: boolean, global: boolean): number {
    return (
      this.l1.invalidateAll(pcid, nonGlobal, global) +
      this.l1Huge.invalidateAll(pcid, nonGlobal, global) +
      this.stlb.invalidateAll(pcid, nonGlobal, global)
    );
  }

  /** Requested / performed / elided / entries, at four consecutive indices from `base`. */
  private countFlush(base: number, removed: number): void {
    const st = this.stats;
    st[base]!++;
    st[removed > 0 ? base + 1 : base + 2]!++;
    st[base + 3]! += removed;
  }
}

function unaligned(va: number, size: number): never {
  throw new RangeError(`${formatAddress(va)} is not ${size}-byte aligned (accesses must be naturally aligned)`);
}
