// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { resolve } from 'node:path';
import { InputError } from '../../../scripts/lib/input-error.js';
import { loadScenarioFile } from '../../../scripts/run/load.js';
import { runMatrix } from '../../../scripts/run/runner.js';

describe("loading a user's scenario file", () => {
  it('runs the README example and finds every read correct', async () => {
    const s = await loadScenarioFile(resolve(import.meta.dirname, '../../../scripts/examples/two-cpu-churn.ts'));
    expect(s.name).to.equal('two-cpu-churn');
    const m = runMatrix(s, { kernels: ['linux-6.1'], cpus: [2], seed: 1, params: { rounds: 200, pages: 2 } });
    const r = m.cells[0]!.result;
    expect(r.notes).to.deep.equal(['0 reads returned a value other than the one written']);
    expect(r.figures.allocations).to.equal(400);
    expect(r.figures.checkerReports).to.equal(0);
  });

  it('names the file when it exports no scenario', async () => {
    const error = async (p: string): Promise<unknown> => loadScenarioFile(p).then(() => null, (e: unknown) => e);
    const noScenario = await error(resolve(import.meta.dirname, '../../../scripts/run/stats.ts'));
    expect(noScenario).to.be.instanceOf(InputError);
    expect((noScenario as Error).message).to.match(/exports no scenario/);
    const missing = await error('/nonexistent/x.ts');
    expect(missing).to.be.instanceOf(InputError);
    expect((missing as Error).message).to.match(/no such scenario file/);
  });
});
