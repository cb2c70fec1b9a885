// SPDX-License-Identifier: GPL-2.0-only
/* Run a scenario over a matrix of kernel versions and CPU counts. */

import type { CostTable } from '../../hw/costs.js';
import type { Params, RunResult, Scenario } from './scenario.js';

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
      const result = scenario.run({ kernel, cpus, seed: opts.seed, params: opts.params, flushEra: opts.flushEra, costs: opts.costs, timeline: opts.timeline, trace: opts.trace });
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
