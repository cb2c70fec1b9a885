// SPDX-License-Identifier: GPL-2.0-only
/**
 * Statistics declarations, gem5 style: every counter is declared exactly once with a
 * dotted name, a unit and a description, in an `as const` table; the table yields both the
 * hot-path indices (`table.index.hits`) and the report metadata. Components keep their
 * values in a Float64Array and bump them at the event site; hw/statsReport.ts names,
 * sums and prints them.
 */

/** What a counter counts. */
export type StatUnit = 'count' | 'cycles' | 'entries' | 'frames' | 'events';

/** One declared counter. */
export interface StatDecl {
  /** Name relative to its group, dotted (`flush.invlpg.requested`). */
  readonly name: string;
  readonly unit: StatUnit;
  /** One plain sentence fragment: what makes the counter move. */
  readonly description: string;
}

/** `[name, unit, description]`. */
export type StatSpec = readonly [name: string, unit: StatUnit, description: string];

/** A declared group of counters: metadata in order, plus key → index. */
export interface StatTable<K extends string> {
  readonly decls: readonly StatDecl[];
  readonly index: { readonly [P in K]: number };
}

/** Build a StatTable from `{ key: [name, unit, description] }`; indices follow key order. */
export function declareStats<K extends string>(spec: { readonly [P in K]: StatSpec }): StatTable<K> {
  const decls: StatDecl[] = [];
  const index = {} as Record<K, number>;
  const seen = new Set<string>();
  for (const key of Object.keys(spec) as K[]) {
    const [name, unit, description] = spec[key];
    if (seen.has(name)) throw new Error(`statistic "${name}" is declared twice`);
    seen.add(name);
    index[key] = decls.length;
    decls.push(Object.freeze({ name, unit, description }));
  }
  return Object.freeze({ decls: Object.freeze(decls), index: Object.freeze(index) });
}

/** A group of live counter values under a dotted prefix (`cpu3.tlb.l1`). */
export interface StatGroup {
  readonly prefix: string;
  readonly decls: readonly StatDecl[];
  readonly values: Float64Array;
}

/** One reported counter value. */
export interface StatSample {
  readonly name: string;
  readonly value: number;
  readonly unit: StatUnit;
  readonly description: string;
}

/** Four counters per flush kind, in this order: requested, performed, elided, entries. */
export type FlushStatKey<P extends string> =
  | `${P}Requested`
  | `${P}Performed`
  | `${P}Elided`
  | `${P}Entries`;

/** The four declarations for a flush kind (see FlushStatKey), named `flush.<name>.*`. */
export function flushStats<P extends string>(
  key: P,
  name: string,
  what: string,
): { readonly [K in FlushStatKey<P>]: StatSpec } {
  return {
    [`${key}Requested`]: [`flush.${name}.requested`, 'count', `${what} executed (or received)`],
    [`${key}Performed`]: [`flush.${name}.performed`, 'count', `${what} that removed at least one TLB entry`],
    [`${key}Elided`]: [`flush.${name}.elided`, 'count', `${what} that found nothing to remove`],
    [`${key}Entries`]: [`flush.${name}.entries`, 'entries', `TLB entries removed by ${what}`],
  } as unknown as { readonly [K in FlushStatKey<P>]: StatSpec };
}
