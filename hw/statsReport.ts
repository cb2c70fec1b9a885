// SPDX-License-Identifier: GPL-2.0-only
/**
 * Collecting and printing the machine's statistics (counting is done at the event sites;
 * this file only names, sums and formats). Names are dotted paths: `machine.clock`,
 * `checker.shadowed`, `total.tlb.l1.misses` (sum over CPUs), `cpu3.tlb.l1.misses`,
 * `cpu3.cycles.invlpg`, `cpu3.cycles.total`. Text is gem5's stats.txt layout; JSON is an
 * object of name → value in the same order, byte-identical for identical runs.
 */

import { CHECKER_STATS } from './checker.js';
import { CPU_STATS, CYCLE_STATS, Cpu } from './cpu.js';
import type { Machine } from './machine.js';
import { MACHINE_STATS } from './machine.js';
import type { StatDecl, StatSample } from './stats.js';
import { TLB_STATS } from './tlb.js';

/** Options of collectStats. */
export interface StatsReportOptions {
  /** Include every CPU's own counters, not only totals. Default true. */
  readonly perCpu?: boolean;
  /** Include counters that are zero. Default true. */
  readonly zeros?: boolean;
}

const TOTAL_CYCLES: StatDecl = { name: 'cycles.total', unit: 'cycles', description: 'all modelled cycles of the CPU' };

/** Every counter of `machine` as samples, in report order. */
export function collectStats(machine: Machine, options: StatsReportOptions = {}): StatSample[] {
  const perCpu = options.perCpu ?? true;
  const zeros = options.zeros ?? true;
  machine.updateGauges();
  for (const cpu of machine.cpus) cpu.syncStats();
  const out: StatSample[] = [];
  const add = (prefix: string, decls: readonly StatDecl[], values: ArrayLike<number>): void => {
    for (let i = 0; i < decls.length; i++) {
      const d = decls[i]!;
      const value = values[i]!;
      if (!zeros && value === 0) continue;
      out.push({ name: `${prefix}.${d.name}`, value, unit: d.unit, description: d.description });
    }
  };
  add('machine', MACHINE_STATS.decls, machine.stats);
  add('checker', CHECKER_STATS.decls, machine.checker.stats);
  const cpuGroups = (cpu: Cpu): [string, readonly StatDecl[], ArrayLike<number>][] => [
    ['', CPU_STATS.decls, cpu.stats],
    ['', CYCLE_STATS.decls, cpu.cycles],
    ['', [TOTAL_CYCLES], [cpu.now]],
    ['tlb.l1.', TLB_STATS.decls, cpu.l1.stats],
    ['tlb.l1huge.', TLB_STATS.decls, cpu.l1Huge.stats],
    ['tlb.stlb.', TLB_STATS.decls, cpu.stlb.stats],
  ];
  const first = cpuGroups(machine.cpu(0));
  first.forEach(([sub, decls], g) => {
    const sums = new Float64Array(decls.length);
    for (const cpu of machine.cpus) {
      const values = cpuGroups(cpu)[g]![2];
      for (let i = 0; i < decls.length; i++) sums[i] = sums[i]! + values[i]!;
    }
    add(`total${sub === '' ? '' : '.' + sub.slice(0, -1)}`, decls, sums);
  });
  if (perCpu) {
    for (const cpu of machine.cpus) {
      for (const [sub, decls, values] of cpuGroups(cpu)) add(`cpu${cpu.id}${sub === '' ? '' : '.' + sub.slice(0, -1)}`, decls, values);
    }
  }
  return out;
}

/** gem5-style text: one `name value # description (unit)` line per counter. */
export function formatStatsText(samples: readonly StatSample[]): string {
  const width = Math.max(40, ...samples.map((s) => s.name.length));
  const valueWidth = Math.max(12, ...samples.map((s) => formatValue(s.value).length));
  const lines = ['---------- Begin Simulation Statistics ----------'];
  for (const s of samples) {
    lines.push(`${s.name.padEnd(width)} ${formatValue(s.value).padStart(valueWidth)}  # ${s.description} (${s.unit})`);
  }
  lines.push('---------- End Simulation Statistics   ----------');
  return lines.join('\n') + '\n';
}

/** JSON: `{ "schema": "vmapsim.hw.stats/1", "stats": { name: value, … } }`. */
export function formatStatsJson(samples: readonly StatSample[]): string {
  const stats: Record<string, number> = {};
  for (const s of samples) stats[s.name] = s.value;
  return JSON.stringify({ schema: 'vmapsim.hw.stats/1', stats }, null, 2) + '\n';
}

/** The statistics report of `machine` as text or JSON. */
export function statsReport(machine: Machine, format: 'text' | 'json' = 'text', options: StatsReportOptions = {}): string {
  const samples = collectStats(machine, options);
  return format === 'json' ? formatStatsJson(samples) : formatStatsText(samples);
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}
