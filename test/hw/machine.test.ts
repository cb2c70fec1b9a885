// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { MACHINE_STATS, Machine } from '../../hw/machine.js';
import { mapPage, unmapPage } from '../../hw/mapping.js';
import { EntryBits, entryFrame } from '../../hw/pageTable.js';
import { KERNEL_FLAGS, kpage, mapMarked, smallMachine } from './helpers.js';

describe('Machine', () => {
  it('boots every CPU with the kernel root in CR3 and the configured CR4 bits', () => {
    const m = new Machine({ cpus: 3, pcid: false });
    for (const c of m.cpus) {
      expect(c.root).to.equal(m.kernelRoot);
      expect(c.pcide).to.equal(false);
      expect(c.pge).to.equal(true);
    }
  });

  it('names the valid CPU ids when asked for one that does not exist', () => {
    expect(() => smallMachine({ cpus: 2 }).cpu(2)).to.throw(RangeError, 'cpu 2 does not exist: this machine has cpus 0 to 1');
  });

  it('shares the kernel half below the top level with every new address space', () => {
    const m = smallMachine();
    mapMarked(m, kpage(0), 7);
    const user = m.newAddressSpace();
    const top = (root: number): bigint => m.readEntry(root * 4096 + 402 * 8);
    expect(entryFrame(top(user))).to.equal(entryFrame(top(m.kernelRoot)));
    // A page mapped later under the same top-level entry is visible through the user root.
    mapMarked(m, kpage(1), 8);
    m.cpu(1).writeCr3(user, { pcid: 5 });
    expect(m.cpu(1).read64(kpage(1))).to.equal(8);
    expect(m.readEntry(user * 4096)).to.equal(0n);
  });

  it('does not copy a kernel top-level entry created after the address space', () => {
    const m = smallMachine();
    const user = m.newAddressSpace();
    mapMarked(m, kpage(0), 7);
    m.cpu(0).writeCr3(user);
    expect(m.cpu(0).tryTranslate(kpage(0)).ok).to.equal(false);
  });

  it('logs entry writes with the CPU that made them, and counts them', () => {
    const m = smallMachine();
    const f = m.allocFrame() as number;
    m.runOn(2, () => mapPage(m, m.kernelRoot, kpage(0), f, KERNEL_FLAGS));
    expect(m.stats[MACHINE_STATS.index.entryWrites]).to.equal(4); // three tables and the leaf
    const old = m.clearEntry(m.kernelRoot * 4096); // an empty slot
    expect(old).to.equal(0n);
  });

  it('restores the running CPU after runOn, even when the function throws', () => {
    const m = smallMachine();
    expect(() => m.runOn(1, () => {
      throw new Error('boom');
    })).to.throw('boom');
    expect(m.currentCpu).to.equal(-1);
    expect(m.runOn(3, (c) => c.id * 10 + m.currentCpu)).to.equal(33);
  });

  it('stays sparse: 100,000 map/write/unmap/flush cycles on a 4 GiB machine store few frames', () => {
    const m = new Machine({ cpus: 8, checker: false });
    const cpu = m.cpu(0);
    for (let i = 0; i < 100_000; i++) {
      const va = kpage(i % 4096);
      const f = m.allocFrame() as number;
      mapPage(m, m.kernelRoot, va, f, KERNEL_FLAGS);
      cpu.write64(va, i);
      unmapPage(m, m.kernelRoot, va);
      cpu.invlpg(va);
      m.freeFrame(f);
    }
    expect(m.mem.storedFrames).to.be.lessThan(64);
    expect(m.frames.peak).to.be.lessThan(64);
  });

  it('builds independent machines: nothing is shared between two of them', () => {
    const a = smallMachine();
    const b = smallMachine();
    mapMarked(a, kpage(0), 1);
    a.cpu(0).read64(kpage(0));
    expect(b.clock).to.equal(0);
    expect(b.cpu(0).tryTranslate(kpage(0)).ok).to.equal(false);
    expect(EntryBits.P).to.equal(1n);
  });
});
