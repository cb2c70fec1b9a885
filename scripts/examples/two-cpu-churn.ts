// SPDX-License-Identifier: GPL-2.0-only
/*
 * An example of a scenario written against the library, in the shape of the
 * built-in ones: `vmapsim run scripts/examples/two-cpu-churn.ts`.
 *
 * CPU 0 and CPU 1 take turns: each vmallocs a buffer, writes it, lets the
 * other CPU read it through its own MMU, and vfrees it. Every read is
 * checked: a wrong value would mean a stale translation.
 */

import { bootKernel } from '../../kernel/boot.js';
import { machineFigures } from '../run/machine-metrics.js';
import type { Scenario } from '../run/scenario.js';

const scenario: Scenario = {
  name: 'two-cpu-churn',
  description: 'two CPUs take turns: vmalloc, write on one CPU, read on the other, vfree',
  params: [
    { name: 'rounds', kind: 'int', default: 2000, min: 1, description: 'rounds per CPU' },
    { name: 'pages', kind: 'int', default: 4, min: 1, max: 1024, description: 'pages per buffer' },
  ],
  defaults: { kernels: ['linux-2.6.39', 'linux-6.1'], cpus: [2, 8] },
  run(ctx) {
    const k = bootKernel({ version: ctx.kernel, cpus: ctx.cpus, machine: { cpus: ctx.cpus, seed: ctx.seed, costs: ctx.costs }, trace: false });
    const rounds = ctx.params.rounds as number;
    const size = (ctx.params.pages as number) * 4096;
    const touches: number[] = [];
    let wrong = 0;
    for (let i = 0; i < 2 * rounds; i++) {
      const writer = i % 2;
      const reader = 1 - writer;
      const t0 = k.touchesOn(writer);
      const buf = k.vmalloc(writer, size);
      touches.push(k.touchesOn(writer) - t0);
      for (let off = 0; off < size; off += 4096) k.write64(writer, buf + off, i + off);
      for (let off = 0; off < size; off += 4096) if (k.read64(reader, buf + off) !== i + off) wrong++;
      k.vfree(writer, buf);
    }
    k.flush_work();
    const m = machineFigures(k, { operations: 4 * rounds, allocations: 2 * rounds, failedAllocations: 0, touches, bugs: 0 });
    return { ...m, notes: [`${wrong} reads returned a value other than the one written`] };
  },
};

export default scenario;
