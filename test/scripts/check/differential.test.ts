// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import fc from 'fast-check';
import { versionNames } from '../../../kernel/mm/vmalloc/index.js';
import { againstContender, kernelContender } from '../../../scripts/check/contenders.js';
import { runPair } from '../../../scripts/check/differential.js';
import { type CheckOp, fromTuple, VE, VS } from '../../../scripts/check/ops.js';
import { makeGenerator } from '../../../scripts/check/workloads.js';

const P = 0x1000;
const opArb = fc.oneof(
  fc.tuple(fc.constant('a' as const), fc.integer({ min: 1, max: 300 }), fc.constantFrom(0, 0, 0, 13, 16, 19), fc.integer({ min: 0, max: 40 }), fc.constant(0)),
  fc.tuple(fc.constant('f' as const), fc.nat(50)),
  fc.tuple(fc.constant('l' as const), fc.nat(50)),
  fc.tuple(fc.constant('p' as const)),
);
const opsArb = fc.array(opArb, { maxLength: 120 }).map((ts) => ts.map((t) => fromTuple(t as Parameters<typeof fromTuple>[0])));

describe('running two allocators side by side', () => {
  it('never finds a divergence between a version and itself', () => {
    for (const v of versionNames()) {
      const A = kernelContender(v)!;
      fc.assert(
        fc.property(opsArb, (ops) => runPair(A, A, 1, ops, ops.length, { compareState: true }).divergence === null),
        { numRuns: 25, seed: 42 },
      );
    }
  });

  it('names a freed allocation by its age, so each side frees its own copy of it', () => {
    const ops: CheckOp[] = [
      { k: 'a', size: P, align: 1, vstart: VS + P, vend: VE },
      { k: 'a', size: P, align: 1, vstart: VS, vend: VE },
      { k: 'f', i: 1 },
    ];
    const r = runPair(kernelContender('linux-2.6.35')!, kernelContender('linux-3.18')!, 1, ops, 3, { filter: 'bug' });
    expect(r.sideA.blocks.map((b) => b.line)).to.deep.equal([
      'a 1000 1 ffffc90000001000 ffffe8ffffffffff -> ffffc90000001000',
      'a 1000 1 ffffc90000000000 ffffe8ffffffffff -> ffffc90000000000',
      'f ffffc90000000000',
    ]);
    expect(r.sideB.blocks[2]!.line).to.equal('f ffffc90000000000');
  });

  it('stops at a different address and says which op', () => {
    const ops: CheckOp[] = [
      { k: 'a', size: P, align: 1, vstart: VS + P, vend: VE },
      { k: 'a', size: P, align: 1, vstart: VS, vend: VE },
      { k: 'p' },
    ];
    const r = runPair(kernelContender('linux-2.6.35')!, kernelContender('linux-2.6.39')!, 1, ops, 3);
    expect(r.divergence?.index).to.equal(1);
    expect(r.divergence?.kind).to.equal('result');
    expect(r.divergence?.a?.result).to.equal('ffffc90000000000');
    expect(r.divergence?.b?.result).to.equal('ffffc90000003000');
  });

  it('reports a BUG on one side only, and treats a BUG on both as the end of the run', () => {
    const gen = makeGenerator('ioremap-align', 1);
    const r = runPair(kernelContender('mmotm-2010-vmap-cache-v1')!, kernelContender('linux-2.6.35')!, 1, gen, 4000, { record: false });
    expect(r.divergence?.kind).to.equal('bug');
    expect(r.divergence?.index).to.equal(91);
    expect(r.divergence?.signature).to.equal('bug:BUG/addr');
    const mm = kernelContender('mmotm-2010-vmap-cache-v1')!;
    const both = runPair(mm, mm, 1, makeGenerator('ioremap-align', 1), 4000, { record: false });
    expect(both.divergence).to.equal(null);
    expect(both.bothBugged).to.equal(true);
    expect(both.opsRun).to.equal(92);
  });

  it('compares purge events and flush ranges', () => {
    const ops: CheckOp[] = [
      { k: 'a', size: 2 * P, align: 1, vstart: VS, vend: VE },
      { k: 'l', i: 0 },
      { k: 'p' },
    ];
    const r = runPair(kernelContender('linux-3.18')!, kernelContender('linux-2.6.39')!, 1, ops, 3);
    expect(r.divergence).to.equal(null);
    const other = runPair(kernelContender('linux-3.18')!, againstContender('first-fit', 'linux-3.18'), 1, ops, 3);
    expect(other.divergence).to.equal(null);
    expect(other.sideB.blocks[2]!.events).to.deep.equal(['flush ffffc90000000000 ffffc90000002000', 'purged 1']);
  });

  it('finds no address the free-area cache changes in linux-2.6.39 (against its own no-cache search)', () => {
    const A = kernelContender('linux-2.6.39')!;
    const B = againstContender('no-cache', 'linux-2.6.39');
    for (const w of ['random-mixed', 'ioremap-align', 'tiny-window', 'fixed-busy-list', 'random'] as const)
      for (const seed of [11, 12]) expect(runPair(A, B, 1, makeGenerator(w, seed), 1500, { record: false }).divergence, `${w} ${seed}`).to.equal(null);
  });
});

describe('a side\'s live areas', function () {
  this.timeout(300000);

  /*
   * top-of-space seed 137 makes two live areas start at 0 (the wrap at the
   * top of the address space). Freeing "the oldest" by its address frees
   * the other one; the wasm core then reuses that struct's memory for the
   * next area. A side that kept structs read the new area's start from the
   * stale one and freed an address the port never freed (a false
   * divergence at op 258 before sides kept addresses).
   */
  it('are the addresses each allocation returned, so a wasm core\'s reused memory does not rename them', async () => {
    const { checkCommand } = await import('../../../scripts/check/command.js');
    const out: string[] = [];
    const status = await checkCommand(
      { kernel: 'linux-2.6.35@wasm', against: 'linux-2.6.35', workload: 'top-of-space', seed: 137, runs: 1, shard: { index: 0, count: 1 }, jobs: 1 },
      (s) => out.push(s),
      () => {},
    );
    expect(out.join('\n')).to.match(/^no divergence: linux-2\.6\.35@wasm vs linux-2\.6\.35: 594 operations tried in 1 run/im);
    expect(status).to.equal(0);
  });
});
