// SPDX-License-Identifier: GPL-2.0-only
/*
 * Two allocators side by side on identical operations. The first op whose
 * outcome differs is the divergence: a different address, success against
 * EBUSY, a BUG in one only, different purge events or flush ranges (and,
 * with `compareState`, a different state line; with `invariants`, an
 * invariant violation on either side; a JavaScript exception inside a port
 * is always reported, as "exception").
 */

import type { CheckOp } from './ops.js';
import { checkInvariants } from './invariants.js';
import { type Contender, type OpOutcome, Side, type SideOutcome } from './side.js';

export type DivergenceKind = 'result' | 'bug' | 'events' | 'state' | 'invariant' | 'exception';

/** Which differences end a run: all of them, or only a BUG on one side (or an exception). */
export type DivergenceFilter = 'any' | 'bug';

export interface PairOptions {
  compareState?: boolean;
  /** Check invariants on both sides after every op. */
  invariants?: boolean;
  filter?: DivergenceFilter;
  /** Keep trace blocks on both sides. */
  record?: boolean;
}

export interface Divergence {
  /** 0-based index into the op list. */
  readonly index: number;
  readonly kind: DivergenceKind;
  /** Outcomes on each side (null for a side that threw). */
  readonly a: OpOutcome | null;
  readonly b: OpOutcome | null;
  /** Invariant messages or the exception text, with the side's name. */
  readonly detail: string[];
  /** What the shrinker keeps fixed: the kind and how each side ended. */
  readonly signature: string;
}

export interface PairResult {
  readonly ops: CheckOp[];
  /** Ops applied (skipped frees included), up to and including a divergence. */
  readonly opsRun: number;
  readonly divergence: Divergence | null;
  /** Both sides hit a BUG on the same op (the run ends there, no divergence). */
  readonly bothBugged: boolean;
  /** Per op: did it run on at least one side (false: a free with nothing live on either). */
  readonly ran: boolean[];
  readonly sideA: Side;
  readonly sideB: Side;
}

function resultClass(o: OpOutcome | null): string {
  if (!o) return 'throw';
  if (!o.ran) return 'skip';
  if (o.result === '') return o.bug ? 'BUG' : 'done';
  if (o.result === 'EBUSY' || o.result === 'BUG') return o.result;
  return 'addr';
}

/** An event as compared: a warning without its line number (the comparison leaves BUG lines out, see sameEvents). */
function comparable(e: string): string {
  return e.startsWith('warn ') ? e.replace(/:[0-9]+ /, ' ') : e;
}

/**
 * The two sides' events are the same, BUG lines aside (a BUG is compared
 * through the result) and warnings without their line numbers: a walk of
 * both lists, without building the filtered lists.
 */
function sameEvents(x: readonly string[], y: readonly string[]): boolean {
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < x.length && x[i]!.startsWith('bug ')) i++;
    while (j < y.length && y[j]!.startsWith('bug ')) j++;
    if (i === x.length || j === y.length) return i === x.length && j === y.length;
    if (x[i] !== y[j] && comparable(x[i]!) !== comparable(y[j]!)) return false;
    i++;
    j++;
  }
}

/** What an exception out of a side's op reads as in the report. */
function exceptionText(s: Side, e: unknown): string {
  return `${s.contender.variant}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
}

/** Compare one op's outcomes; the divergence kind, or null. */
function compare(a: SideOutcome, b: SideOutcome, opts: PairOptions): DivergenceKind | null {
  const bugA = a.bug !== null;
  const bugB = b.bug !== null;
  if (bugA !== bugB) return 'bug';
  if (opts.filter === 'bug') return null;
  if (!a.sameResult(b)) return 'result';
  if ((a.events.length !== 0 || b.events.length !== 0) && !sameEvents(a.events, b.events)) return 'events';
  if (opts.compareState && a.state !== b.state) return 'state';
  return null;
}

/**
 * Run ops (a list, or a generator driven online for up to `maxOps` ops) on
 * two contenders until the first divergence, a BUG on both, or the end.
 */
export function runPair(
  A: Contender,
  B: Contender,
  ncpu: number,
  source: readonly CheckOp[] | OnlineSource,
  maxOps: number,
  opts: PairOptions = {},
): PairResult {
  const record = opts.record ?? true;
  const sideA = new Side(A, ncpu, record, record || opts.compareState === true);
  const sideB = new Side(B, ncpu, record, record || opts.compareState === true);
  const list = Array.isArray(source) ? (source as readonly CheckOp[]) : null;
  const gen = list ? null : (source as OnlineSource);
  return pairLoop(sideA, sideB, list, gen, list ? Math.min(list.length, maxOps) : maxOps, opts);
}

type OnlineSource = { next(): CheckOp; allocated(ok: boolean): void };

/**
 * The divergence at op i (0-based). The outcomes leave with the result:
 * their state lines are built now, as this op left each side.
 */
function diverged(sideA: Side, sideB: Side, ops: CheckOp[], ran: boolean[], i: number, kind: DivergenceKind, detail: string[], oa: SideOutcome | null, ob: SideOutcome | null): PairResult {
  oa?.settle();
  ob?.settle();
  const signature = `${kind}:${resultClass(oa)}/${resultClass(ob)}` + (kind === 'invariant' || kind === 'exception' ? `:${detail.map((d) => d.split(':')[0]).join(',')}` : '');
  return { ops, opsRun: i + 1, divergence: { index: i, kind, a: oa, b: ob, detail, signature }, bothBugged: false, ran, sideA, sideB };
}

/**
 * runPair's op loop, apart from the run's set-up: the function the JIT
 * optimizes (and re-optimizes when a run brings new shapes) holds only what
 * runs per op.
 */
function pairLoop(sideA: Side, sideB: Side, list: readonly CheckOp[] | null, gen: OnlineSource | null, n: number, opts: PairOptions): PairResult {
  const ops: CheckOp[] = [];
  const ran: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const op = list ? list[i]! : (gen as OnlineSource).next();
    ops.push(op);
    // Each side's outcome, or the text of what it threw (no object per op for the pair).
    let a: SideOutcome | null = null;
    let b: SideOutcome | null = null;
    let errA: string | null = null;
    let errB: string | null = null;
    try {
      a = sideA.apply(op);
    } catch (e) {
      errA = exceptionText(sideA, e);
    }
    try {
      b = sideB.apply(op);
    } catch (e) {
      errB = exceptionText(sideB, e);
    }
    ran.push(a === null || b === null || a.ran || b.ran);
    if (a === null || b === null) return diverged(sideA, sideB, ops, ran, i, 'exception', [errA, errB].filter((x): x is string => x !== null), a, b);
    if (gen && op.k === 'a') gen.allocated(a.resultKind !== 'EBUSY' && a.resultKind !== 'BUG');
    const kind = compare(a, b, opts);
    if (kind) return diverged(sideA, sideB, ops, ran, i, kind, [], a, b);
    if (a.bug && b.bug) return { ops, opsRun: i + 1, divergence: null, bothBugged: true, ran, sideA, sideB };
    if (opts.invariants) {
      const va = a.bug ? [] : checkInvariants(sideA.alloc).map((m) => `${sideA.contender.variant}: ${m}`);
      const vb = b.bug ? [] : checkInvariants(sideB.alloc).map((m) => `${sideB.contender.variant}: ${m}`);
      if (va.length || vb.length) return diverged(sideA, sideB, ops, ran, i, 'invariant', [...va, ...vb], a, b);
    }
    if (a.bug || b.bug) break; // filter 'bug' never gets here with one BUG; kept for safety
  }
  return { ops, opsRun: ops.length, divergence: null, bothBugged: false, ran, sideA, sideB };
}
