// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { KernelBug } from '../../../../../kernel/include/asm-generic/bug.js';
import { itReplaysEveryGoldenTrace } from '../../../../helpers/golden.js';
import { ALIGNn, allocN, M64, VMALLOC_END_5LEVEL, VMALLOC_START_5LEVEL, wasmCore } from '../../../../helpers/wasm.js';

const P = 0x1000n;
const EBUSY = -16n;

describe('linux-2.6.35 wasm core (kernel/mm/vmalloc/as/linux-2.6.35.ts)', () => {
  describe('golden traces, replayed on linux-2.6.35@wasm', () => itReplaysEveryGoldenTrace('linux-2.6.35', 18, { wasm: true }));

  /*
   * The model: the lowest aligned address from vstart whose range ends at
   * or before the next area's start, stepping past each area in the way to
   * ALIGN(end + PAGE_SIZE, align), in exact BigInt arithmetic.
   */
  function firstFit(areas: [bigint, bigint][], size: bigint, align: bigint, vs: bigint): bigint {
    let addr = ALIGNn(vs, align);
    for (const [s, e] of [...areas].sort((p, q) => (p[0] < q[0] ? -1 : 1))) {
      if (e < addr) continue;
      if (addr + size > s) addr = ALIGNn(e + P, align);
      else break;
    }
    return addr;
  }

  it('places areas in the 5-level range exactly, one free page after each, as an exact u64 model says', () => {
    const vs = VMALLOC_START_5LEVEL;
    const ve = VMALLOC_END_5LEVEL;
    const { c } = wasmCore('linux-2.6.35', vs, ve);
    const reqs: [bigint, bigint][] = [
      [3n * P, P],
      [P, P],
      [0x10000n, 0x10000n],
      [5n * P, P],
      [0x200000n, 0x200000n],
      [P, P],
      [4n * P, 4n * P],
      [0x20000n, P],
    ];
    const areas: [bigint, bigint][] = [];
    for (const [size, align] of reqs) {
      const want = firstFit(areas, size, align, vs);
      expect(allocN(c, size, align, vs, ve).toString(16)).to.equal(want.toString(16));
      areas.push([want, want + size]);
    }
    expect(areas.some(([a]) => a < areas[areas.length - 3]![0])).to.equal(true); // a later area went into a hole below an earlier one
  });

  it('lets an area end exactly at vend and refuses the next (addr + size > vend)', () => {
    const vs = VMALLOC_START_5LEVEL;
    const { c } = wasmCore('linux-2.6.35', vs, VMALLOC_END_5LEVEL);
    const vend = vs + 2n * P + P + 3n * P; // [vs, vs+2P), a free page, [vs+3P, vs+6P)
    expect(allocN(c, 2n * P, P, vs, vend)).to.equal(vs);
    expect(allocN(c, 3n * P, P, vs, vend)).to.equal(vs + 3n * P);
    expect(allocN(c, P, P, vs, vend)).to.equal(EBUSY);
  });

  it('takes the overflow path when addr + size - 1 wraps past ULONG_MAX', () => {
    const { c, events } = wasmCore('linux-2.6.35', VMALLOC_START_5LEVEL, VMALLOC_END_5LEVEL);
    const top = M64 - P + 1n; // 0xfffffffffffff000
    expect(allocN(c, P, P, top, M64)).to.equal(top); // ends at 2^64 - 1 + 1: addr + size - 1 = ULONG_MAX, no wrap
    expect(allocN(c, 2n * P, P, top, M64)).to.equal(EBUSY); // addr + size - 1 = 0xfff < addr
    expect(events).to.deep.equal([]); // the purge found nothing lazy: no flush
  });

  it('aligns with ALIGN() up to 1 << 63 exactly', () => {
    const { c } = wasmCore('linux-2.6.35', VMALLOC_START_5LEVEL, VMALLOC_END_5LEVEL);
    const a = 1n << 63n;
    expect(allocN(c, P, a, 1n, M64)).to.equal(ALIGNn(1n, a));
    // The next one: ALIGN(2^63 + P + P, 2^63) wraps to 0, which is below the area; the walk stops (0 + size <= first->va_start).
    expect(allocN(c, P, a, 1n, M64)).to.equal(0n);
  });

  it('reports a BUG_ON as a KernelBug with version, function, line and condition, the state still readable', () => {
    const { c } = wasmCore('linux-2.6.35', VMALLOC_START_5LEVEL, VMALLOC_END_5LEVEL);
    allocN(c, P, P, VMALLOC_START_5LEVEL, VMALLOC_END_5LEVEL);
    let bug: unknown = null;
    try {
      c.allocU64(0x1800n, P, VMALLOC_START_5LEVEL, VMALLOC_END_5LEVEL);
    } catch (e) {
      bug = e;
    }
    expect(bug).to.be.instanceOf(KernelBug);
    expect(bug).to.include({ version: 'linux-2.6.35@wasm', func: 'alloc_vmap_area', line: 337, cond: 'size & ~PAGE_MASK' });
    expect(c.list(0).map((va) => c.vaStartU64(va))).to.deep.equal([VMALLOC_START_5LEVEL]);
  });
});
