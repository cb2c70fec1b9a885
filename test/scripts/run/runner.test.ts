// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { COST_INDEX } from '../../../hw/costs.js';
import { bootKernel } from '../../../kernel/boot.js';
import { runCell, runMatrix } from '../../../scripts/run/runner.js';
import type { RunContext, RunResult, Scenario } from '../../../scripts/run/scenario.js';

/**
 * Two tasks: cpu0 holds demo_mutex across a point where the CPUs behind it
 * catch up; cpu1 takes demo_mutex in its second step. Records the order in
 * which the holds happened and the atomic classes each run was given.
 */
function nestingScenario(runs: (readonly string[])[]): Scenario {
  return {
    name: 'nesting',
    description: 'two tasks taking one mutex',
    params: [],
    run(ctx: RunContext): RunResult {
      runs.push(ctx.atomicLocks ?? []);
      const k = bootKernel({ version: ctx.kernel, cpus: ctx.cpus, atomicLocks: ctx.atomicLocks, machine: { cpus: ctx.cpus, seed: ctx.seed, checker: false } });
      const order: string[] = [];
      function* holder(): Generator<void> {
        k.locks.mutex_lock('demo_mutex');
        k.machine.cpu(0).charge(COST_INDEX.apiCall, 50000);
        k.locks.spin_lock('demo_spin');
        k.locks.spin_unlock('demo_spin');
        order.push('cpu0');
        k.locks.mutex_unlock('demo_mutex');
        yield;
      }
      function* other(): Generator<void> {
        k.machine.cpu(1).charge(COST_INDEX.apiCall, 10000);
        yield;
        k.locks.mutex_lock('demo_mutex');
        order.push('cpu1');
        k.locks.mutex_unlock('demo_mutex');
        yield;
      }
      k.runTasks([
        { comm: 'holder', pid: 10, cpu: 0, bound: true, steps: holder() },
        { comm: 'other', pid: 11, cpu: 1, bound: true, steps: other() },
      ]);
      return { figures: {} as RunResult['figures'], notes: [`holds: ${order.join(', ')}`] };
    },
  };
}

describe('scripts/run/runner: a run that meets a lock held below the taker', () => {
  it('is run again from the start with that lock class atomic, and the result says so', () => {
    const runs: (readonly string[])[] = [];
    const r = runCell(nestingScenario(runs), { kernel: 'linux-6.1', cpus: 2, seed: 1, params: {} });
    expect(runs).to.deep.equal([[], ['demo_mutex']]);
    expect(r.notes![0]).to.equal('holds: cpu0, cpu1');
    expect(r.notes![1]).to.match(/^lock model: mutex demo_mutex ran atomic .* other-11 on CPU 1 takes mutex demo_mutex, held by holder-10 on CPU 0, suspended below it/);
  });

  it('does the same for every cell of a matrix, each from its own first run', () => {
    const runs: (readonly string[])[] = [];
    const m = runMatrix(nestingScenario(runs), { kernels: ['linux-6.1', 'linux-6.12'], cpus: [2], seed: 1, params: {} });
    expect(runs).to.deep.equal([[], ['demo_mutex'], [], ['demo_mutex']]);
    expect(m.cells.map((c) => c.result.notes![0])).to.deep.equal(['holds: cpu0, cpu1', 'holds: cpu0, cpu1']);
  });

  it('runs once, with nothing added, when no step meets a lock held below it', () => {
    const runs: (readonly string[])[] = [];
    const r = runCell(nestingScenario(runs), { kernel: 'linux-6.1', cpus: 2, seed: 1, params: {}, atomicLocks: ['demo_mutex'] });
    expect(runs).to.deep.equal([['demo_mutex']]);
    expect(r.notes).to.deep.equal(['holds: cpu0, cpu1']);
  });
});
