// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { COST_INDEX } from '../../hw/costs.js';
import { CPU_STATS, Cpu } from '../../hw/cpu.js';
import { GeneralProtection, InvalidOpcode, PageFault } from '../../hw/faults.js';
import { Machine } from '../../hw/machine.js';
import { findEntry, mapPage, unmapPage } from '../../hw/mapping.js';
import { EntryBits } from '../../hw/pageTable.js';
import { KERNEL_FLAGS, KVA, kpage, mapMarked, smallMachine } from './helpers.js';

const S = CPU_STATS.index;
const USER_VA = 0x400000;
const USER_FLAGS = EntryBits.RW | EntryBits.US;

/** Whether `cpu` holds a translation for `va` usable under `pcid` in any structure. */
function cached(cpu: Cpu, va: number, pcid = cpu.pcid): boolean {
  const pn = Math.floor(va / 4096);
  const found = (t: Cpu['l1'], tag: number, size: number): boolean => {
    const before = t.stats.slice();
    const hit = t.lookup(tag, pcid, size) >= 0;
    t.stats.set(before);
    return hit;
  };
  return found(cpu.l1, pn, 0) || found(cpu.stlb, pn, 0) || found(cpu.l1Huge, Math.floor(pn / 512), 64) || found(cpu.stlb, Math.floor(pn / 512), 64);
}

/** A machine with a user address space at PCID 1 on cpu 0 holding one user and one global kernel page. */
function twoKinds(): { m: Machine; cpu: Cpu; userRoot: number } {
  const m = smallMachine();
  mapMarked(m, kpage(0), 1);
  const userRoot = m.newAddressSpace();
  const f = m.allocFrame() as number;
  mapPage(m, userRoot, USER_VA, f, USER_FLAGS);
  const cpu = m.cpu(0);
  cpu.writeCr3(userRoot, { pcid: 1 });
  cpu.read64(kpage(0));
  cpu.read64(USER_VA);
  return { m, cpu, userRoot };
}

describe('Cpu', () => {
  describe('memory access', () => {
    it('reads what was written through the same mapping', () => {
      const m = smallMachine();
      mapMarked(m, kpage(0), 0);
      m.cpu(1).write64(kpage(0) + 16, 0xdeadbeef);
      expect(m.cpu(2).read64(kpage(0) + 16)).to.equal(0xdeadbeef);
      m.cpu(1).write8(kpage(0) + 3, 0x7f);
      expect(m.cpu(0).read8(kpage(0) + 3)).to.equal(0x7f);
      m.cpu(0).writeU64(kpage(0) + 24, 0x8000000000000001n);
      expect(m.cpu(3).readU64(kpage(0) + 24)).to.equal(0x8000000000000001n);
    });

    it('raises a not-present page fault that names the level, and caches nothing', () => {
      const m = smallMachine();
      const cpu = m.cpu(0);
      let fault: unknown;
      try {
        cpu.read64(kpage(0));
      } catch (e) {
        fault = e;
      }
      expect(fault).to.be.instanceOf(PageFault);
      expect((fault as PageFault).kind).to.equal('not-present');
      expect((fault as PageFault).level).to.equal(4);
      expect(cpu.l1.valid + cpu.stlb.valid).to.equal(0);
    });

    it('needs no flush to use a page mapped after a fault on it (not-present is never cached)', () => {
      const m = smallMachine();
      const cpu = m.cpu(0);
      expect(cpu.tryTranslate(kpage(0)).ok).to.equal(false);
      mapMarked(m, kpage(0), 4242);
      expect(cpu.read64(kpage(0))).to.equal(4242);
      expect(m.checker.reports).to.have.length(0);
    });

    it('raises a protection fault for a write to a read-only page', () => {
      const m = smallMachine();
      mapMarked(m, kpage(0), 0, EntryBits.G);
      expect(() => m.cpu(0).write64(kpage(0), 1)).to.throw(PageFault).with.property('kind', 'protection');
      expect(m.cpu(0).stats[S.faultProtection]).to.equal(1);
    });

    it('refuses user-mode access to a supervisor page but allows it to a user page', () => {
      const { m, cpu } = twoKinds();
      cpu.setUserMode(true);
      expect(() => cpu.read64(kpage(0))).to.throw(PageFault).with.property('errorCode', 5);
      expect(cpu.read64(USER_VA)).to.equal(0);
      expect(m.cpu(0).userMode).to.equal(true);
    });

    it('refuses an instruction fetch from an NX page', () => {
      const m = smallMachine();
      mapMarked(m, kpage(0), 0);
      expect(() => m.cpu(0).fetch8(kpage(0))).to.throw(PageFault).with.property('access', 'fetch');
    });

    it('raises #GP for a non-canonical address', () => {
      const m = smallMachine();
      expect(() => m.cpu(0).read64(2 ** 47)).to.throw(GeneralProtection, 'is not canonical');
    });

    it('rejects an unaligned 64-bit access', () => {
      const m = smallMachine();
      mapMarked(m, kpage(0), 0);
      expect(() => m.cpu(0).read64(kpage(0) + 4)).to.throw(RangeError, 'is not 8-byte aligned');
    });

    it('sets A on a read and D on the first write, re-walking a clean entry to do so', () => {
      const m = smallMachine();
      mapMarked(m, kpage(0), 0);
      const cpu = m.cpu(0);
      cpu.read64(kpage(0));
      const leaf = (): bigint => findEntry(m, m.kernelRoot, kpage(0))?.entry ?? 0n;
      expect(leaf() & (EntryBits.A | EntryBits.D)).to.equal(EntryBits.A);
      cpu.write64(kpage(0), 1);
      expect(leaf() & EntryBits.D).to.equal(EntryBits.D);
      expect(cpu.stats[S.dirtyAssists]).to.equal(1);
      cpu.write64(kpage(0), 2);
      expect(cpu.stats[S.dirtyAssists]).to.equal(1);
      expect(cpu.stats[S.walks]).to.equal(2);
    });

    it('hits in L1 after the first access and in the STLB after an L1 eviction', () => {
      const m = smallMachine({ l1: { entries: 4, ways: 4 } });
      for (let p = 0; p < 6; p++) mapMarked(m, kpage(p), p);
      const cpu = m.cpu(0);
      for (let p = 0; p < 6; p++) cpu.read64(kpage(p));
      expect(cpu.read64(kpage(0))).to.equal(0); // evicted from the 4-entry L1, still in the STLB
      expect(cpu.stlb.hits).to.equal(1);
      expect(cpu.stats[S.walks]).to.equal(6);
      expect(cpu.l1.hits).to.equal(0);
      cpu.read64(kpage(0));
      expect(cpu.l1.hits).to.equal(1);
    });

    it('charges a walk per level read plus the miss, and an STLB hit', () => {
      const m = smallMachine({ costs: { tlbMiss: 20, walkLevel: 14, stlbHit: 10, tlbHit: 1 } });
      mapMarked(m, kpage(0), 0);
      const cpu = m.cpu(0);
      cpu.read64(kpage(0));
      expect(cpu.now).to.equal(20 + 4 * 14);
      cpu.read64(kpage(0));
      expect(cpu.now).to.equal(20 + 4 * 14 + 1);
    });
  });

  describe('2 MiB pages', () => {
    it('translate every 4 KiB page inside through one large entry', () => {
      const m = smallMachine();
      mapPage(m, m.kernelRoot, KVA, 1024, KERNEL_FLAGS, { large: true });
      m.mem.write64(1030 * 4096 + 8, 606);
      const cpu = m.cpu(0);
      expect(cpu.read64(KVA + 6 * 4096 + 8)).to.equal(606);
      cpu.read64(KVA + 100 * 4096);
      expect(cpu.stats[S.walks]).to.equal(1);
      expect(cpu.l1Huge.valid).to.equal(1);
      expect(cpu.l1.valid).to.equal(0);
    });

    it('are removed by INVLPG of any address inside them', () => {
      const m = smallMachine();
      mapPage(m, m.kernelRoot, KVA, 1024, KERNEL_FLAGS, { large: true });
      const cpu = m.cpu(0);
      cpu.read64(KVA);
      cpu.invlpg(KVA + 300 * 4096);
      expect(cached(cpu, KVA)).to.equal(false);
      expect(cpu.stats[S.invlpgEntries]).to.equal(2);
    });
  });

  describe('5-level paging', () => {
    it('translates an address that is canonical only with LA57', () => {
      const m = smallMachine({ pagingLevels: 5 });
      const va = -(2 ** 50);
      const f = m.allocFrame() as number;
      m.mem.write64(f * 4096, 55);
      mapPage(m, m.kernelRoot, va, f, KERNEL_FLAGS);
      expect(m.cpu(0).read64(va)).to.equal(55);
      expect(m.cpu(0).stats[S.walkEntryReads]).to.equal(5);
    });
  });

  describe('INVLPG', () => {
    it('removes a global entry for that page', () => {
      const { cpu } = twoKinds();
      cpu.invlpg(kpage(0));
      expect(cached(cpu, kpage(0))).to.equal(false);
    });

    it('removes a global entry even when it was filled under another PCID', () => {
      const { cpu, userRoot } = twoKinds();
      cpu.writeCr3(userRoot, { pcid: 2 });
      cpu.invlpg(kpage(0));
      expect(cached(cpu, kpage(0), 1)).to.equal(false);
    });

    it('removes the current PCID’s entry but not another PCID’s for the same page', () => {
      const { cpu, userRoot } = twoKinds();
      cpu.writeCr3(userRoot, { pcid: 2 });
      cpu.read64(USER_VA);
      cpu.invlpg(USER_VA);
      expect(cached(cpu, USER_VA, 2)).to.equal(false);
      expect(cached(cpu, USER_VA, 1)).to.equal(true);
    });

    it('leaves other pages alone and counts an elided flush when nothing matched', () => {
      const { cpu } = twoKinds();
      cpu.invlpg(kpage(7));
      expect(cached(cpu, kpage(0))).to.equal(true);
      expect([cpu.stats[S.invlpgRequested], cpu.stats[S.invlpgPerformed], cpu.stats[S.invlpgElided]]).to.deep.equal([1, 0, 1]);
    });

    it('does nothing for a non-canonical address', () => {
      const { cpu } = twoKinds();
      expect(() => cpu.invlpg(2 ** 50)).to.not.throw();
      expect(cached(cpu, kpage(0))).to.equal(true);
    });
  });

  describe('MOV to CR3', () => {
    it('keeps a global entry', () => {
      const { cpu, userRoot } = twoKinds();
      cpu.writeCr3(userRoot, { pcid: 1 });
      expect(cached(cpu, kpage(0))).to.equal(true);
      expect(cached(cpu, USER_VA)).to.equal(false);
    });

    it('flushes only the non-global entries of the PCID being loaded', () => {
      const { cpu, userRoot } = twoKinds();
      cpu.writeCr3(userRoot, { pcid: 2 });
      expect(cached(cpu, USER_VA, 1)).to.equal(true);
    });

    it('flushes nothing with the no-flush bit set', () => {
      const { cpu, userRoot } = twoKinds();
      cpu.writeCr3(userRoot, { pcid: 1, noFlush: true });
      expect(cached(cpu, USER_VA)).to.equal(true);
      expect(cpu.stats[S.cr3NoFlushWrites]).to.equal(1);
    });

    it('treats every entry as global-less and flushes it when PGE is off', () => {
      const m = smallMachine({ pge: false });
      mapMarked(m, kpage(0), 1);
      const cpu = m.cpu(0);
      cpu.read64(kpage(0));
      cpu.writeCr3(m.kernelRoot);
      expect(cached(cpu, kpage(0))).to.equal(false);
    });

    it('refuses PCID bits while CR4.PCIDE is clear', () => {
      const m = smallMachine({ pcid: false });
      expect(() => m.cpu(0).writeCr3(m.kernelRoot, { pcid: 3 })).to.throw(GeneralProtection, 'need CR4.PCIDE');
    });
  });

  describe('CR4.PGE toggle', () => {
    it('removes global entries too', () => {
      const { cpu } = twoKinds();
      cpu.toggleCr4Pge();
      expect(cached(cpu, kpage(0))).to.equal(false);
      expect(cached(cpu, USER_VA)).to.equal(false);
      expect(cpu.pge).to.equal(true);
    });

    it('counts two flushing CR4 writes, the second one elided', () => {
      const { cpu } = twoKinds();
      cpu.toggleCr4Pge();
      expect([cpu.stats[S.cr4Requested], cpu.stats[S.cr4Performed], cpu.stats[S.cr4Elided], cpu.stats[S.cr4Entries]]).to.deep.equal([2, 1, 1, 4]);
      expect(cpu.cycles[COST_INDEX.cr4Write]).to.equal(750); // two writes of 375
    });

    it('cannot set PGE on a CPU without global pages', () => {
      const m = smallMachine({ pge: false });
      expect(() => m.cpu(0).toggleCr4Pge()).to.throw(GeneralProtection, 'CR4.PGE cannot be set');
    });
  });

  describe('INVPCID', () => {
    it('type 0 removes one address of the given PCID but keeps a global entry for it', () => {
      const { cpu } = twoKinds();
      cpu.invpcid(0, 1, USER_VA);
      cpu.invpcid(0, 1, kpage(0));
      expect(cached(cpu, USER_VA)).to.equal(false);
      expect(cached(cpu, kpage(0))).to.equal(true);
    });

    it('type 1 removes every non-global entry of the given PCID only', () => {
      const { cpu, userRoot } = twoKinds();
      cpu.writeCr3(userRoot, { pcid: 2 });
      cpu.read64(USER_VA);
      cpu.invpcid(1, 1);
      expect(cached(cpu, USER_VA, 1)).to.equal(false);
      expect(cached(cpu, USER_VA, 2)).to.equal(true);
      expect(cached(cpu, kpage(0))).to.equal(true);
    });

    it('type 2 removes everything, globals included', () => {
      const { cpu } = twoKinds();
      cpu.invpcid(2);
      expect(cpu.l1.valid + cpu.stlb.valid).to.equal(0);
    });

    it('type 3 removes every PCID’s entries but keeps globals', () => {
      const { cpu, userRoot } = twoKinds();
      cpu.writeCr3(userRoot, { pcid: 2, noFlush: true });
      cpu.read64(USER_VA);
      cpu.invpcid(3);
      expect(cached(cpu, USER_VA, 1)).to.equal(false);
      expect(cached(cpu, USER_VA, 2)).to.equal(false);
      expect(cached(cpu, kpage(0))).to.equal(true);
    });

    it('is an invalid opcode where the CPU lacks it', () => {
      const m = smallMachine({ invpcid: false });
      expect(() => m.cpu(0).invpcid(2)).to.throw(InvalidOpcode, 'INVPCID is not available');
    });
  });

  describe('INVLPGB and TLBSYNC', () => {
    it('reach every CPU’s TLB without IPIs', () => {
      const m = smallMachine({ invlpgb: true });
      mapMarked(m, kpage(0), 1);
      for (const c of m.cpus) c.read64(kpage(0));
      m.cpu(2).invlpgb({ va: kpage(0), includeGlobal: true });
      m.cpu(2).tlbsync();
      for (const c of m.cpus) {
        expect(cached(c, kpage(0)), `cpu${c.id}`).to.equal(false);
        expect(c.stats[S.invlpgbRequested]).to.equal(1);
        expect(c.stats[S.ipiReceivedCal]! + c.stats[S.ipiReceivedTlb]!).to.equal(0);
      }
      expect(m.cpu(2).cycles[COST_INDEX.tlbsync]).to.equal(1200);
    });

    it('keep global entries unless asked to include them', () => {
      const m = smallMachine({ invlpgb: true });
      mapMarked(m, kpage(0), 1);
      m.cpu(1).read64(kpage(0));
      m.cpu(0).invlpgb({ va: kpage(0) });
      expect(cached(m.cpu(1), kpage(0))).to.equal(true);
      m.cpu(0).invlpgb({});
      expect(cached(m.cpu(1), kpage(0))).to.equal(true);
      m.cpu(0).invlpgb({ includeGlobal: true });
      expect(cached(m.cpu(1), kpage(0))).to.equal(false);
    });

    it('cover a run of pages', () => {
      const m = smallMachine({ invlpgb: true });
      for (let p = 0; p < 4; p++) mapMarked(m, kpage(p), p);
      for (let p = 0; p < 4; p++) m.cpu(3).read64(kpage(p));
      m.cpu(0).invlpgb({ va: kpage(1), pages: 2, includeGlobal: true });
      expect([0, 1, 2, 3].map((p) => cached(m.cpu(3), kpage(p)))).to.deep.equal([true, false, false, true]);
      expect(m.cpu(0).invlpgbOutstanding).to.equal(1);
    });

    it('are invalid opcodes where the CPU lacks them', () => {
      const m = smallMachine();
      expect(() => m.cpu(0).invlpgb({})).to.throw(InvalidOpcode, 'INVLPGB');
      expect(() => m.cpu(0).tlbsync()).to.throw(InvalidOpcode, 'TLBSYNC');
    });
  });

  describe('stale translations', () => {
    it('keep returning the old frame’s data until flushed', () => {
      const m = smallMachine({ checker: false });
      mapMarked(m, kpage(0), 111);
      const cpu = m.cpu(0);
      expect(cpu.read64(kpage(0))).to.equal(111);
      unmapPage(m, m.kernelRoot, kpage(0));
      expect(cpu.read64(kpage(0))).to.equal(111);
      cpu.invlpg(kpage(0));
      expect(() => cpu.read64(kpage(0))).to.throw(PageFault);
    });
  });
});
