// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { runMatrix } from '../../../scripts/run/runner.js';
import { toJson } from '../../../scripts/report/table.js';
import { hughIoremapBug } from '../../../scripts/scenarios/hugh-ioremap-bug.js';

describe('the hugh-ioremap-bug scenario', () => {
  const m = runMatrix(hughIoremapBug, {
    kernels: ['mmotm-2010-vmap-cache-v1', 'linux-2.6.39', 'linux-6.1'],
    cpus: [1],
    seed: 1,
    params: { offset: 0x2000 },
  });
  const cell = (k: string) => m.cells.find((c) => c.kernel === k)?.result;

  it('ends the mmotm run in BUG_ON(first->va_start < addr) at line 412 on the fourth step', () => {
    const r = cell('mmotm-2010-vmap-cache-v1');
    expect(r?.bug).to.include({ func: 'alloc_vmap_area', line: 412, cond: 'first->va_start < addr', op: 4 });
    expect(r?.bug?.oops).to.contain('kernel BUG at mm/vmalloc.c:412!');
    expect(r?.bug?.oops).to.contain('[ffffc9000000b000, ffffc9000000d000) 2 pages busy');
    expect(r?.figures.bugs).to.equal(1);
  });

  it('places the same ioremap at [V+0xE000, V+0x11000) on linux-2.6.39', () => {
    expect(cell('linux-2.6.39')?.notes).to.include('ioremap(8 KiB): [V+0xe000, V+0x11000)');
    expect(cell('linux-2.6.39')?.figures.bugs).to.equal(0);
  });

  it('runs to the end on linux-6.1, which keeps no gap between areas', () => {
    expect(cell('linux-6.1')?.notes).to.include('ioremap(8 KiB): [V+0xa000, V+0xd000)');
  });

  it('keeps its JSON shape: one run per (kernel, cpus) with the figures', () => {
    const j = toJson(m) as { runs: Record<string, unknown>[] };
    expect(j.runs).to.have.length(3);
    expect(Object.keys(j.runs[0]!)).to.include.members(['kernel', 'cpus', 'seed', 'params', 'operations', 'touchesPerAlloc', 'purges', 'ipisSent', 'bugs', 'counters']);
  });
});
