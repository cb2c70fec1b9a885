// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { formatGfs2, gfs2AllocatorChild, gfs2Child, type Gfs2BenchRow, ratioToAllocator } from '../../../scripts/bench/gfs2-full.js';

describe('bench gfs2 (the scenario on the machine, and its allocator calls alone)', () => {
  for (const version of ['linux-2.6.35', 'linux-2.6.39', 'linux-6.1'])
    it(`makes the allocator do the same work alone as on the machine: ${version}`, function () {
      this.timeout(60000);
      const machine = gfs2Child(version, 8, 2000, false);
      const alone = gfs2AllocatorChild(version, 8, 2000);
      expect(alone.mode).to.equal('allocator');
      expect(alone.touchesPerAlloc).to.equal(machine.touchesPerAlloc);
    });

  it('prints each machine row against the allocator-only row of its version', () => {
    const row = (mode: Gfs2BenchRow['mode'], checker: boolean, cpuSeconds: number): Gfs2BenchRow => ({
      version: 'linux-6.1',
      mode,
      cpus: 64,
      iterations: 1000000,
      checker,
      wallSeconds: cpuSeconds,
      cpuSeconds,
      peakMemoryMiB: 100,
      touchesPerAlloc: 6,
    });
    const rows = [row('machine', false, 9), row('machine', true, 21), row('allocator', false, 3)];
    expect(ratioToAllocator(rows, rows[1]!)).to.equal(7);
    const text = formatGfs2(rows).split('\n');
    expect(text[1]).to.match(/^linux-6\.1\s+machine\s+64\s+1000000\s+off\s+9\.0\s+9\.0\s+3\.00x/);
    expect(text[3]).to.match(/^linux-6\.1\s+allocator only\s+64\s+1000000\s+-\s+3\.0\s+3\.0\s+-/);
  });
});
