// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import fc from 'fast-check';
import { parseHex, ult } from '../../../../../kernel/include/u64.js';
import { layout, place } from './layouts.js';

describe('pcpu_get_vm_areas of 5.2 (the free-tree search before the 5.3-rc5 fix)', () => {
  it('places one-group chunks exactly as the fixed search does: an area alone never straddles a free block', () => {
    fc.assert(
      fc.property(layout(1, 3), (l) => {
        expect(place('linux-5.2', l)).to.deep.equal(place('linux-6.1', l));
      }),
      { numRuns: 150, seed: 2 },
    );
  });

  it('with several groups, never places a first chunk above the fixed search: a skipped block only pushes it down or fails it', () => {
    fc.assert(
      fc.property(layout(3, 1), (l) => {
        const bug = place('linux-5.2', l)[0]!;
        const fixed = place('linux-6.1', l)[0]!;
        if (bug !== 'NULL' && bug !== fixed) expect(ult(parseHex(bug) as number, parseHex(fixed) as number)).to.equal(true);
      }),
      { numRuns: 200, seed: 3 },
    );
  });
});
