// SPDX-License-Identifier: GPL-2.0-only
/*
 * The steady state of test_vmalloc's fix_size_alloc_test with its default
 * million loops, in small: `vmapsim run scripts/examples/warm-pool-loop.ts
 * --cpus 64 --kernel linux-6.1,linux-6.12` (docs/concurrency.md, "Lock
 * contention").
 *
 * Warm-up, in sequential mode: every CPU vmallocs `warm` one-page buffers
 * (two pages with the guard), then frees them all. The default crosses
 * lazy_max_pages from 16 to 64 CPUs (raise `warm` below 16), so the drain
 * work runs and
 * 6.12's pools of each CPU's node fill, as they are after the first purges
 * of a long run. Then, in timed mode, one bound task per CPU loops
 * vmalloc(PAGE_SIZE)/vfree `loops` times. The notes give the modelled time
 * of the loops and their lock waits by class, as a share of the CPUs' busy
 * cycles.
 */

import { bootKernel } from '../../kernel/boot.js';
import { lockClasses } from '../scenarios/vmalloc-loop.js';
import { machineFigures } from '../run/machine-metrics.js';
import type { Scenario } from '../run/scenario.js';

const scenario: Scenario = {
  name: 'warm-pool-loop',
  description: 'one task per CPU loops vmalloc/vfree of one page after a warm-up that fills the pools (the steady state of a long test_vmalloc fix_size run)',
  params: [
    { name: 'loops', kind: 'int', default: 200, min: 1, description: 'vmalloc/vfree pairs per CPU in timed mode' },
    { name: 'warm', kind: 'int', default: 1300, min: 0, description: 'one-page buffers per CPU allocated and freed before the loops' },
  ],
  defaults: { kernels: ['linux-6.1', 'linux-6.12'], cpus: [16] },
  run(ctx) {
    const k = bootKernel({ version: ctx.kernel, cpus: ctx.cpus, atomicLocks: ctx.atomicLocks, machine: { cpus: ctx.cpus, seed: ctx.seed, costs: ctx.costs }, trace: false });
    const loops = ctx.params.loops as number;
    const warm = ctx.params.warm as number;
    const held: [number, ReturnType<typeof k.vmalloc>][] = [];
    for (let i = 0; i < warm; i++) for (let c = 0; c < ctx.cpus; c++) held.push([c, k.vmalloc(c, 4096)]);
    for (const [c, p] of held) k.vfree(c, p);
    k.flush_work();
    const purgesWarm = k.purges.length;
    const start = Math.max(...k.machine.cpus.map((c) => c.now));
    const busy0 = k.machine.cpus.reduce((a, c) => a + c.now - c.idleCycles, 0);
    const wait0 = new Map(lockClasses(k).map((l) => [l.name, l.wait]));
    function* loop(cpu: number): Generator<void> {
      for (let i = 0; i < loops; i++) {
        const p = k.vmalloc(cpu, 4096);
        yield;
        k.vfree(cpu, p);
        yield;
      }
    }
    k.runTasks(Array.from({ length: ctx.cpus }, (_, c) => ({ comm: 'loop', pid: 100 + c, cpu: c, bound: true, steps: loop(c) })));
    const elapsed = Math.max(...k.machine.cpus.map((c) => c.now)) - start;
    const busy = k.machine.cpus.reduce((a, c) => a + c.now - c.idleCycles, 0) - busy0;
    const waits = lockClasses(k)
      .map((l) => ({ name: l.name, wait: l.wait - (wait0.get(l.name) ?? 0) }))
      .filter((l) => l.wait > 0)
      .sort((a, b) => b.wait - a.wait);
    const total = waits.reduce((a, l) => a + l.wait, 0);
    const m = machineFigures(k, { operations: 2 * warm * ctx.cpus + 2 * loops * ctx.cpus, allocations: (warm + loops) * ctx.cpus, failedAllocations: 0, touches: [], bugs: 0 });
    return {
      ...m,
      notes: [
        `warm-up: ${warm} buffers per CPU, ${purgesWarm} purge(s); loops: ${k.purges.length - purgesWarm} purge(s)`,
        `modelled time of the loops: ${elapsed.toFixed(0)} cycles; lock waits ${(100 * total / Math.max(busy, 1)).toFixed(1)}% of the CPUs' busy cycles${waits.length ? ': ' + waits.map((l) => `${l.name} ${((100 * l.wait) / Math.max(busy, 1)).toFixed(1)}%`).join(', ') : ''}`,
      ],
    };
  },
};

export default scenario;
