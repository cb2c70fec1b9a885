// SPDX-License-Identifier: GPL-2.0-only
/**
 * The TLB-coherence checker. On every TLB hit (when enabled) it walks the current page
 * tables without side effects and compares: a hit whose page is no longer mapped is a
 * use-after-unmap, one whose page now maps another frame or other rights is a shadowed
 * mapping. Each stale entry is reported once (later hits on it are counted), with the CPU,
 * the address, the logical clock and modelled cycle, when and in which context the entry
 * was filled, the writes to the entries on its walk path, and the flushes that touched the
 * page or the whole TLB. Reports are collected, never thrown, and the access still returns
 * what the stale entry says.
 */

import { formatAddress } from './address.js';
import type { AccessType } from './faults.js';
import type { PhysicalMemory } from './physmem.js';
import { declareStats } from './stats.js';
import { TLB_GLOBAL, TLB_LARGE, TLB_NX, TLB_REPORTED, TLB_RW, TLB_US, Tlb } from './tlb.js';
import { ACCESS_READ, WALK_OK, WalkResult, walk } from './walker.js';

/** The two kinds of incoherence. */
export type CoherenceKind = 'use-after-unmap' | 'shadowed-mapping';

/** A translation as the TLB held it or as the page tables give it now. */
export interface TranslationView {
  /** Frame of the accessed 4 KiB page. */
  readonly frame: number;
  readonly pageSize: '4K' | '2M';
  readonly writable: boolean;
  readonly user: boolean;
  readonly noExecute: boolean;
  readonly global: boolean;
}

/** A write to a paging-structure entry through Machine.writeEntry / clearEntry. */
export interface EntryWriteEvent {
  readonly clock: number;
  /** CPU whose code wrote it (-1: outside any CPU). */
  readonly cpu: number;
  readonly cycle: number;
  /** Physical address of the entry. */
  readonly pa: number;
  /** Paging level of the entry on the reported page's walk path (0 if unknown). */
  readonly level: number;
  /** Old and new u64 values, as 0x-hex. */
  readonly old: string;
  readonly value: string;
}

/** A flush instruction that removed (or could have removed) the page's entries. */
export interface FlushEvent {
  readonly clock: number;
  readonly cpu: number;
  readonly cycle: number;
  /** `invlpg`, `invpcid0`, `invlpgb`, `cr3`, `cr4`, `invpcid1`… */
  readonly kind: string;
  /** Entries it removed on that CPU (-1 for a broadcast, counted on each receiver). */
  readonly removed: number;
}

/** One coherence failure. */
export interface CoherenceReport {
  readonly kind: CoherenceKind;
  readonly cpu: number;
  readonly va: number;
  /** `va` as 0x-hex u64. */
  readonly address: string;
  readonly access: AccessType;
  readonly clock: number;
  readonly cycle: number;
  /** The TLB structure that hit. */
  readonly tlb: string;
  readonly pcid: number;
  readonly cached: TranslationView;
  /** What a fresh walk gives now (null: not present, or a reserved-bit fault). */
  readonly current: TranslationView | null;
  /** Level whose entry was not present (use-after-unmap), else 0. */
  readonly missingLevel: number;
  readonly filled: { readonly clock: number; readonly cycle: number; readonly by: string };
  /** Writes to the entries on this page's walk path (oldest first). */
  readonly entryWrites: readonly EntryWriteEvent[];
  /** Flushes that named this page, on any CPU (oldest first). */
  readonly pageFlushes: readonly FlushEvent[];
  /** The last whole-TLB flushes on the reporting CPU (oldest first). */
  readonly cpuFullFlushes: readonly FlushEvent[];
}

/** Counters of the checker. */
export const CHECKER_STATS = declareStats({
  checks: ['checks', 'count', 'TLB hits compared with a fresh walk'],
  useAfterUnmap: ['useAfterUnmap', 'count', 'stale entries found whose page is no longer mapped'],
  shadowed: ['shadowed', 'count', 'stale entries found whose page now maps another frame or other rights'],
  repeatHits: ['repeatHits', 'count', 'further hits on entries already reported'],
  droppedReports: ['droppedReports', 'count', 'reports not kept because checkerMaxReports was reached'],
});

const CS = CHECKER_STATS.index;
const EVENTS_PER_KEY = 4;

/** What the checker needs from the machine. */
export interface CheckerHost {
  readonly clock: number;
  readonly mem: PhysicalMemory;
  readonly config: { readonly pagingLevels: 4 | 5; readonly checkerMaxReports: number; readonly eventLogPages: number };
  label(id: number): string;
}

/** What the checker needs from the CPU that hit. */
export interface CheckedCpu {
  readonly id: number;
  readonly root: number;
  readonly pcid: number;
  readonly now: number;
  /** Flag every copy of page `pn`'s entry in this CPU's TLBs as reported. */
  markReported(pn: number): void;
}

/** The TLB-coherence checker of one machine. */
export class CoherenceChecker {
  /** Whether hits are checked (and flush/write events logged). Switchable at any time. */
  enabled: boolean;
  readonly stats: Float64Array = new Float64Array(CHECKER_STATS.decls.length);
  private readonly kept: CoherenceReport[] = [];
  private readonly host: CheckerHost;
  private readonly probe = new WalkResult();
  private readonly entryLog = new Map<number, EntryWriteEvent[]>();
  private readonly pageLog = new Map<number, FlushEvent[]>();
  private readonly fullLog: FlushEvent[][];

  constructor(host: CheckerHost, cpus: number, enabled: boolean) {
    this.host = host;
    this.enabled = enabled;
    this.fullLog = Array.from({ length: cpus }, () => []);
  }

  /** Reports so far, oldest first. */
  get reports(): readonly CoherenceReport[] {
    return this.kept;
  }

  /** Forget all reports (counters stay). */
  clearReports(): void {
    this.kept.length = 0;
  }

  /** Compare the entry in `slot` of `tlb`, just hit by `cpu` for `va`, with the page tables. */
  onHit(cpu: CheckedCpu, tlb: Tlb, slot: number, va: number, pn: number, access: number): void {
    const st = this.stats;
    st[CS.checks]!++;
    const host = this.host;
    const w = this.probe;
    const r = walk(host.mem, host.config.pagingLevels, cpu.root, pn, ACCESS_READ, false, false, w);
    const flags = tlb.flags[slot]!;
    const large = (flags & TLB_LARGE) !== 0;
    const cachedFrame = large ? tlb.frame[slot]! + ((pn | 0) & 511) : tlb.frame[slot]!;
    const rightsMask = TLB_RW | TLB_US | TLB_NX;
    if (r === WALK_OK && w.frame === cachedFrame && w.rights === (flags & rightsMask)) return;
    if ((flags & TLB_REPORTED) !== 0) {
      st[CS.repeatHits]!++;
      return;
    }
    tlb.flags[slot] = flags | TLB_REPORTED;
    cpu.markReported(pn);
    const kind: CoherenceKind = r === WALK_OK ? 'shadowed-mapping' : 'use-after-unmap';
    st[kind === 'use-after-unmap' ? CS.useAfterUnmap : CS.shadowed]!++;
    if (this.kept.length >= host.config.checkerMaxReports) {
      st[CS.droppedReports]!++;
      return;
    }
    const slots: number[] = [];
    for (let level = host.config.pagingLevels; level >= w.level && level >= 1; level--) slots.push(w.slots[level]!);
    const levelOf = (pa: number): number => {
      for (let level = host.config.pagingLevels; level >= 1; level--) if (w.slots[level] === pa && level >= w.level) return level;
      return 0;
    };
    const writes: EntryWriteEvent[] = [];
    for (const pa of slots) for (const e of this.entryLog.get(pa) ?? []) writes.push({ ...e, level: levelOf(pa) });
    writes.sort((a, b) => a.clock - b.clock);
    this.kept.push({
      kind,
      cpu: cpu.id,
      va,
      address: formatAddress(va),
      access: access === 0 ? 'read' : access === 1 ? 'write' : 'fetch',
      clock: host.clock,
      cycle: cpu.now,
      tlb: tlb.name,
      pcid: tlb.pcid[slot]!,
      cached: view(cachedFrame, large, flags),
      current: r === WALK_OK ? view(w.frame, w.large, w.rights | (w.global ? TLB_GLOBAL : 0)) : null,
      missingLevel: r === WALK_OK ? 0 : w.level,
      filled: { clock: tlb.fillClock[slot]!, cycle: tlb.fillCycle[slot]!, by: host.label(tlb.fillTag[slot]!) },
      entryWrites: writes,
      pageFlushes: [...(this.pageLog.get(pn) ?? [])],
      cpuFullFlushes: [...(this.fullLog[cpu.id] ?? [])],
    });
  }

  /** Log a write of `value` over `old` to the entry at `pa`. */
  recordEntryWrite(pa: number, old: bigint, value: bigint, cpu: number, cycle: number): void {
    push(this.entryLog, pa, this.host.config.eventLogPages, {
      clock: this.host.clock,
      cpu,
      cycle,
      pa,
      level: 0,
      old: hex(old),
      value: hex(value),
    });
  }

  /** Log a flush that named page `pn`. */
  recordPageFlush(pn: number, cpu: number, cycle: number, kind: string, removed: number): void {
    push(this.pageLog, pn, this.host.config.eventLogPages, { clock: this.host.clock, cpu, cycle, kind, removed });
  }

  /** Log a whole-TLB flush on `cpu`. */
  recordFullFlush(cpu: number, cycle: number, kind: string, removed: number): void {
    const log = this.fullLog[cpu];
    if (log === undefined) return;
    log.push({ clock: this.host.clock, cpu, cycle, kind, removed });
    if (log.length > EVENTS_PER_KEY) log.shift();
  }
}

/** A multi-line, oops-like rendering of a report. */
export function formatCoherenceReport(r: CoherenceReport): string {
  const t = (v: TranslationView): string =>
    `frame 0x${v.frame.toString(16)} ${v.pageSize} ${v.writable ? 'RW' : 'RO'} ${v.user ? 'US' : 'S'}${v.noExecute ? ' NX' : ''}${v.global ? ' G' : ''}`;
  const lines = [
    `TLB incoherence: ${r.kind} on cpu${r.cpu}: ${r.access} of ${r.address} at clock ${r.clock} (cycle ${r.cycle})`,
    `  cached in ${r.tlb} (pcid ${r.pcid}): ${t(r.cached)}, filled at clock ${r.filled.clock} (cycle ${r.filled.cycle}) by ${r.filled.by}`,
    `  page tables now: ${r.current === null ? `not present (level ${r.missingLevel})` : t(r.current)}`,
  ];
  for (const e of r.entryWrites) {
    lines.push(`  entry write at clock ${e.clock} by ${e.cpu < 0 ? 'no cpu' : `cpu${e.cpu}`}: level ${e.level} entry 0x${e.pa.toString(16)} ${e.old} -> ${e.value}`);
  }
  for (const f of r.pageFlushes) lines.push(`  page flush at clock ${f.clock} by cpu${f.cpu}: ${f.kind}`);
  for (const f of r.cpuFullFlushes) lines.push(`  full flush on cpu${f.cpu} at clock ${f.clock}: ${f.kind}`);
  if (r.entryWrites.length === 0) lines.push('  no logged write to its entries (written before logging, or directly to memory)');
  return lines.join('\n');
}

function view(frame: number, large: boolean, flags: number): TranslationView {
  return {
    frame,
    pageSize: large ? '2M' : '4K',
    writable: (flags & TLB_RW) !== 0,
    user: (flags & TLB_US) !== 0,
    noExecute: (flags & TLB_NX) !== 0,
    global: (flags & TLB_GLOBAL) !== 0,
  };
}

function hex(v: bigint): string {
  return '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0');
}

function push<E>(map: Map<number, E[]>, key: number, cap: number, event: E): void {
  let list = map.get(key);
  if (list === undefined) {
    if (map.size >= cap) {
      const oldest = map.keys().next();
      if (oldest.done !== true) map.delete(oldest.value);
    }
    list = [];
    map.set(key, list);
  }
  list.push(event);
  if (list.length > EVENTS_PER_KEY) list.shift();
}
