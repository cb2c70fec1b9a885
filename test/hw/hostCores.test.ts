// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { HostCores } from '../../hw/hostCores.js';

/** A host of `cores` cores with vCPUs 0..n-1 all wanting one. */
function host(cores: number, n: number, latency: number, minSlice = 0): HostCores {
  const h = new HostCores(cores, n, latency, minSlice);
  for (let c = 0; c < n; c++) h.setRunnable(c, true);
  return h;
}

describe('hw/hostCores: the host time-shares its cores among the vCPU threads', () => {
  describe('with even sharing (hostLatency 0)', () => {
    it('stretches work on each of 4 runnable vCPUs on 2 cores by 4/2', () => {
      expect(host(2, 4, 0).advance(3, 100, 300)).to.equal(700);
    });

    it('has every vCPU on a core at every moment', () => {
      expect(host(2, 4, 0).nextOnCore(3, 123)).to.equal(123);
    });
  });

  describe('with turns (hostLatency > 0)', () => {
    // 4 vCPUs on 2 cores, a period of 1,000 cycles: turns of 1,000 x 2 / 4 = 500;
    // vCPUs 0 and 1 run in turns 0, 2, 4 ..., vCPUs 2 and 3 in turns 1, 3, 5 ...
    it('gives each vCPU a turn of latency x cores / runnable vCPUs, round robin by id', () => {
      const h = host(2, 4, 1000);
      expect(h.slice()).to.equal(500);
      expect(h.nextOnCore(0, 499)).to.equal(499);
      expect(h.nextOnCore(0, 500)).to.equal(1000);
      expect(h.nextOnCore(3, 100)).to.equal(500);
      expect(h.nextOnCore(3, 999)).to.equal(999);
    });

    it('runs priced work only during its vCPU\'s turns', () => {
      const h = host(2, 4, 1000);
      // Starts off its core: waits for turn 1.
      expect(h.advance(2, 0, 300)).to.equal(800);
      // 100 cycles in turn 0, none in turn 1, the other 200 in turn 2.
      expect(h.advance(0, 400, 300)).to.equal(1200);
    });

    it('makes no turn shorter than the minimum slice', () => {
      expect(host(2, 8, 1000, 400).slice()).to.equal(400);
    });

    it('wakes a halted vCPU at once for an interrupt, and shares nothing when no more vCPUs want a core than there are cores', () => {
      const h = host(2, 4, 1000);
      h.setRunnable(3, false);
      expect(h.nextOnCore(3, 100)).to.equal(100);
      expect(h.advance(3, 100, 50)).to.equal(150);
      h.setRunnable(2, false);
      expect(h.shared).to.equal(false);
      expect(h.advance(0, 400, 300)).to.equal(700);
    });

    it('ranks the vCPUs that want a core again when one halts: 3 left on 2 cores take turns of 2000 x 2 / 3', () => {
      const h = host(2, 4, 2000);
      h.setRunnable(1, false);
      // Ranks: vCPU 0 -> 0, 2 -> 1, 3 -> 2. Turn 0 runs ranks 0 and 1, turn 1 ranks 2 and 0.
      const s = h.slice();
      expect(s).to.be.closeTo(4000 / 3, 1e-9);
      expect(h.nextOnCore(3, 10)).to.equal(s);
      expect(h.nextOnCore(2, s + 1)).to.equal(2 * s);
    });
  });
});
