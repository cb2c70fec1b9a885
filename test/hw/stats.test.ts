// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { declareStats, flushStats } from '../../hw/stats.js';

describe('declareStats', () => {
  it('indexes counters in declaration order and keeps their metadata', () => {
    const t = declareStats({ a: ['x.a', 'count', 'first'], b: ['x.b', 'cycles', 'second'] });
    expect(t.index).to.deep.equal({ a: 0, b: 1 });
    expect(t.decls[1]).to.deep.equal({ name: 'x.b', unit: 'cycles', description: 'second' });
  });
  it('rejects a name declared twice', () => {
    expect(() => declareStats({ a: ['same', 'count', 'one'], b: ['same', 'count', 'two'] })).to.throw(
      'statistic "same" is declared twice',
    );
  });
  it('is frozen', () => {
    const t = declareStats({ a: ['x', 'count', 'd'] });
    expect(Object.isFrozen(t.index)).to.equal(true);
    expect(Object.isFrozen(t.decls)).to.equal(true);
  });
});

describe('flushStats', () => {
  it('declares requested, performed, elided and entries in that order', () => {
    const t = declareStats({ ...flushStats('inv', 'invlpg', 'INVLPG') });
    expect(t.decls.map((d) => d.name)).to.deep.equal([
      'flush.invlpg.requested',
      'flush.invlpg.performed',
      'flush.invlpg.elided',
      'flush.invlpg.entries',
    ]);
    expect(t.index.invEntries - t.index.invRequested).to.equal(3);
  });
});
