// SPDX-License-Identifier: GPL-2.0-only
/*
 * The report of a divergence: the minimal sequence, what each side did at
 * the diverging op and which branch it took, the address map before it,
 * and each side's run as a golden-format trace.
 */


import { formatSnapshot } from '../replay/golden.js';
import { beforeOp, describeBranch } from './branch.js';
import type { Divergence } from './differential.js';
import { dumpTrees } from './invariants.js';
import { type CheckOp, formatOp } from './ops.js';
import { type Contender, type OpOutcome, Side } from './side.js';

export interface DivergenceReport {
  readonly kernel: string;
  readonly against: string;
  readonly workload: string;
  readonly seed: number;
  readonly ncpu: number;
  /** The minimal ops. */
  readonly ops: CheckOp[];
  readonly divergence: Divergence;
  /** Address maps before the diverging op, per side. */
  readonly mapA: string;
  readonly mapB: string;
  readonly branchA: string;
  readonly branchB: string;
  /** Golden-format traces of each side. */
  readonly traceA: string;
  readonly traceB: string;
  readonly replayableA: boolean;
  readonly replayableB: boolean;
  /** Tree dumps after the op, for invariant violations. */
  readonly dumpA: string | null;
  readonly dumpB: string | null;
}

function outcomeLine(o: OpOutcome | null): string {
  if (!o) return '(threw)';
  if (!o.ran) return '(skipped: nothing live)';
  return [o.line, ...o.events.map((e) => `! ${e}`), `= ${o.state}`].join('\n      ');
}

/** Re-run the minimal ops on fresh sides, watching the last one. */
export function buildReport(
  A: Contender,
  B: Contender,
  meta: { workload: string; seed: number; ncpu: number },
  ops: CheckOp[],
  d: Divergence,
): DivergenceReport {
  const sa = new Side(A, meta.ncpu);
  const sb = new Side(B, meta.ncpu);
  const last = ops[d.index]!;
  for (let i = 0; i < d.index; i++) {
    sa.apply(ops[i]!);
    sb.apply(ops[i]!);
  }
  const around = last.k === 'a' ? last.vstart : undefined;
  const mapA = formatSnapshot(sa.snapshot(), around);
  const mapB = formatSnapshot(sb.snapshot(), around);
  const ba = beforeOp(sa.alloc, last);
  const bb = beforeOp(sb.alloc, last);
  let oa: OpOutcome | null = null;
  let ob: OpOutcome | null = null;
  try {
    oa = sa.apply(last);
  } catch {
    oa = null;
  }
  try {
    ob = sb.apply(last);
  } catch {
    ob = null;
  }
  const invariant = d.kind === 'invariant';
  return {
    kernel: A.variant,
    against: B.variant,
    workload: meta.workload,
    seed: meta.seed,
    ncpu: meta.ncpu,
    ops,
    divergence: d,
    mapA,
    mapB,
    branchA: describeBranch(sa.alloc, last, ba, oa),
    branchB: describeBranch(sb.alloc, last, bb, ob),
    traceA: sa.trace({ workload: `check-${meta.workload}`, seed: meta.seed }),
    traceB: sb.trace({ workload: `check-${meta.workload}`, seed: meta.seed }),
    replayableA: A.replayable,
    replayableB: B.replayable,
    dumpA: invariant ? dumpTrees(sa.alloc) : null,
    dumpB: invariant ? dumpTrees(sb.alloc) : null,
  };
}

const KIND_TEXT: Record<Divergence['kind'], string> = {
  result: 'different results',
  bug: 'a BUG on one side only',
  events: 'different purge events or flush ranges',
  state: 'different state lines',
  invariant: 'an invariant violation',
  exception: 'a JavaScript exception inside a port',
};

/** The human-readable report. */
export function formatReport(r: DivergenceReport, found: { run: number; opInRun: number; shrinkSteps: number }): string {
  const d = r.divergence;
  const n = d.index + 1;
  const out: string[] = [
    `DIVERGENCE: ${r.kernel} vs ${r.against}: ${KIND_TEXT[d.kind]}`,
    `  found in run ${found.run} (workload ${r.workload}, seed ${r.seed}, ncpu ${r.ncpu}) at its op ${found.opInRun}; shrunk to ${r.ops.length} op(s) in ${found.shrinkSteps} shrink steps:`,
    ...r.ops.map((o, i) => `  ${String(i + 1).padStart(4)}  ${formatOp(o)}${i === d.index ? '   <- diverges' : ''}`),
    '  (f/l #i frees live area i mod the number live, oldest first, counting from 0)',
    '',
    `At op ${n}:`,
    `  ${r.kernel}:`,
    `      ${outcomeLine(d.a)}`,
    `  ${r.against}:`,
    `      ${outcomeLine(d.b)}`,
    ...d.detail.map((x) => `  ${x}`),
    '',
    `Branch taken at op ${n}:`,
    `  ${r.kernel}: ${r.branchA}`,
    `  ${r.against}: ${r.branchB}`,
    '',
    `Address map before op ${n} (${r.kernel}):`,
    ...r.mapA.split('\n').map((l) => `  ${l}`),
  ];
  if (r.mapB.replace(/^state: .*\n/, '') !== r.mapA.replace(/^state: .*\n/, '')) {
    out.push(`Address map before op ${n} (${r.against}):`, ...r.mapB.split('\n').map((l) => `  ${l}`));
  } else out.push(`Address map before op ${n} (${r.against}): the same areas (state: ${r.mapB.split('\n')[0]?.slice(7)})`);
  if (r.dumpA) out.push('', `Trees after op ${n} (${r.kernel}):`, r.dumpA);
  if (r.dumpB) out.push('', `Trees after op ${n} (${r.against}):`, r.dumpB);
  for (const [name, text, ok] of [
    [r.kernel, r.traceA, r.replayableA],
    [r.against, r.traceB, r.replayableB],
  ] as const) {
    out.push('', `--- trace of ${name} (golden format; ${ok ? '`vmapsim replay FILE` replays it' : 'not a registry version: `vmapsim replay` cannot replay it'}) ---`, text.trimEnd(), `--- end of trace of ${name} ---`);
  }
  return out.join('\n');
}

/** JSON-friendly form. */
export function reportJson(r: DivergenceReport): object {
  return {
    kernel: r.kernel,
    against: r.against,
    workload: r.workload,
    seed: r.seed,
    ncpu: r.ncpu,
    kind: r.divergence.kind,
    signature: r.divergence.signature,
    index: r.divergence.index,
    ops: r.ops.map(formatOp),
    a: r.divergence.a && { line: r.divergence.a.line, events: r.divergence.a.events, state: r.divergence.a.state },
    b: r.divergence.b && { line: r.divergence.b.line, events: r.divergence.b.events, state: r.divergence.b.state },
    detail: r.divergence.detail,
    branchA: r.branchA,
    branchB: r.branchB,
    traceA: r.traceA,
    traceB: r.traceB,
  };
}

