// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import {
  buildFloorBinary,
  DESCENT_KEYS,
  floorShape,
  type FloorResult,
  formatFloor,
  objectSide,
  runC,
  timeSide,
  typedSide,
} from '../../../scripts/bench/floor.js';

describe('bench floor (the search loops in C and JavaScript)', () => {
  const shape = floorShape(2048);

  it('places every area in a slot of its own, in the same seeded order every time', () => {
    expect([...shape.perm].sort((a, b) => a - b)).to.deep.equal([...Array(2048).keys()]);
    expect([...floorShape(2048).perm]).to.deep.equal([...shape.perm]);
    expect([...shape.perm.slice(0, 4)]).to.not.deep.equal([0, 1, 2, 3]);
    expect(shape.keys.length).to.equal(DESCENT_KEYS);
  });

  it('walks every area of the tree in both JavaScript representations, and descends equally deep', () => {
    const o = objectSide(shape);
    const t = typedSide(shape);
    expect(o.walk()).to.equal(2048);
    expect(t.walk()).to.equal(2048);
    const levels = o.descent();
    expect(t.descent()).to.equal(levels);
    // A balanced tree of 2048 nodes is 11 levels deep; lookups average between 9 and 11.
    expect(levels / DESCENT_KEYS).to.be.within(9, 11);
  });

  it('does the same work in C as in JavaScript: the same steps per walk and levels per descent', function () {
    this.timeout(120000);
    const built = buildFloorBinary();
    expect(built, 'gcc is part of this machine class (node-gyp toolchain)').to.have.property('path');
    const c = runC((built as { path: string }).path, 2048, 2, 1);
    const js = timeSide(typedSide(shape), 2, 1);
    expect(c.stepsPerWalk).to.equal(js.stepsPerWalk);
    expect(c.levelsPerDescent).to.equal(js.levelsPerDescent);
    expect(c.walkNsPerStep).to.be.above(0);
  });

  it('prints the ratio of each JavaScript figure to C, and says why C is missing when it is', () => {
    const r: FloorResult = {
      nodes: 2048,
      rows: [
        { side: 'c', walkNsPerStep: 6, descentNsPerLevel: 2, walkRatio: null, descentRatio: null },
        { side: 'typed', walkNsPerStep: 9, descentNsPerLevel: 10, walkRatio: 1.5, descentRatio: 5 },
      ],
      cMissing: null,
    };
    const text = formatFloor(r);
    expect(text).to.match(/C \(gcc -O2\)\s+6\.00\s+-\s+2\.00\s+-/);
    expect(text).to.match(/JS, typed arrays\s+9\.00\s+1\.50x\s+10\.00\s+5\.00x/);
    expect(formatFloor({ nodes: 2048, rows: [r.rows[1]!], cMissing: 'gcc not runnable (spawnSync gcc ENOENT)' })).to.contain(
      'C side not measured: gcc not runnable',
    );
  });
});
