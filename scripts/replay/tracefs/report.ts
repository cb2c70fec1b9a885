// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vmapsim replay tracefs TRACE --before VMALLOCINFO [--after VMALLOCINFO]
 *  [--kernel A,B,...] [--cpus N] [--json] [--html FILE]`: replay a real
 * kernel's vmalloc trace on the ported versions from the snapshot read
 * before it (replay.ts), and say how closely each one follows the kernel:
 * the table, the JSON, the HTML page.
 *
 * Exit status: 0 when the matching version (the one the trace file name
 * starts with, else linux-6.12) placed every
 * allocation where the kernel did, matched every purge and met no unknown
 * free (or was not asked for); 1 otherwise; 2 on bad input.
 */

import { hex } from '../../../kernel/include/u64.js';
import { versionNames } from '../../../kernel/mm/vmalloc/index.js';
import { InputError } from '../../lib/input-error.js';
import { readText } from '../../lib/read-text.js';
import { parseTracefs } from './parse.js';
import { MATCHING_VERSION, matchingVersionFor, type PurgeComparison, replayTracefs, type TracefsReplay, type VersionReplay } from './replay.js';
import { parseVmallocinfo } from './vmallocinfo.js';
import { EXIT_DIVERGED, EXIT_OK } from '../../lib/exit.js';
import { writeText } from '../../lib/write-text.js';
import { esc, page, plotHtml, shortName, stackedBars } from '../../report/plots.js';

/** One page: address agreement and purges matched per version, then the table. */
export function replayHtml(trace: string, r: TracefsReplay): string {
  const share = stackedBars({
    id: 'plot-share',
    title: 'Allocations at the recorded address (%)',
    x: { field: 'version', title: 'kernel' },
    y: { field: 'percent', title: 'percent of allocations' },
    part: { field: 'where', title: 'placed' },
    rows: r.versions.flatMap((v) => [
      { version: shortName(v.kernel), where: 'same address', percent: 100 * v.share },
      { version: shortName(v.kernel), where: 'elsewhere', percent: 100 - 100 * v.share },
    ]),
  });
  const purges = stackedBars({
    id: 'plot-purges',
    title: 'Purges at the recorded point',
    x: { field: 'version', title: 'kernel' },
    y: { field: 'purges', title: 'purges' },
    part: { field: 'match', title: 'purge' },
    rows: r.versions.flatMap((v) => [
      { version: shortName(v.kernel), match: 'matched', purges: v.purgesMatched },
      { version: shortName(v.kernel), match: 'not matched', purges: Math.max(0, v.recordedPurges - v.purgesMatched) },
    ]),
  });
  const plots = [share, purges].filter((p) => p.series.length);
  return page(`vmapsim: replay of ${trace}`, `<h1>Replay of a real kernel's trace</h1><p>${esc(trace)}</p>${plots.map(plotHtml).join('\n')}<pre>${esc(formatReplayTable(r))}</pre>`);
}

export interface ReplayTracefsOptions {
  tracefs: string;
  before: string;
  after?: string;
  kernel?: string[];
  cpus?: number;
  json?: boolean;
  /** Write a self-contained HTML page with the comparison. */
  html?: string;
  /** When queued drain work runs: where the trace shows it (default) or inline. */
  workTiming?: 'recorded' | 'inline';
  /** Infer vmap-node pool contents from the trace (default true). */
  inferPools?: boolean;
}

/** The default list: the matching version first, then every other registered one. */
export function defaultKernels(matching: string = MATCHING_VERSION): string[] {
  return [matching, ...versionNames().filter((v) => v !== matching)];
}

/** One JSON object per version. */
export function versionJson(v: VersionReplay): Record<string, unknown> {
  return {
    kernel: v.kernel,
    matching: v.matching,
    allocations: v.allocations,
    sameAddress: v.sameAddress,
    share: v.share,
    purgesMatched: v.purgesMatched,
    firstDivergence: v.firstDivergence && {
      op: v.firstDivergence.op,
      line: v.firstDivergence.line,
      event: v.firstDivergence.text,
      expected: v.firstDivergence.expected,
      actual: v.firstDivergence.actual,
      reason: v.firstDivergence.reason,
    },
    recordedPurges: v.recordedPurges,
    purges: v.purges,
    firstPurgeMismatch: v.firstPurgeMismatch && {
      line: v.firstPurgeMismatch.recorded.line,
      recorded: purgeText(v.firstPurgeMismatch.recorded),
      emulated: v.firstPurgeMismatch.emulated ? purgeText(v.firstPurgeMismatch.emulated) : null,
    },
    nrLazyMatched: v.nrLazyMatched,
    lazyFrees: v.lazyFrees,
    touchesPerAlloc: v.touchesPerAlloc,
    flushPagesMean: v.flushPagesMean,
    flushPagesTotal: v.flushPagesTotal,
    unknownFrees: v.unknownFrees,
    skippedFrees: v.skippedFrees,
    seededEqualsBefore: v.seededEqualsBefore,
    inferredPools: {
      pooledAtStart: v.inferredPooled,
      snapshotAreasGivenNode: v.inferredAreaNodes,
      heldRanges: v.inferredHeld,
      decayedEarlier: v.inferredDecayed,
      total: v.inferredPooled + v.inferredAreaNodes + v.inferredHeld + v.inferredDecayed,
      otherUnpurgedNode: v.lazyRest,
      stopped: v.inferenceStopped,
    },
    purgeMismatches: v.comparisons
      .filter((c) => !(c.samePoint && c.sameTrigger && c.sameCount && c.sameRange))
      .map((c) => ({ line: c.recorded.line, recorded: purgeText(c.recorded), emulated: c.emulated ? purgeText(c.emulated) : null, why: purgeWhy(c) })),
    purgesInsideAlloc: v.purgesInsideAlloc,
    after: v.after,
    error: v.error,
  };
}

/** Why an emulated purge differs from the recorded one. */
export function purgeWhy(c: PurgeComparison): string {
  const r = c.recorded;
  const e = c.emulated;
  if (!e) return 'the emulation made no purge there: fewer purges in all (its lazily freed pages did not cross the threshold as often)';
  const why: string[] = [];
  if (!c.samePoint) why.push(`it ran at op ${e.op + 1}, not op ${r.op + 1}: the drain work ran at another point`);
  if (!c.sameTrigger) why.push(`it was triggered at nr_lazy=${e.nr_lazy}, not ${r.nr_lazy}: the lazily freed pages differ (frees of areas placed elsewhere, or of other sizes)`);
  if (!c.sameCount) why.push(`it purged ${e.num_purged} areas, not ${r.num_purged}: a different set of areas was lazily freed`);
  if (!c.sameRange)
    why.push(
      `its flush range [0x${hex(e.start)}, 0x${hex(e.end)}) is not [0x${hex(r.start)}, 0x${hex(r.end)}): the lowest or highest lazily freed area differs (an allocation before it was placed elsewhere)`,
    );
  return why.join('; ');
}

function purgeText(p: { op: number; nr_lazy: number | null; start: number; end: number; num_purged: number }): string {
  return `op ${p.op + 1}: nr_lazy=${p.nr_lazy ?? '-'} start=0x${hex(p.start)} end=0x${hex(p.end)} num_purged=${p.num_purged}`;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

/** The text report: a table, one row per version, then the matching version's details. */
export function formatReplayTable(r: TracefsReplay): string {
  const out: string[] = [];
  const k = r.opKinds;
  out.push(
    `${r.trace}: ${r.events} vmalloc events: ${k.a} allocations, ${k.l} lazy frees, ${k.w} drain-work runs, ${k.p} explicit purges; ${r.recordedPurges} purges recorded (${r.emptyPurges} empty); ${r.cpus} CPU${r.cpus === 1 ? '' : 's'}`,
    `before: ${r.before}${r.after ? `; after: ${r.after}` : ''}`,
  );
  if (r.swappedFrees) out.push(`${r.swappedFrees} free line(s) applied after the free line that followed them (its nr_lazy shows it was added first)`);
  if (r.movedPurges) out.push(`${r.movedPurges} purge line(s) applied away from their line (where the released space or the included frees show they took effect)`);
  const head = ['kernel', 'allocs', 'same addr', 'share', 'purges', 'matched', 'nr_lazy ok', 'touch/alloc', 'flush pages', 'after', 'first divergence'];
  const rows = r.versions.map((v) => [
    v.kernel + (v.matching ? ' *' : ''),
    String(v.allocations),
    String(v.sameAddress),
    (100 * v.share).toFixed(2) + '%',
    `${v.purges}/${v.recordedPurges}`,
    String(v.purgesMatched),
    `${v.nrLazyMatched}/${v.lazyFrees}`,
    v.touchesPerAlloc.toFixed(1),
    v.flushPagesMean.toFixed(0),
    v.after ? (v.after.busy && v.after.lazy ? 'same' : 'differs') : '-',
    v.error ? `error: ${v.error}` : v.firstDivergence ? `line ${v.firstDivergence.line}` : '-',
  ]);
  const w = head.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k]!.length)));
  const line = (cells: string[]) => cells.map((c, k) => pad(c, w[k]!, k > 0 && k < cells.length - 2)).join('  ').trimEnd();
  out.push(line(head));
  out.push(w.map((n) => '-'.repeat(n)).join('  '));
  for (const row of rows) out.push(line(row));
  out.push(`(* the version that wrote this trace; purges matched = same point, trigger, count and flush range)`);
  for (const v of r.versions.filter((x) => x.matching)) {
    if (v.unknownFrees.length)
      out.push(`${v.kernel}: ${v.unknownFrees.length} free(s) of an address never allocated nor in the snapshot, first at line ${v.unknownFrees[0]!.line} (${v.unknownFrees[0]!.addr})`);
    if (v.firstDivergence) {
      const d = v.firstDivergence;
      out.push(`${v.kernel}: first divergence at ${r.trace}:${d.line} (op ${d.op + 1}): ${d.text}`, `  recorded: ${d.expected}`, `  emulated: ${d.actual}`, `  why: ${d.reason}`);
      out.push(d.around.replace(/^/gm, '  '));
    }
    const inferred = v.inferredPooled + v.inferredAreaNodes + v.inferredHeld + v.inferredDecayed;
    if (inferred > 0 || v.inferenceStopped) {
      const rest = v.lazyRest === null ? 'went back to the free tree when purged' : `carried the node of CPU ${v.lazyRest}`;
      out.push(
        `${v.kernel}: pool contents inferred from the trace (the before snapshot cannot show them): ${inferred}:`,
        `  ${v.inferredPooled} area(s) in a pool when recording started, handed out before the first purge`,
        `  ${v.inferredAreaNodes} area(s) of the snapshot that a node's pool handed out after their purge (their node inferred)`,
        `  ${v.inferredHeld} range(s) the kernel kept out of the free tree (held in a pool the emulation does not know, some until a later purge decayed them)`,
        `  ${v.inferredDecayed} pooled area(s) the kernel's longer pool decayed back to the free tree earlier than the emulated one`,
        `  the other unpurged areas of the snapshot ${rest}`,
      );
      if (v.inferenceStopped) out.push(`  first allocation no pool explains: ${v.inferenceStopped}`);
    }
    if (v.purgesInsideAlloc.length)
      out.push(
        `${v.kernel}: ${v.purgesInsideAlloc.length} purge line(s) run inside the allocation printed after them (it made its choice, from its pool or the free tree, before the purge; lazy preemption): ${v.purgesInsideAlloc
          .map((x) => `line ${x.line} in line ${x.alloc}`)
          .join(', ')}`,
      );
    const bad = v.comparisons.filter((c) => !(c.samePoint && c.sameTrigger && c.sameCount && c.sameRange));
    if (bad.length) {
      out.push(`${v.kernel}: ${bad.length} of ${v.recordedPurges} purge(s) differ:`);
      for (const c of bad)
        out.push(`  ${r.trace}:${c.recorded.line}`, `    recorded: ${purgeText(c.recorded)}`, `    emulated: ${c.emulated ? purgeText(c.emulated) : 'none'}`, `    why: ${purgeWhy(c)}`);
    } else if (v.recordedPurges) out.push(`${v.kernel}: all ${v.recordedPurges} purges at the same point, with the same trigger, num_purged and flush range`);
    if (!v.firstDivergence && !v.firstPurgeMismatch && !v.unknownFrees.length && !v.inferenceStopped)
      out.push(`${v.kernel}: every allocation at the recorded address, every purge at the same point with the same count and range`);
  }
  return out.join('\n');
}

/** Run the command; returns the exit status. */
export function replayTracefsCommand(o: ReplayTracefsOptions, out: (s: string) => void): number {
  const trace = parseTracefs(o.tracefs, readText(o.tracefs));
  const before = parseVmallocinfo(o.before, readText(o.before));
  const after = o.after ? parseVmallocinfo(o.after, readText(o.after)) : undefined;
  const cpus = o.cpus ?? trace.cpus;
  if (cpus === null) throw new InputError(o.tracefs, null, 'no "#P:N" CPU count in the header: give --cpus');
  const matching = matchingVersionFor(o.tracefs, versionNames());
  // One name: that version first, then every other registered one for comparison; a list: exactly those.
  const kernels = o.kernel ? (o.kernel.length === 1 ? defaultKernels(o.kernel[0]!) : o.kernel) : defaultKernels(matching);
  const r = replayTracefs(trace, before, kernels, { cpus, after, workTiming: o.workTiming, matching, inferPools: o.inferPools });
  if (o.json) out(JSON.stringify(r.versions.map(versionJson), null, 2));
  else out(formatReplayTable(r));
  if (o.html) {
    writeText(o.html, replayHtml(o.tracefs, r));
    if (!o.json) out(`HTML report: ${o.html}`);
  }
  const m = r.versions.find((v) => v.matching);
  if (m && (m.error || m.firstDivergence || m.firstPurgeMismatch || m.unknownFrees.length)) return EXIT_DIVERGED;
  return EXIT_OK;
}
