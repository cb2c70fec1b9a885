// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { IS_ERR } from '../../../kernel/include/linux/errno.js';
import { defaultEnv, nullHooks, type vmap_area_common } from '../../../kernel/mm/vmalloc/common.js';
import { againstContender } from '../../../scripts/check/contenders.js';
import { FIRST_FIT_RULES, FirstFitModel } from '../../../scripts/check/first-fit.js';
import { VE, VS } from '../../../scripts/check/ops.js';

const P = 0x1000;

function model(version: string, events: string[] = []): FirstFitModel {
  const hooks = nullHooks();
  hooks.flush_tlb_kernel_range = (s, e) => events.push(`flush ${s} ${e}`);
  hooks.purged = (n) => events.push(`purged ${n}`);
  return new FirstFitModel(FIRST_FIT_RULES[version]!, defaultEnv({ hooks }));
}

function at(m: FirstFitModel, size: number, align = 1, vstart = VS, vend = VE): number | string {
  const va = m.alloc_vmap_area(size, align, vstart, vend);
  return IS_ERR(va) ? 'EBUSY' : va.va_start - VS;
}

describe('the first-fit reference model', () => {
  it('keeps a free page after each area in 2.6.35 but lets a new area end exactly where the next begins', () => {
    const m = model('linux-2.6.35');
    expect(at(m, P, 1, VS + P)).to.equal(P);
    expect(at(m, P)).to.equal(0); // [VS, VS+P) ends where [VS+P, ...) begins
    expect(at(m, P)).to.equal(3 * P); // one page after [VS+P, VS+2P)
  });

  it('keeps a free page before the next area too in 2.6.39', () => {
    const m = model('linux-2.6.39');
    expect(at(m, P, 1, VS + P)).to.equal(P);
    expect(at(m, P)).to.equal(3 * P);
  });

  it("serves a check variant with its base version's rule", () => {
    expect(againstContender('first-fit', 'linux-3.18-liu-purged').variant).to.equal('first-fit(linux-3.18-liu-purged)');
    expect(againstContender('first-fit', 'linux-2.6.39-nick-le').variant).to.equal('first-fit(linux-2.6.39-nick-le)');
    const m = againstContender('first-fit', 'linux-2.6.39-nick-le').create(1, nullHooks());
    // 2.6.39's rule: a free page before the next area too
    m.alloc_vmap_area(P, 1, VS + P, VE);
    const va = m.alloc_vmap_area(P, 1, VS, VE);
    expect(IS_ERR(va) ? 'EBUSY' : (va as vmap_area_common).va_start - VS).to.equal(3 * P);
  });

  it('keeps no gap at all from 3.18 on', () => {
    for (const v of ['linux-3.18', 'linux-5.2', 'linux-6.1']) {
      const m = model(v);
      expect(at(m, P, 1, VS + P)).to.equal(P);
      expect(at(m, P)).to.equal(0);
      expect(at(m, P)).to.equal(2 * P);
    }
  });

  it('places at the lowest aligned address and never reaches 2^64', () => {
    const m = model('linux-3.18');
    expect(at(m, P)).to.equal(0);
    expect(at(m, P, 0x10000)).to.equal(0x10000);
    expect(at(m, P, 1, -P, -1)).to.equal('EBUSY'); // [fffffffffffff000, 2^64) passes vend
    expect(at(m, P, 1, -2 * P, -1)).to.equal(-2 * P - VS);
    expect(at(m, P, 0x20000, -0x1f000, VE)).to.equal('EBUSY'); // ALIGN would wrap to 0
  });

  it('keeps a lazily freed area blocking until the purge, which reports one flush over all of them', () => {
    const events: string[] = [];
    const m = model('linux-6.1', events);
    const a = m.alloc_vmap_area(2 * P, 1, VS, VE) as vmap_area_common;
    const b = m.alloc_vmap_area(P, 1, VS, VE) as vmap_area_common;
    m.free_unmap_vmap_area(a);
    m.free_unmap_vmap_area(b);
    expect(m.vmap_lazy_nr).to.equal(3);
    expect(at(m, P)).to.equal(3 * P);
    m.purge_vmap_area_lazy();
    expect(events).to.deep.equal([`flush ${VS} ${VS + 3 * P}`, 'purged 2']);
    expect(at(m, P)).to.equal(0);
  });

  it('purges and retries once when nothing fits, then gives EBUSY', () => {
    const events: string[] = [];
    const m = model('linux-3.18', events);
    const w = VS + 4 * P;
    const a = m.alloc_vmap_area(4 * P, 1, VS, w) as vmap_area_common;
    m.free_unmap_vmap_area(a);
    expect(at(m, 4 * P, 1, VS, w)).to.equal(0);
    expect(events).to.deep.equal([`flush ${VS} ${w}`, 'purged 1']);
    expect(at(m, P, 1, VS, w)).to.equal('EBUSY');
  });
});
