// SPDX-License-Identifier: GPL-2.0-only
/* Run a scenario over a matrix of kernel versions and CPU counts. */

import type { CostTable } from '../../hw/costs.js';
import { NestedLockError } from '../../kernel/kernel/locking/spinlock.js';
import type { Params, RunContext, RunResult, Scenario } from './scenario.js';

export interface MatrixOptions {
  kernels: readonly string[];
  cpus: readonly number[];
  seed: number;
  params: Params;
  flushEra?: string;
  costs?: CostTable;
  timeline?: boolean;
  trace?: (line: string) => void;
  onCell?: (index: number, total: number, kernel: string, cpus: number) => void;
}

export interface Cell {
  kernel: string;
  cpus: number;
  seed: number;
  params: Params;
  result: RunResult;
}

export interface MatrixResult {
  scenario: string;
  description: string;
  seed: number;
  params: Params;
  cells: Cell[];
  summary: string[];
}

export function runMatrix(scenario: Scenario, opts: MatrixOptions): MatrixResult {
  const cells: Cell[] = [];
  const total = opts.kernels.length * opts.cpus.length;
  let i = 0;
  for (const kernel of opts.kernels) {
    for (const cpus of opts.cpus) {
      opts.onCell?.(i++, total, kernel, cpus);
      const result = runCell(scenario, { kernel, cpus, seed: opts.seed, params: opts.params, flushEra: opts.flushEra, costs: opts.costs, timeline: opts.timeline, trace: opts.trace });
      cells.push({ kernel, cpus, seed: opts.seed, params: opts.params, result });
    }
  }
  return {
    scenario: scenario.name,
    description: scenario.description,
    seed: opts.seed,
    params: opts.params,
    cells,
    summary: scenario.summarize?.(cells, opts.params) ?? [],
  };
}

/**
 * One run of a scenario. A run in which a step took a lock held by code
 * suspended below it (NestedLockError: the model cannot suspend that step)
 * is run again from the start with that lock class atomic, until none is
 * met; each class is added once, so this ends. The result says which
 * classes ran atomic (docs/concurrency.md, "Nested acquisitions").
 */
export function runCell(scenario: Scenario, ctx: RunContext): RunResult {
  const atomic: string[] = [...(ctx.atomicLocks ?? [])];
  const met: string[] = [];
  for (;;) {
    try {
      const result = scenario.run(atomic.length ? { ...ctx, atomicLocks: atomic } : ctx);
      if (met.length) {
        result.notes = [...(result.notes ?? []), ...met];
      }
      return result;
    } catch (e) {
      if (!(e instanceof NestedLockError) || atomic.includes(e.lockClass)) throw e;
      atomic.push(e.lockClass);
      met.push(`lock model: ${e.kind} ${e.lockClass} ran atomic (no other CPU runs while it is held): in a first run ${e.message}, which the model cannot suspend (docs/concurrency.md, "Nested acquisitions")`);
    }
  }
}
