// SPDX-License-Identifier: GPL-2.0-only
/**
 * The cycle cost model: one number per modelled event, each with the source it comes
 * from (docs/reference/x86-tlb.md §4 and §6, which cite the original measurements).
 * The table can be overridden from a JSON object `{ "invlpg": 900, ... }`; unknown keys
 * and bad values are rejected with one sentence.
 */

import { readFileSync } from 'fs';

/** One cost: cycles, what it is charged for, and where the number comes from. */
export interface CostSpec {
  readonly cycles: number;
  readonly description: string;
  readonly source: string;
}

/** Every cost the machine charges, with its default and source. */
export const COST_SPECS = {
  tlbHit: {
    cycles: 0,
    description: 'a translation that hits the L1 dTLB',
    source: 'x86-tlb.md §4.1: "TLB hit: 0 (folded into the load)"',
  },
  stlbHit: {
    cycles: 10,
    description: 'a translation that misses L1 and hits the second-level TLB',
    source: 'x86-tlb.md §6 "STLB hit ≈ 10"; PC Watch Haswell: 12 (IvB 11)',
  },
  tlbMiss: {
    cycles: 20,
    description: 'a translation that misses both TLB levels (before the walk reads any entry)',
    source: 'x86-tlb.md §4.1/§6: walk hitting the paging-structure caches ≈ 20–30; PC Watch: STLB miss ≈ +20',
  },
  walkLevel: {
    cycles: 14,
    description: 'each paging-structure entry the walker reads (or writes back A/D)',
    source: 'x86-tlb.md §4.1: one memory access per level at the cache level where the table lives, L2 ≈ 14',
  },
  invlpg: {
    cycles: 250,
    description: 'one INVLPG',
    source: 'x86-tlb.md §4: Ingo Molnar 2015, 260 cycles; 237 hot / 883 cold; §6 "≈ 250 hot"',
  },
  cr3Write: {
    cycles: 100,
    description: 'one MOV to CR3 (with or without its flush)',
    source: 'x86-tlb.md §4: Ingo Molnar 2015, 96 cycles (251 hot / 366 cold on another part); §6 100–250',
  },
  cr4Write: {
    cycles: 375,
    description: 'one MOV to CR4 (a PGE toggle is two writes)',
    source: 'x86-tlb.md §4: CR4.PGE toggle pair 746 hot / 1,795 cold (Ingo Molnar 2015), halved per write',
  },
  invpcidAddress: {
    cycles: 250,
    description: 'one INVPCID type 0 (individual address)',
    source: 'x86-tlb.md §4.1: "INVPCID single-address: same as INVLPG"',
  },
  invpcidContext: {
    cycles: 100,
    description: 'one INVPCID type 1, 2 or 3 (context or all-context)',
    source: 'x86-tlb.md §4.1: "INVPCID all-context: assume ≈ CR3 cost" [M]',
  },
  invlpgb: {
    cycles: 40,
    description: 'one INVLPGB issued (the broadcast itself costs the receivers nothing)',
    source: 'x86-tlb.md §4.1: "INVLPGB: issue ~tens of cycles per instruction" [L]',
  },
  tlbsync: {
    cycles: 1200,
    description: 'one TLBSYNC (waits for the slowest CPU to finish the broadcasts)',
    source: 'x86-tlb.md §4.1: "≈ IPI-delivery latency without handler/interrupt costs" [L]',
  },
  csdEnqueue: {
    cycles: 75,
    description: 'queueing one call-function request for a target CPU (csd_lock + llist_add)',
    source: 'x86-tlb.md §4.1: "csd_lock + llist_add (~50–100, cache-line ping-pong)"',
  },
  ipiSend: {
    cycles: 100,
    description: 'sending one IPI to one target (one ICR write)',
    source: 'x86-tlb.md §4.1: "one ICR write (~30–100)"; per-target total 150–300 with csdEnqueue',
  },
  ipiDelivery: {
    cycles: 1200,
    description: 'IPI latency from send to handler entry, charged to a sender that waits',
    source: 'x86-tlb.md §4.1: "IPI one-way delivery to handler entry: 1,000–1,500 same socket" [M/L]',
  },
  irqEntry: {
    cycles: 400,
    description: 'interrupt entry and exit on the target CPU, per interrupt handled',
    source: 'x86-tlb.md §4.1: "entry/exit (~300–600, more with PTI/IBRS)"',
  },
  ackWait: {
    cycles: 200,
    description: 'the final ACK cache-line transfer back to a sender that waits',
    source: 'x86-tlb.md §4.1: "ACK = one cache-line transfer back (~100–200 same socket)"',
  },
} as const satisfies Record<string, CostSpec>;

/** Name of one cost. */
export type CostKey = keyof typeof COST_SPECS;

/** Cycles per event, one number per cost. */
export type CostTable = { readonly [K in CostKey]: number };

/** All cost names, in declaration order. */
export const COST_KEYS: readonly CostKey[] = Object.freeze(Object.keys(COST_SPECS) as CostKey[]);

/** The default cost table. */
export const DEFAULT_COSTS: CostTable = Object.freeze(
  Object.fromEntries(COST_KEYS.map((k) => [k, COST_SPECS[k].cycles])) as { [K in CostKey]: number },
);

/** Index of each cost in a cost vector (and in the per-CPU cycle buckets). */
export const COST_INDEX: { readonly [K in CostKey]: number } = Object.freeze(
  Object.fromEntries(COST_KEYS.map((k, i) => [k, i])) as { [K in CostKey]: number },
);

/** A cost that is not in the table or not a non-negative finite number. */
export class CostTableError extends Error {
  override readonly name = 'CostTableError';
}

/**
 * Check `json` (a parsed JSON value) as a partial cost table and merge it over `base`.
 * `origin` names where it came from, for the error sentence.
 */
export function parseCostTable(json: unknown, origin: string, base: CostTable = DEFAULT_COSTS): CostTable {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CostTableError(`${origin} must hold a JSON object mapping cost names to cycles.`);
  }
  const out: { [K in CostKey]: number } = { ...base };
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (!Object.prototype.hasOwnProperty.call(COST_SPECS, key)) {
      throw new CostTableError(
        `${origin} names an unknown cost "${key}"; the known costs are ${COST_KEYS.join(', ')}.`,
      );
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new CostTableError(
        `${origin}: cost "${key}" must be a non-negative number of cycles, got ${JSON.stringify(value)}.`,
      );
    }
    out[key as CostKey] = value;
  }
  return Object.freeze(out);
}

/** Read a JSON cost-table override from `path` and merge it over `base` (see parseCostTable). */
export function loadCostTable(path: string, base: CostTable = DEFAULT_COSTS): CostTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CostTableError(`cannot read cost table ${path}: ${(e as Error).message}.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CostTableError(`cost table ${path} is not valid JSON: ${(e as Error).message}.`);
  }
  return parseCostTable(json, `cost table ${path}`, base);
}

/** The table as a vector indexed by COST_INDEX (hot-path form). */
export function costVector(table: CostTable): Float64Array {
  return Float64Array.from(COST_KEYS, (k) => table[k]);
}
