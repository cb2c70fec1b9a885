// SPDX-License-Identifier: GPL-2.0-only
/* lib/test_vmalloc.c: which text a kernel runs, its cases and its sizes (the scenario's specs are in test/scripts/scenarios/test-vmalloc*.test.ts). */
import { expect } from 'chai';
import { bootKernel } from '../../../kernel/boot.js';
import { junkLength, moduleText, testCases } from '../../../kernel/lib/test_vmalloc.js';

describe('lib/test_vmalloc.c', () => {
  it('runs the v5.1 module text before 6.1, 6.1\'s on 6.1 and 6.12\'s on 6.12', () => {
    expect(['linux-2.6.35', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.1+fc1e0d980037', 'linux-6.12'].map(moduleText)).to.deep.equal(['v5.1', 'v5.1', 'v5.1', 'v6.1', 'v6.1', 'v6.12']);
  });

  it("sizes full_fit_alloc_test's comb to exactly lazy_max_pages() for 1 to 8 CPUs", () => {
    for (const cpus of [1, 2, 3, 4, 8]) {
      const k = bootKernel({ version: 'linux-6.1', cpus });
      expect(junkLength(cpus), `${cpus} CPUs`).to.equal(k.allocator.lazy_max_pages());
    }
  });

  it('runs the v7.3 text on linux-7.3: 13 cases, the last two no_block_alloc_test (2048) and vrealloc_test (4096)', () => {
    expect(moduleText('linux-7.3')).to.equal('v7.3');
    const cases = testCases('v7.3');
    expect(cases).to.have.length(13);
    expect(cases.map((c) => c.name).slice(10)).to.deep.equal(['vm_map_ram_test', 'no_block_alloc_test', 'vrealloc_test']);
    expect(cases.filter((c) => c.xfail).map((c) => c.name)).to.deep.equal(['align_shift_alloc_test', 'no_block_alloc_test']);
  });
});
