// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import fc from 'fast-check';
import { hex } from '../../../../../kernel/include/u64.js';
import { END, layout, place, U } from './layouts.js';

describe('pcpu_get_vm_areas of 6.1 (the free-tree search with the 5.3-rc5 fix)', () => {
  it('chooses the same base as the 2.6.32-5.1 busy-tree search for a first chunk, on any layout', () => {
    fc.assert(
      fc.property(layout(3, 1), (l) => {
        const fixed = place('linux-6.1', l);
        expect(fixed).to.not.include('NULL');
        expect(place('linux-3.18', l)).to.deep.equal(fixed);
        expect(place('linux-2.6.35', l)).to.deep.equal(fixed);
        expect(place('linux-6.12', l)).to.deep.equal(fixed);
      }),
      { numRuns: 150, seed: 1 },
    );
  });

  // A busy area B = [END - 2U, END - U). A 4 MiB chunk does not fit the
  // 2 MiB above B and goes under it, to [END - 4U, END - 2U). A 2 MiB chunk
  // then fits above B, [END - U, END), and the free-tree search, starting
  // from the top each time, puts it there. The busy-tree search starts under
  // vmap_area_pcpu_hole (END - 4U, the lowest base so far) and never looks
  // above it again unless an area is freed: [END - 5U, END - 4U).
  it('fills a gap above the lowest chunk, which the busy-tree search, starting under vmap_area_pcpu_hole, never revisits', () => {
    const l = { busy: [[END - 2 * U, U]] as const, groups: 1, dist: 4 * U, chunks: [2 * U, U] };
    expect(place('linux-6.1', l)).to.deep.equal([hex(END - 4 * U), hex(END - U)]);
    expect(place('linux-6.12', l)).to.deep.equal([hex(END - 4 * U), hex(END - U)]);
    expect(place('linux-3.18', l)).to.deep.equal([hex(END - 4 * U), hex(END - 5 * U)]);
    expect(place('linux-2.6.35', l)).to.deep.equal([hex(END - 4 * U), hex(END - 5 * U)]);
  });
});
