// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { CONFIG_FIELDS, ConfigError, type MachineConfigInput, resolveConfig } from '../../hw/config.js';
import { DEFAULT_COSTS } from '../../hw/costs.js';

describe('resolveConfig', () => {
  it('fills every field with its default', () => {
    const c = resolveConfig();
    expect(c.cpus).to.equal(4);
    expect(c.pagingLevels).to.equal(4);
    expect(c.l1).to.deep.equal({ entries: 64, ways: 4 });
    expect(c.stlb).to.deep.equal({ entries: 1536, ways: 12 });
    expect(c.costs).to.equal(DEFAULT_COSTS);
    expect(c.checker).to.equal(true);
  });
  it('describes every field in one line', () => {
    for (const [key, field] of Object.entries(CONFIG_FIELDS)) {
      expect(field.description, key).to.match(/^[^\n]{10,}$/);
    }
  });
  it('accepts 512 CPUs and 5-level paging', () => {
    const c = resolveConfig({ cpus: 512, pagingLevels: 5 });
    expect(c.cpus).to.equal(512);
    expect(c.pagingLevels).to.equal(5);
  });
  it('merges a partial TLB geometry over the default', () => {
    expect(resolveConfig({ stlb: { ways: 6 } }).stlb).to.deep.equal({ entries: 1536, ways: 6 });
  });
  it('merges a partial cost table over the defaults', () => {
    const c = resolveConfig({ costs: { invlpg: 900 } });
    expect(c.costs.invlpg).to.equal(900);
    expect(c.costs.cr3Write).to.equal(DEFAULT_COSTS.cr3Write);
  });

  const bad: [string, MachineConfigInput, string][] = [
    ['zero CPUs', { cpus: 0 }, 'cpus must be an integer from 1 to 1024, got 0'],
    ['fractional CPUs', { cpus: 1.5 }, 'cpus must be an integer from 1 to 1024, got 1.5'],
    ['3-level paging', { pagingLevels: 3 as 4 }, 'pagingLevels must be 4 or 5, got 3'],
    ['entries not a multiple of ways', { l1: { entries: 10, ways: 4 } }, 'l1.entries (10) must be a multiple of l1.ways (4)'],
    ['a set count that is not a power of two', { stlb: { entries: 1536, ways: 4 } }, 'stlb must have a power-of-two number of sets, but 1536 entries / 4 ways = 384'],
    ['an unknown policy', { replacement: 'fifo' as 'lru' }, 'replacement must be "lru" or "random", got fifo'],
    ['memory that is not page-sized', { physMemBytes: 2 ** 20 + 1 }, 'physMemBytes must be a multiple of 4096 from 1 MiB to 256 GiB, got 1048577'],
    ['a boolean given as a string', { pcid: 'yes' as unknown as boolean }, 'pcid must be true or false, got yes'],
    ['an unknown cost', { costs: { invlpgg: 1 } as never }, 'costs names an unknown cost "invlpgg"'],
  ];
  for (const [what, input, message] of bad) {
    it(`rejects ${what} with a plain sentence`, () => {
      expect(() => resolveConfig(input)).to.throw(ConfigError, message);
    });
  }
  it('rejects an unknown field and lists the known ones', () => {
    expect(() => resolveConfig({ cpu: 2 } as MachineConfigInput)).to.throw(ConfigError, '"cpu" is not a machine config field; the fields are cpus, pagingLevels');
  });
});
