// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vmapsim check merge FILES...`: the `--json` outputs of the shards of one
 * campaign (`vmapsim check ... --shard I/N --json`, or `--shard auto` on a
 * cluster) merged into one report: the first divergence of each kind (the
 * lowest run with that signature over all shards, the report that shard
 * shrank), the runs and operations tried, and the throughput.
 *
 * Shards take disjoint sets of runs and each run is seeded by its index, so
 * with --keep-going the merged report is the unsharded campaign's: the same
 * runs, divergences and operations. Without it each shard stopped at its own
 * first divergence: the first one listed is the campaign's first divergence;
 * the others come from shards that had not met it.
 *
 * Files that are not check --json output, of different campaigns, with a
 * shard twice or a shard missing are bad input: one line, exit status 2.
 */

import { InputError } from '../lib/input-error.js';
import { readText } from '../lib/read-text.js';

/** What a diverging run was (from `divergingRuns`). */
export interface DivergingRun {
  run: number;
  seed: number;
  workload: string;
  op: number;
  signature: string;
}

/** One divergence report of `check --json` (report.ts reportJson, plus the runs of its kind). */
export interface DivergenceJson {
  kind: string;
  signature: string;
  ops: string[];
  runs: number[];
  [k: string]: unknown;
}

/** The `--json` object of `vmapsim check`. */
export interface CheckJson {
  kernel: string;
  against: string;
  workload: string;
  seed: number;
  runs: number;
  shard: string;
  options: { ops: number | null; check: boolean; compareState: boolean; onlyBug: boolean; keepGoing: boolean };
  runsTried: number;
  opsTried: number;
  seconds: number;
  divergingRuns: DivergingRun[];
  divergences: DivergenceJson[];
  saved: string[];
}

export interface MergedJson {
  kernel: string;
  against: string;
  workload: string;
  seed: number;
  runs: number;
  options: CheckJson['options'];
  shards: { shard: string; runsTried: number; opsTried: number; seconds: number; opsPerSecond: number; divergingRuns: number }[];
  runsTried: number;
  opsTried: number;
  /** The longest shard's time: the campaign's wall time when the shards ran side by side. */
  seconds: number;
  /** Every shard's ops/s added up: the throughput of the shards running side by side. */
  opsPerSecond: number;
  divergingRuns: DivergingRun[];
  /** The first divergence of each kind, lowest run first; runs: every run of that kind. */
  divergences: DivergenceJson[];
}

const CAMPAIGN_KEYS = ['kernel', 'against', 'workload', 'seed', 'runs'] as const;

function fail(file: string, msg: string): never {
  throw new InputError(file, null, msg);
}

/** Parse and check one shard's output. */
export function parseShardJson(file: string, text: string): CheckJson & { index: number; count: number } {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    fail(file, `not JSON (${(e as Error).message.split('\n')[0]}): give the output of vmapsim check ... --json`);
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) fail(file, 'not the output of vmapsim check --json (not an object)');
  const o = j as Record<string, unknown>;
  for (const k of ['kernel', 'against', 'workload', 'shard'] as const) if (typeof o[k] !== 'string') fail(file, `not the output of vmapsim check --json (no "${k}")`);
  for (const k of ['seed', 'runs', 'runsTried', 'opsTried', 'seconds'] as const) if (typeof o[k] !== 'number') fail(file, `not the output of vmapsim check --json (no number "${k}")`);
  if (typeof o.options !== 'object' || o.options === null) fail(file, 'not the output of vmapsim check --json (no "options")');
  if (!Array.isArray(o.divergingRuns) || !Array.isArray(o.divergences)) fail(file, 'not the output of vmapsim check --json (no "divergingRuns" or "divergences")');
  const m = /^([0-9]+)\/([0-9]+)$/.exec(o.shard as string);
  if (!m || Number(m[1]) >= Number(m[2])) fail(file, `"shard": "${o.shard}" is not I/N`);
  return { ...(o as unknown as CheckJson), index: Number(m[1]), count: Number(m[2]) };
}

function describe(j: CheckJson): string {
  const opt = j.options;
  return `${j.kernel} vs ${j.against}, workload ${j.workload}, seed ${j.seed}, runs ${j.runs}, ops ${opt.ops ?? 'default'}${opt.check ? ', --check' : ''}${opt.compareState ? ', --compare-state' : ''}${opt.onlyBug ? ', --only-bug' : ''}${opt.keepGoing ? ', --keep-going' : ''}`;
}

/** Merge shards' outputs (file name, JSON text). Throws InputError (one line) on bad input. */
export function mergeShards(files: readonly { file: string; text: string }[]): MergedJson {
  if (!files.length) throw new InputError('check merge', null, 'give the --json outputs of the shards');
  const parts = files.map((f) => ({ file: f.file, j: parseShardJson(f.file, f.text) }));
  const first = parts[0]!;
  const count = first.j.count;
  const seen = new Map<number, string>();
  for (const p of parts) {
    for (const k of CAMPAIGN_KEYS) if (p.j[k] !== first.j[k]) fail(p.file, `another campaign than ${first.file}: ${k} ${String(p.j[k])} vs ${String(first.j[k])}`);
    if (describe(p.j) !== describe(first.j)) fail(p.file, `another campaign than ${first.file}: ${describe(p.j)} vs ${describe(first.j)}`);
    if (p.j.count !== count) fail(p.file, `shard ${p.j.shard} is of ${p.j.count} shards, ${first.file} of ${count}`);
    const dup = seen.get(p.j.index);
    if (dup !== undefined) fail(p.file, `shard ${p.j.shard} is also ${dup}`);
    seen.set(p.j.index, p.file);
  }
  const missing = Array.from({ length: count }, (_x, i) => i).filter((i) => !seen.has(i));
  if (missing.length)
    throw new InputError('check merge', null, `shard${missing.length === 1 ? '' : 's'} ${missing.slice(0, 10).map((i) => `${i}/${count}`).join(', ')}${missing.length > 10 ? ', ...' : ''} missing (${count - missing.length} of ${count} given)`);
  parts.sort((a, b) => a.j.index - b.j.index);
  const divergingRuns = parts.flatMap((p) => p.j.divergingRuns).sort((a, b) => a.run - b.run);
  const sigOfRun = new Map(divergingRuns.map((d) => [d.run, d.signature]));
  // the first divergence of each kind: the lowest run with that signature, over every shard
  const bySig = new Map<string, { d: DivergenceJson; runs: number[] }>();
  for (const p of parts)
    for (const d of p.j.divergences) {
      const lowest = d.runs[0];
      if (lowest === undefined) fail(p.file, 'a divergence with no runs');
      const sig = sigOfRun.get(lowest) ?? d.signature;
      const cur = bySig.get(sig);
      if (!cur) bySig.set(sig, { d, runs: [...d.runs] });
      else {
        if (lowest < cur.d.runs[0]!) cur.d = d;
        cur.runs.push(...d.runs);
      }
    }
  const divergences = [...bySig.values()]
    .map(({ d, runs }) => ({ ...d, runs: [...new Set(runs)].sort((a, b) => a - b) }))
    .sort((a, b) => a.runs[0]! - b.runs[0]!);
  const shards = parts.map((p) => ({
    shard: p.j.shard,
    runsTried: p.j.runsTried,
    opsTried: p.j.opsTried,
    seconds: p.j.seconds,
    opsPerSecond: p.j.seconds > 0 ? p.j.opsTried / p.j.seconds : 0,
    divergingRuns: p.j.divergingRuns.length,
  }));
  return {
    kernel: first.j.kernel,
    against: first.j.against,
    workload: first.j.workload,
    seed: first.j.seed,
    runs: first.j.runs,
    options: first.j.options,
    shards,
    runsTried: shards.reduce((a, s) => a + s.runsTried, 0),
    opsTried: shards.reduce((a, s) => a + s.opsTried, 0),
    seconds: Math.max(...shards.map((s) => s.seconds)),
    opsPerSecond: shards.reduce((a, s) => a + s.opsPerSecond, 0),
    divergingRuns,
    divergences,
  };
}

function plural(n: number, w: string): string {
  return `${n.toLocaleString('en-US')} ${w}${n === 1 ? '' : 's'}`;
}

/** The text report of a merge. */
export function formatMerged(m: MergedJson): string {
  const out: string[] = [];
  out.push(
    `${m.kernel} vs ${m.against}: ${plural(m.shards.length, 'shard')} merged: ${plural(m.opsTried, 'operation')} tried in ${plural(m.runsTried, 'run')} (workload ${m.workload}, seeds from ${m.seed}, runs ${m.runs}${m.options.keepGoing ? ', --keep-going' : ''})`,
    `throughput: ${Math.round(m.opsPerSecond).toLocaleString('en-US')} ops/s over the shards side by side; longest shard ${m.seconds.toFixed(2)} s`,
  );
  if (!m.divergences.length) {
    out.push('no divergence');
    return out.join('\n');
  }
  out.push(`${plural(m.divergences.length, 'kind')} of divergence in ${plural(m.divergingRuns.length, 'diverging run')}${m.options.keepGoing ? '' : ' (without --keep-going each shard stopped at its own first: the first below is the campaign\'s)'}:`);
  for (const d of m.divergences) {
    const run = m.divergingRuns.find((r) => r.run === d.runs[0]);
    out.push('');
    out.push(`DIVERGENCE (${d.kind}): ${d.signature}`);
    out.push(`  first in run ${d.runs[0]}${run ? ` (seed ${run.seed}, workload ${run.workload}, op ${run.op})` : ''}; ${plural(d.runs.length, 'run')} of this kind: ${d.runs.slice(0, 20).join(', ')}${d.runs.length > 20 ? ', ...' : ''}`);
    out.push(`  minimal sequence (${plural(d.ops.length, 'op')}):`);
    for (const op of d.ops) out.push(`    ${op}`);
    const a = d.a as { line?: string } | null | undefined;
    const b = d.b as { line?: string } | null | undefined;
    if (a?.line !== undefined || b?.line !== undefined) out.push(`  ${m.kernel}: ${a?.line ?? '(threw)'}`, `  ${m.against}: ${b?.line ?? '(threw)'}`);
  }
  return out.join('\n');
}

/** The command: read the files, print the merged report; returns the exit status (0, 1 with a divergence). */
export function mergeCommand(files: readonly string[], o: { json?: boolean }, out: (s: string) => void): number {
  const m = mergeShards(files.map((file) => ({ file, text: readText(file) })));
  out(o.json ? JSON.stringify(m, null, 2) : formatMerged(m));
  return m.divergences.length ? 1 : 0;
}
