// SPDX-License-Identifier: GPL-2.0-only
/**
 * The one typed machine configuration: every field has a default and a one-line
 * description (gem5's `Param.Unsigned(64, "TLB size")`), and resolveConfig() rejects bad
 * values with a plain sentence.
 */

import { type CostTable, DEFAULT_COSTS, parseCostTable } from './costs.js';

/** Which way of a full TLB set an insertion replaces. */
export type ReplacementPolicy = 'lru' | 'random';

/** Size and associativity of one TLB structure. */
export interface TlbGeometry {
  /** Total entries; entries / ways (the number of sets) must be a power of two. */
  readonly entries: number;
  /** Ways per set (entries for a fully associative structure). */
  readonly ways: number;
}

/** Everything that defines a machine. */
export interface MachineConfig {
  readonly cpus: number;
  readonly pagingLevels: 4 | 5;
  readonly l1: TlbGeometry;
  readonly l1Huge: TlbGeometry;
  readonly stlb: TlbGeometry;
  readonly replacement: ReplacementPolicy;
  readonly pcid: boolean;
  readonly pge: boolean;
  readonly invpcid: boolean;
  readonly invlpgb: boolean;
  readonly physMemBytes: number;
  readonly seed: number;
  readonly checker: boolean;
  readonly checkerMaxReports: number;
  readonly eventLogPages: number;
  readonly costs: CostTable;
}

/** What a caller may pass: any subset, with partial geometry and costs. */
export type MachineConfigInput = {
  readonly [K in keyof MachineConfig]?: MachineConfig[K] extends CostTable
    ? Partial<CostTable>
    : MachineConfig[K] extends TlbGeometry
      ? Partial<TlbGeometry>
      : MachineConfig[K];
};

/** Default and description of every field. */
export const CONFIG_FIELDS: { readonly [K in keyof MachineConfig]: { readonly default: MachineConfig[K]; readonly description: string } } = {
  cpus: { default: 4, description: 'number of CPUs, 1 to 1024' },
  pagingLevels: { default: 4, description: 'paging levels: 4 (PML4, 48-bit addresses) or 5 (LA57, 57-bit)' },
  l1: { default: { entries: 64, ways: 4 }, description: 'L1 dTLB for 4 KiB pages (Skylake: 64 entries, 4-way)' },
  l1Huge: { default: { entries: 32, ways: 4 }, description: 'L1 dTLB for 2 MiB pages (Skylake: 32 entries, 4-way)' },
  stlb: { default: { entries: 1536, ways: 12 }, description: 'second-level TLB shared by 4 KiB and 2 MiB pages (Skylake: 1536 entries, 12-way)' },
  replacement: { default: 'lru', description: 'TLB replacement policy: "lru" or "random" (seeded)' },
  pcid: { default: true, description: 'the CPUs support PCIDs and boot with CR4.PCIDE set' },
  pge: { default: true, description: 'the CPUs support global pages and boot with CR4.PGE set' },
  invpcid: { default: true, description: 'the INVPCID instruction is available' },
  invlpgb: { default: false, description: 'AMD INVLPGB and TLBSYNC are available' },
  physMemBytes: { default: 4 * 2 ** 30, description: 'physical memory in bytes, a multiple of 4096 from 1 MiB to 256 GiB (frames get host storage only when written)' },
  seed: { default: 1, description: 'seed of every random choice (replacement, scheduling)' },
  checker: { default: true, description: 'run the TLB-coherence checker on every TLB hit' },
  checkerMaxReports: { default: 1000, description: 'coherence reports kept; later ones are only counted' },
  eventLogPages: { default: 65536, description: 'pages (and entry slots) whose last flush/write events the checker remembers' },
  costs: { default: DEFAULT_COSTS, description: 'cycles per modelled event (see hw/costs.ts); a partial table overrides the defaults' },
};

/** A configuration value that cannot be used. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Fill in defaults and validate; throws ConfigError with one sentence on the first bad field. */
export function resolveConfig(input: MachineConfigInput = {}): MachineConfig {
  if (typeof input !== 'object' || input === null) throw new ConfigError('a machine config must be an object');
  for (const key of Object.keys(input)) {
    if (!Object.prototype.hasOwnProperty.call(CONFIG_FIELDS, key)) {
      throw new ConfigError(`"${key}" is not a machine config field; the fields are ${Object.keys(CONFIG_FIELDS).join(', ')}`);
    }
  }
  const d = CONFIG_FIELDS;
  const cfg: MachineConfig = {
    cpus: integer('cpus', input.cpus ?? d.cpus.default, 1, 1024),
    pagingLevels: levels(input.pagingLevels ?? d.pagingLevels.default),
    l1: geometry('l1', { ...d.l1.default, ...input.l1 }),
    l1Huge: geometry('l1Huge', { ...d.l1Huge.default, ...input.l1Huge }),
    stlb: geometry('stlb', { ...d.stlb.default, ...input.stlb }),
    replacement: policy(input.replacement ?? d.replacement.default),
    pcid: bool('pcid', input.pcid ?? d.pcid.default),
    pge: bool('pge', input.pge ?? d.pge.default),
    invpcid: bool('invpcid', input.invpcid ?? d.invpcid.default),
    invlpgb: bool('invlpgb', input.invlpgb ?? d.invlpgb.default),
    physMemBytes: memory(input.physMemBytes ?? d.physMemBytes.default),
    seed: integer('seed', input.seed ?? d.seed.default, -(2 ** 53) + 1, 2 ** 53 - 1),
    checker: bool('checker', input.checker ?? d.checker.default),
    checkerMaxReports: integer('checkerMaxReports', input.checkerMaxReports ?? d.checkerMaxReports.default, 0, 1e9),
    eventLogPages: integer('eventLogPages', input.eventLogPages ?? d.eventLogPages.default, 1, 1e8),
    costs: input.costs === undefined ? DEFAULT_COSTS : costs(input.costs),
  };
  return Object.freeze(cfg);
}

function integer(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(`${field} must be an integer from ${min} to ${max}, got ${String(v)}`);
  }
  return v;
}

function bool(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(`${field} must be true or false, got ${String(v)}`);
  return v;
}

function levels(v: unknown): 4 | 5 {
  if (v !== 4 && v !== 5) throw new ConfigError(`pagingLevels must be 4 or 5, got ${String(v)}`);
  return v;
}

function policy(v: unknown): ReplacementPolicy {
  if (v !== 'lru' && v !== 'random') throw new ConfigError(`replacement must be "lru" or "random", got ${String(v)}`);
  return v;
}

function geometry(field: string, g: { entries?: unknown; ways?: unknown }): TlbGeometry {
  const entries = integer(`${field}.entries`, g.entries, 1, 1 << 20);
  const ways = integer(`${field}.ways`, g.ways, 1, 1024);
  if (entries % ways !== 0) {
    throw new ConfigError(`${field}.entries (${entries}) must be a multiple of ${field}.ways (${ways})`);
  }
  const sets = entries / ways;
  if ((sets & (sets - 1)) !== 0) {
    throw new ConfigError(`${field} must have a power-of-two number of sets, but ${entries} entries / ${ways} ways = ${sets}`);
  }
  return Object.freeze({ entries, ways });
}

function memory(v: unknown): number {
  const min = 2 ** 20;
  const max = 256 * 2 ** 30;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max || v % 4096 !== 0) {
    throw new ConfigError(`physMemBytes must be a multiple of 4096 from 1 MiB to 256 GiB, got ${String(v)}`);
  }
  return v;
}

function costs(v: unknown): CostTable {
  try {
    return parseCostTable(v, 'costs');
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}
