// SPDX-License-Identifier: GPL-2.0-only
/* The comparison table `vmapsim run` prints: one row per (kernel, cpus). */

import type { MatrixResult } from '../run/runner.js';

const num = (x: number | null, digits = 0): string => (x === null ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

export const TABLE_COLUMNS: readonly { head: string; cell: (f: MatrixResult['cells'][number]) => string }[] = [
  { head: 'kernel', cell: (c) => c.kernel },
  { head: 'cpus', cell: (c) => String(c.cpus) },
  { head: 'ops', cell: (c) => num(c.result.figures.operations) },
  { head: 'touch/alloc', cell: (c) => num(c.result.figures.touchesPerAlloc.mean, 1) },
  { head: 'p99', cell: (c) => num(c.result.figures.touchesPerAlloc.p99) },
  { head: 'max', cell: (c) => num(c.result.figures.touchesPerAlloc.max) },
  { head: 'purges', cell: (c) => num(c.result.figures.purges) },
  { head: 'IPIs sent', cell: (c) => num(c.result.figures.ipisSent) },
  { head: 'IPIs recv', cell: (c) => num(c.result.figures.ipisReceived) },
  { head: 'INVLPG', cell: (c) => num(c.result.figures.invlpg) },
  { head: 'full flush', cell: (c) => num(c.result.figures.fullFlushes) },
  { head: 'TLB miss', cell: (c) => num(c.result.figures.tlbMisses) },
  { head: 'walks', cell: (c) => num(c.result.figures.walks) },
  { head: 'cycles', cell: (c) => num(c.result.figures.cycles) },
  { head: 'cyc/op', cell: (c) => num(c.result.figures.cyclesPerOp) },
  { head: 'BUGs', cell: (c) => String(c.result.figures.bugs) },
  { head: 'checker', cell: (c) => num(c.result.figures.checkerReports) },
];

/** Plain-text table, right-aligned numbers. */
export function formatTable(m: MatrixResult): string {
  const rows = m.cells.map((c) => TABLE_COLUMNS.map((col) => col.cell(c)));
  const heads = TABLE_COLUMNS.map((c) => c.head);
  const w = heads.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cols: string[]) => cols.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ');
  const lines = [`${m.scenario}: ${m.description}`, `seed ${m.seed}; ${Object.entries(m.params).map(([k, v]) => `${k}=${v}`).join(' ') || 'no parameters'}`, '', fmt(heads), ...rows.map(fmt)];
  for (const c of m.cells) {
    if (c.result.bug) lines.push('', `${c.kernel} (${c.cpus} cpus) hit a kernel BUG at op ${c.result.bug.op}:`, c.result.bug.oops);
    for (const r of c.result.reports ?? []) lines.push('', `${c.kernel} (${c.cpus} cpus) checker:`, r);
    for (const n of c.result.notes ?? []) lines.push(`${c.kernel} (${c.cpus} cpus): ${n}`);
  }
  if (m.summary.length) lines.push('', ...m.summary);
  return lines.join('\n');
}

/** The JSON object of `vmapsim run --json` (schema: docs/run-json.md). */
export function toJson(m: MatrixResult): object {
  return {
    scenario: m.scenario,
    description: m.description,
    seed: m.seed,
    params: m.params,
    runs: m.cells.map((c) => ({
      kernel: c.kernel,
      cpus: c.cpus,
      seed: c.seed,
      params: c.params,
      ...c.result.figures,
      counters: c.result.counters ?? null,
      lockStat: c.result.lockStat ?? null,
      bug: c.result.bug ?? null,
      checkerReportText: c.result.reports ?? [],
      notes: c.result.notes ?? [],
    })),
    summary: m.summary,
  };
}
