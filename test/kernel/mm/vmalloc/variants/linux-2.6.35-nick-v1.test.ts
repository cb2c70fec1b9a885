// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { isKernelBug, KernelBug } from '../../../../../kernel/include/asm-generic/bug.js';
import { IS_ERR } from '../../../../../kernel/include/linux/errno.js';
import { hex, type ulong } from '../../../../../kernel/include/u64.js';
import { defaultEnv, type VmapAllocator, type vmap_area_common } from '../../../../../kernel/mm/vmalloc/common.js';
import { linux_2_6_35 } from '../../../../../kernel/manifest/linux-2.6.35.js';
import { linux_2_6_35_nick_v1 } from '../../../../../kernel/manifest/linux-2.6.35-nick-v1.js';

type Op = ['a', number, number, ulong, ulong] | ['f', number];

/** Run ops (f #i frees live area i, oldest first); each allocation's result, or the BUG that ended the run. */
function results(a: VmapAllocator, ops: Op[]): string[] {
  const live: vmap_area_common[] = [];
  const out: string[] = [];
  try {
    for (const op of ops) {
      if (op[0] === 'a') {
        const va = a.alloc_vmap_area(op[1], op[2], op[3], op[4]);
        out.push(IS_ERR(va) ? 'EBUSY' : hex(va.va_start));
        if (!IS_ERR(va)) live.push(va);
      } else a.free_vmap_area(live.splice(op[1], 1)[0]!);
    }
  } catch (e) {
    if (!isKernelBug(e)) throw e;
    const b = e as KernelBug;
    out.push(`BUG ${b.func}:${b.line} ${b.cond}`);
  }
  return out;
}

const VS = -0x370000000000; // ffffc90000000000
const VE = -0x170000000001; // ffffe8ffffffffff
const V = (off: number): ulong => VS + off;
const both = (ops: Op[]) => ({ nick: results(new linux_2_6_35_nick_v1(defaultEnv()), ops), base: results(new linux_2_6_35(defaultEnv()), ops) });

describe("Nick Piggin's first vmap area cache patch on linux-2.6.35 (5 May 2010, a check variant)", () => {
  it('places like 2.6.35 while every request is the same page-aligned kind from vstart', () => {
    const ops: Op[] = [];
    let x = 7;
    let nlive = 0;
    const rnd = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 2000; i++) {
      if (nlive && rnd(3) === 0) {
        ops.push(['f', rnd(nlive)]);
        nlive--;
      } else {
        ops.push(['a', (1 + rnd(8)) * 0x1000, 1, VS, VE]);
        nlive++;
      }
    }
    const { nick, base } = both(ops);
    expect(nick).to.deep.equal(base);
  });

  // A at V, then an area aligned to 0x4000: [V+4000, V+5000) (the guard page
  // of A makes V+2000 the first candidate, aligned up to V+4000). The cache
  // now sits on it and cached_hole_size is still 0: the patch has no
  // cached_align, so the next unaligned page starts after the cache, at
  // V+6000, past the free V+2000 that 2.6.35 finds. Nick's 25 May version
  // added cached_align for this.
  it('misses a hole an aligned request left behind: no cached_align yet', () => {
    const { nick, base } = both([
      ['a', 0x1000, 1, VS, VE],
      ['a', 0x1000, 0x4000, VS, VE],
      ['a', 0x1000, 1, VS, VE],
    ]);
    expect(base).to.deep.equal([hex(V(0)), hex(V(0x4000)), hex(V(0x2000))]);
    expect(nick).to.deep.equal([hex(V(0)), hex(V(0x4000)), hex(V(0x6000))]);
  });

  // With the cache on A (cached_start V), a request from V+10000 keeps the
  // cache (V+10000 is not below cached_start) and walks on from A's end,
  // V+2000: below the requested range. 2.6.35 places it at V+10000.
  it('places an area below vstart: the cache path does not test vstart', () => {
    const { nick, base } = both([
      ['a', 0x1000, 1, VS, VE],
      ['a', 0x1000, 1, V(0x10000), VE],
    ]);
    expect(base).to.deep.equal([hex(V(0)), hex(V(0x10000))]);
    expect(nick).to.deep.equal([hex(V(0)), hex(V(0x2000))]);
  });

  // A at V and B at V+2000 (through the cache); freeing A moves the cache to
  // rb_prev(A), NULL. A request from V+10000 then resets cached_start and
  // descends: the only area, B, ends below addr, so the descent ends on it
  // going right, first = B, first->va_start < addr, and
  // BUG_ON(first->va_end < addr) fires: the BUG Nick says Steven hit.
  it("hits BUG_ON(first->va_end < addr) when the descent ends on an area wholly below addr", () => {
    const { nick, base } = both([
      ['a', 0x1000, 1, VS, VE],
      ['a', 0x1000, 1, VS, VE],
      ['f', 0],
      ['a', 0x1000, 1, V(0x10000), VE],
    ]);
    expect(base).to.deep.equal([hex(V(0)), hex(V(0x2000)), hex(V(0x10000))]);
    expect(nick).to.deep.equal([hex(V(0)), hex(V(0x2000)), 'BUG alloc_vmap_area:391 first->va_end < addr']);
  });
});
