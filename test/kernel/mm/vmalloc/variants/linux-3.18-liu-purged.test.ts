// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { IS_ERR } from '../../../../../kernel/include/linux/errno.js';
import { hex, type ulong } from '../../../../../kernel/include/u64.js';
import { defaultEnv, type VmapAllocator, type vmap_area_common } from '../../../../../kernel/mm/vmalloc/common.js';
import { linux_3_18 } from '../../../../../kernel/manifest/linux-3.18.js';
import { linux_3_18_liu_purged } from '../../../../../kernel/manifest/linux-3.18-liu-purged.js';

type Op = ['a', number, number, ulong, ulong] | ['f' | 'l', number];

/** Run ops as `vmapsim check` prints them (f/l #i: live area i mod the live count, oldest first); each allocation's result. */
function results(a: VmapAllocator, ops: Op[]): string[] {
  const live: vmap_area_common[] = [];
  const out: string[] = [];
  for (const op of ops) {
    if (op[0] === 'a') {
      const va = a.alloc_vmap_area(op[1], op[2], op[3], op[4]);
      out.push(IS_ERR(va) ? 'EBUSY' : hex(va.va_start));
      if (!IS_ERR(va)) live.push(va);
    } else if (live.length) {
      const va = live.splice(op[1] % live.length, 1)[0]!;
      if (op[0] === 'f') a.free_vmap_area(va);
      else a.free_unmap_vmap_area(va);
    }
  }
  return out;
}

/** The last allocation's result. */
function run(a: VmapAllocator, ops: Op[]): string {
  return results(a, ops).pop() as string;
}

const VE = -0x170000000001; // ffffe8ffffffffff
const V = (off: number): ulong => -0x370000000000 + off;

describe("the linux-3.18 variant with Liu Song's `|| purged` (unmerged RFC, 2020)", () => {
  it('changes nothing when no allocation overflows (no purge-and-retry): same results as the port', () => {
    const port = new linux_3_18(defaultEnv());
    const liu = new linux_3_18_liu_purged(defaultEnv());
    const ops: Op[] = [];
    let x = 12345;
    const rnd = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 3000; i++) {
      if (rnd(3) === 0) ops.push([rnd(2) ? 'f' : 'l', rnd(64)]);
      else ops.push(['a', (1 + rnd(8)) * 0x1000, 0x1000 << rnd(3), V(rnd(16) * 0x1000), VE]);
    }
    const got = results(liu, ops);
    expect(got.includes('EBUSY'), 'the whole range: nothing overflows').to.equal(false);
    expect(got).to.deep.equal(results(port, ops));
    expect(liu.golden_state()).to.equal(port.golden_state());
  });

  /*
   * The shrunk counterexample of `vmapsim check --kernel linux-3.18-liu-purged
   * --against linux-3.18 --workload tiny-window` (seed 2). Before the last
   * request the cache sits at [V+109000, V+10e000) with cached_hole_size
   * 0x3000, and [V+100000, V+103000) is free: a hole of exactly the request.
   * 3.18 keeps the cache (0x3000 < 0x3000 is false), walks to the window's
   * end, purges (nothing to purge) and retries from the same cache: -EBUSY.
   * The variant drops the cache on the retry and finds the hole, which is
   * where the plain lowest-fit model of 3.18's rule puts it too.
   */
  const ops: Op[] = [
    ['a', 0x2000, 1, V(0xfa000), VE],
    ['l', 0],
    ['a', 0x7000, 1, V(0xf4000), VE],
    ['a', 0x6000, 1, V(0xf4000), VE],
    ['l', 0],
    ['a', 0x1000, 1, V(0), VE],
    ['a', 0x5000, 0x2000, V(0xf5000), VE],
    ['f', 4],
    ['a', 0x1000, 1, V(0), VE],
    ['l', 4],
    ['a', 0x5000, 0x2000, V(0xf5000), VE],
    ['a', 0x3000, 1, V(0xf8000), VE],
    ['a', 0x3000, 1, V(0xf8000), VE],
    ['a', 0x7000, 1, V(0xf4000), VE],
    ['a', 0x5000, 1, V(0xf6000), VE],
    ['a', 0x7000, 1, V(0xf4000), VE],
    ['a', 0x5000, 1, V(0x100000), V(0x133000) - 1],
    ['a', 0x3000, 1, V(0x100000), V(0x131000) - 1],
  ];

  /** The lowest start >= vstart of a free range of `size` bytes ending by vend, from a snapshot (no gap rule: 3.x). */
  function lowestFit(a: VmapAllocator, size: number, vstart: ulong, vend: ulong): ulong | null {
    let addr = vstart;
    for (const x of a.snapshot().areas) {
      if (x.end <= addr) continue;
      if (addr + size <= x.start) break;
      addr = x.end;
    }
    return addr + size - 1 <= vend ? addr : null;
  }

  it('fails on linux-3.18 a request that an exact-size free hole below the cache could take', () => {
    const a = new linux_3_18(defaultEnv());
    run(a, ops.slice(0, -1));
    expect(lowestFit(a, 0x3000, V(0x100000), V(0x131000) - 1)).to.equal(V(0x100000));
    expect(a.free_vmap_cache, 'the cache sits above the hole').to.not.equal(null);
    expect(run(a, ops.slice(-1))).to.equal('EBUSY');
  });

  it('serves it with the patch, from the same areas, at that hole', () => {
    const port = new linux_3_18(defaultEnv());
    const liu = new linux_3_18_liu_purged(defaultEnv());
    run(port, ops.slice(0, -1));
    run(liu, ops.slice(0, -1));
    expect(liu.snapshot().areas).to.deep.equal(port.snapshot().areas);
    expect(run(liu, ops.slice(-1))).to.equal(hex(V(0x100000)));
  });
});
