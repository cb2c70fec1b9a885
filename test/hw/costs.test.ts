// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { COST_INDEX, COST_KEYS, COST_SPECS, CostTableError, DEFAULT_COSTS, costVector, loadCostTable, parseCostTable } from '../../hw/costs.js';

describe('cost table', () => {
  it('gives every cost a description and a source from the reference notes (or, for the estimated path costs, the section of docs/concurrency.md that reasons them)', () => {
    for (const k of COST_KEYS) {
      expect(COST_SPECS[k].description.length, k).to.be.greaterThan(5);
      expect(COST_SPECS[k].source, k).to.match(/x86-tlb\.md §|concurrency\.md §Path costs/);
    }
  });
  it('has the sourced defaults for the headline operations', () => {
    expect(DEFAULT_COSTS.invlpg).to.equal(250);
    expect(DEFAULT_COSTS.cr4Write * 2).to.equal(750);
    expect(DEFAULT_COSTS.stlbHit).to.equal(10);
  });
  it('lays the costs out in a vector by COST_INDEX', () => {
    const v = costVector({ ...DEFAULT_COSTS, tlbsync: 77 });
    expect(v[COST_INDEX.tlbsync]).to.equal(77);
    expect(v.length).to.equal(COST_KEYS.length);
  });

  describe('parseCostTable', () => {
    it('overrides only the named costs', () => {
      const t = parseCostTable({ invlpg: 883, ipiDelivery: 2500 }, 'test');
      expect(t.invlpg).to.equal(883);
      expect(t.ipiDelivery).to.equal(2500);
      expect(t.cr3Write).to.equal(DEFAULT_COSTS.cr3Write);
    });
    it('rejects an unknown key with one sentence naming it and the known keys', () => {
      expect(() => parseCostTable({ invlpq: 1 }, 'costs.json')).to.throw(
        CostTableError,
        'costs.json names an unknown cost "invlpq"; the known costs are tlbHit, stlbHit',
      );
    });
    it('rejects a negative or non-numeric cost', () => {
      expect(() => parseCostTable({ invlpg: -1 }, 'x')).to.throw(CostTableError, 'x: cost "invlpg" must be a non-negative number of cycles, got -1.');
      expect(() => parseCostTable({ invlpg: '5' }, 'x')).to.throw(CostTableError, 'got "5"');
    });
    it('rejects something that is not an object', () => {
      expect(() => parseCostTable([1], 'x')).to.throw(CostTableError, 'x must hold a JSON object mapping cost names to cycles.');
    });
  });

  describe('loadCostTable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmapsim-costs-'));
    it('reads a JSON override from a file', () => {
      const path = join(dir, 'ok.json');
      writeFileSync(path, JSON.stringify({ cr3Write: 366 }));
      expect(loadCostTable(path).cr3Write).to.equal(366);
    });
    it('names the file when its JSON is broken', () => {
      const path = join(dir, 'broken.json');
      writeFileSync(path, '{ "cr3Write": ');
      expect(() => loadCostTable(path)).to.throw(CostTableError, `cost table ${path} is not valid JSON`);
    });
    it('names the file and the key when a key is unknown', () => {
      const path = join(dir, 'unknown.json');
      writeFileSync(path, '{ "mystery": 1 }');
      expect(() => loadCostTable(path)).to.throw(CostTableError, `cost table ${path} names an unknown cost "mystery"`);
    });
    it('says when the file cannot be read', () => {
      expect(() => loadCostTable(join(dir, 'missing.json'))).to.throw(CostTableError, 'cannot read cost table');
    });
  });
});
