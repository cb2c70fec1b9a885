// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { callFunctionMany } from '../../hw/callFunction.js';
import { Machine } from '../../hw/machine.js';
import { type Step, runInterleaved } from '../../hw/scheduler.js';
import { smallMachine } from './helpers.js';

function counting(m: Machine, steps: number): { cpu: number; steps: Step[] }[] {
  return m.cpus.map((c) => ({ cpu: c.id, steps: Array.from({ length: steps }, () => (): void => undefined) }));
}

describe('runInterleaved', () => {
  it('gives the same order for the same seed', () => {
    const order = (seed: number): readonly number[] => {
      const m = smallMachine({ seed });
      return runInterleaved(m, counting(m, 10), { recordOrder: true }).order;
    };
    expect(order(5)).to.deep.equal(order(5));
    expect(order(5)).to.not.deep.equal(order(6));
  });

  it('runs every step of every task exactly once', () => {
    const m = smallMachine({ cpus: 3 });
    const r = runInterleaved(m, counting(m, 7));
    expect(r.steps).to.equal(21);
    expect(r.stepsPerCpu).to.deep.equal([7, 7, 7]);
  });

  it('takes turns in round-robin order when asked', () => {
    const m = smallMachine({ cpus: 3 });
    const r = runInterleaved(m, counting(m, 2), { order: 'round-robin', recordOrder: true });
    expect(r.order).to.deep.equal([0, 1, 2, 0, 1, 2]);
  });

  it('runs generator steps as code on their CPU with the task name as context', () => {
    const m = smallMachine({ cpus: 2 });
    const seen: string[] = [];
    function* work(): Generator<void> {
      seen.push(`${m.currentCpu}:${m.cpu(1).context}`);
      yield;
      seen.push(`${m.currentCpu}`);
    }
    runInterleaved(m, [{ cpu: 1, name: 'worker', steps: work() }]);
    expect(seen).to.deep.equal(['1:worker', '1']);
    expect(m.currentCpu).to.equal(-1);
  });

  it('delivers a pending IPI to a CPU before its next step', () => {
    const m = smallMachine({ cpus: 2 });
    const log: string[] = [];
    runInterleaved(
      m,
      [
        { cpu: 0, steps: [() => void callFunctionMany(m, 0, [1], () => log.push('handler'), { wait: false })] },
        { cpu: 1, steps: [() => log.push('step1'), () => log.push('step2')] },
      ],
      { order: 'round-robin' },
    );
    expect(log).to.deep.equal(['handler', 'step1', 'step2']);
  });

  it('stops after maxSteps', () => {
    const m = smallMachine({ cpus: 2 });
    expect(runInterleaved(m, counting(m, 10), { maxSteps: 5 }).steps).to.equal(5);
  });
});
