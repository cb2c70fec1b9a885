// SPDX-License-Identifier: GPL-2.0-only
/*
 * The hardware profile's kernel-path costs (apiCall and the four page costs)
 * against the published one-CPU test_vmalloc figures they were fitted on
 * (docs/concurrency.md, "Fitted on the one-CPU test_vmalloc figures").
 * Uladzislau Rezki printed each case's time for 1,000,000 loops and the
 * run's TSC cycles, so each case's cycles per loop are known on two
 * machines: the v5.1 RFC (Jan 2019, a 5.0 kernel with the free-area cache,
 * 2.594 GHz; linux-mm, index id 23182348597) and pc638 (2020, the augmented
 * free tree, 3.700 GHz; id 18656630050). Each case runs alone on the port of
 * its era; a loop's cost is the difference of two loop counts, so the set-up
 * drops out. apiCall and the page costs were fitted on the RFC's four cases;
 * pc638's are a check. The earlier estimates were 1.7x to 4.3x too slow here.
 */
import { expect } from 'chai';
import { parseParams } from '../../scripts/run/params.js';
import { runMatrix } from '../../scripts/run/runner.js';
import { testVmalloc } from '../../scripts/scenarios/test-vmalloc.js';

/** Published microseconds for 1,000,000 loops, and the machine's clock. */
const PUBLISHED = [
  { machine: 'the v5.1 RFC', kernel: 'linux-3.18', ghz: 2.594, usec: { fix_size: 901177, full_fit: 1039341, long_busy_list: 11775763, random_size: 6081992 } },
  { machine: 'pc638', kernel: 'linux-5.2', ghz: 3.7, usec: { fix_size: 429836, full_fit: 566042, long_busy_list: 7663974, random_size: 3853388 } },
] as const;
const MASK = { fix_size: 1, full_fit: 2, long_busy_list: 4, random_size: 8 } as const;
type Case = keyof typeof MASK;

/** Modelled cycles per loop of one case run alone (the Summary's usec are modelled at 3 GHz). */
function cyclesPerLoop(kernel: string, c: Case): number {
  const usec = (loops: number) => {
    const params = parseParams(testVmalloc.name, testVmalloc.params, [`run_test_mask=${MASK[c]}`, `test_loop_count=${loops}`]);
    const notes = runMatrix(testVmalloc, { kernels: [kernel], cpus: [1], seed: 1, params }).cells[0]!.result.notes ?? [];
    const line = notes.find((n) => n.startsWith(`Summary: ${c}_alloc_test passed: 1 `)) ?? '';
    return Number(/ avg: (\d+) usec/.exec(line)?.[1]);
  };
  return ((usec(20000) - usec(10000)) / 10000) * 3000;
}

describe('the hardware profile\'s path costs against the published one-CPU test_vmalloc cycles', function () {
  this.timeout(300_000);
  const ratios: number[] = [];
  const [rfc, pc638] = PUBLISHED;
  for (const c of Object.keys(MASK) as Case[]) {
    it(`puts ${c}_alloc_test on ${rfc.kernel} within 1.3x of the cycles per loop of ${rfc.machine}, the run they were fitted on`, () => {
      const ratio = cyclesPerLoop(rfc.kernel, c) / ((rfc.usec[c] / 1e6) * rfc.ghz * 1000);
      ratios.push(ratio);
      expect(ratio).to.be.within(1 / 1.3, 1.3);
    });
  }
  it('fits that run with a root-mean-square log error under 0.2 (the estimates before the fit: 0.74)', () => {
    expect(ratios).to.have.length(4);
    const rms = Math.sqrt(ratios.reduce((s, r) => s + Math.log(r) ** 2, 0) / ratios.length);
    expect(rms).to.be.below(0.2);
  });
  /* Not fitted: pc638's small calls stay slow, the model's allocator touches being most of them (docs/concurrency.md). */
  for (const c of Object.keys(MASK) as Case[]) {
    it(`puts ${c}_alloc_test on ${pc638.kernel} within 2.6x of ${pc638.machine}'s cycles per loop (the estimates before the fit: up to 4.3x)`, () => {
      const ratio = cyclesPerLoop(pc638.kernel, c) / ((pc638.usec[c] / 1e6) * pc638.ghz * 1000);
      expect(ratio).to.be.within(1 / 2.6, 2.6);
    });
  }
});
