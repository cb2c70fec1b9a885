// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shrinking a divergence to a minimal operation sequence with fast-check's
 * shrinker: the failing sequence is handed to fc.check() as the one example
 * of an array arbitrary of op tuples (see ops.ts), so fast-check shrinks it
 * (deleting ops, then moving each integer towards 0: one page, align 1,
 * vstart = VMALLOC_START, vend = VMALLOC_END, the oldest live area) for as
 * long as the property keeps failing. The property fails when the same
 * kind of divergence (same signature: kind and how each side ended) still
 * happens, so the shrinker cannot slide to an unrelated difference.
 * Shrinking is deterministic: no random draws are involved.
 *
 * Afterwards frees that ran with nothing live (no-ops on both sides) are
 * dropped and the sequence is cut just after the divergence.
 */

import fc from 'fast-check';
import { MAX_ALIGN_SHIFT, MAX_INDEX, MAX_PAGES, MAX_VEND_BYTES, MAX_VSTART_PAGES, type CheckOp, encodable, fromTuple, type OpTuple, toTuple } from './ops.js';
import { type PairOptions, type PairResult, runPair } from './differential.js';
import type { Contender } from './side.js';

const opArb: fc.Arbitrary<OpTuple> = fc.oneof(
  fc.tuple(
    fc.constant('a' as const),
    fc.integer({ min: 1, max: MAX_PAGES }),
    fc.integer({ min: 0, max: MAX_ALIGN_SHIFT }),
    fc.integer({ min: -MAX_VSTART_PAGES, max: MAX_VSTART_PAGES }),
    fc.integer({ min: -MAX_VEND_BYTES, max: MAX_VEND_BYTES }),
  ),
  fc.tuple(fc.constant('f' as const), fc.integer({ min: 0, max: MAX_INDEX })),
  fc.tuple(fc.constant('l' as const), fc.integer({ min: 0, max: MAX_INDEX })),
  fc.tuple(fc.constant('p' as const)),
);

export interface ShrinkResult {
  readonly ops: CheckOp[];
  /** The pair run of the minimal sequence (recorded, with its divergence). */
  readonly run: PairResult;
  /** Property evaluations fast-check spent shrinking. */
  readonly steps: number;
}

/**
 * Shrink `ops` (whose run diverges with `signature`) to a minimal sequence
 * that still diverges the same way.
 */
export function shrinkDivergence(A: Contender, B: Contender, ncpu: number, ops: readonly CheckOp[], signature: string, opts: PairOptions = {}): ShrinkResult {
  const pairOpts: PairOptions = { ...opts, record: false };
  const fails = (list: readonly CheckOp[]): boolean => {
    const r = runPair(A, B, ncpu, list, list.length, pairOpts);
    const same = r.divergence !== null && r.divergence.signature === signature;
    r.sideA.release();
    r.sideB.release();
    return same;
  };
  let best: CheckOp[] = ops.slice();
  if (ops.every(encodable)) {
    const start = ops.map(toTuple);
    let steps = 0;
    const details = fc.check(
      fc.property(fc.array(opArb, { maxLength: Math.max(start.length, 1) }), (t) => {
        steps++;
        return !fails(t.map(fromTuple));
      }),
      { examples: [[start]], numRuns: 1, seed: 0 },
    );
    if (details.failed && details.counterexample) best = details.counterexample[0]!.map(fromTuple);
    return finish(A, B, ncpu, best, signature, opts, steps);
  }
  return finish(A, B, ncpu, best, signature, opts, 0);
}

/** Drop no-op frees, cut after the divergence, and re-run with traces recorded. */
function finish(A: Contender, B: Contender, ncpu: number, ops: CheckOp[], signature: string, opts: PairOptions, steps: number): ShrinkResult {
  let run = runPair(A, B, ncpu, ops, ops.length, { ...opts, record: true });
  const d = run.divergence;
  if (!d) return { ops, run, steps };
  let list = ops.slice(0, d.index + 1);
  // Ops that ran on neither side (a free with nothing live) leave no line: drop them.
  const kept = list.filter((_op, i) => run.ran[i]);
  const again = runPair(A, B, ncpu, kept, kept.length, { ...opts, record: true });
  if (again.divergence && again.divergence.signature === signature) {
    list = kept;
    run = again;
  } else run = runPair(A, B, ncpu, list, list.length, { ...opts, record: true });
  return { ops: list, run, steps };
}
