// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isKernelBug, KernelBug } from '../../../../kernel/include/asm-generic/bug.js';
import { errname, IS_ERR } from '../../../../kernel/include/linux/errno.js';
import { hex, type ulong } from '../../../../kernel/include/u64.js';
import { defaultEnv, nullHooks } from '../../../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../../../kernel/mm/vmalloc/index.js';
import { vmap_area } from '../../../../kernel/mm/vmalloc/linux-3.18.js';
import { linux_3_18 } from '../../../../kernel/manifest/linux-3.18.js';
import { goldenDir } from '../../../../scripts/lib/paths.js';
import { replayGoldenFile } from '../../../../scripts/replay/golden.js';
import { describePcpuGetVmAreas } from '../../../helpers/pcpu.js';
import { itHoldsVmapAreaLockInPcpuGetVmAreas, itTakesTheVmapBlockLocks, itContendsOnVmapAreaLock, itLetsOneTryPurgeRunAtATime } from '../../../helpers/timed-locks.js';

const P = 0x1000;
const V: ulong = -0x370000000000; // VMALLOC_START 0xffffc90000000000
const VE: ulong = -0x170000000001; // VMALLOC_END 0xffffe8ffffffffff
const v = (off: number): string => hex(V + off);

/* A fresh 3.18 allocator on one CPU that records flush/purged events as the golden trace words them. */
function mk(): { a: linux_3_18; events: string[] } {
  const events: string[] = [];
  const hooks = nullHooks();
  hooks.flush_tlb_kernel_range = (s: ulong, e: ulong) => events.push(`flush ${hex(s)} ${hex(e)}`);
  hooks.purged = (n: number) => events.push(`purged ${n}`);
  const a = getVersion('linux-3.18').create(defaultEnv({ ncpu: 1, hooks })) as linux_3_18;
  return { a, events };
}

function allocOk(a: linux_3_18, size: ulong, align: ulong, vstart: ulong, vend: ulong): vmap_area {
  const va = a.alloc_vmap_area(size, align, vstart, vend);
  if (IS_ERR(va)) throw new Error(`allocation failed: ${errname(va)}`);
  return va;
}

describe('linux-3.18 alloc_vmap_area (the 3.x vmap area cache)', () => {
  describe('golden traces', () => {
    const files = readdirSync(goldenDir())
      .filter((f) => f.startsWith('linux-3.18.') && f.endsWith('.trace.gz'))
      .sort();

    it('has its 18 golden traces', () => {
      expect(files).to.have.length(18);
    });

    for (const f of files) {
      it(`replays ${f} exactly`, () => {
        const r = replayGoldenFile(join(goldenDir(), f));
        const why = r.divergence ? `${r.divergence.what} at op ${r.divergence.op}: ${r.divergence.expected} / ${r.divergence.actual}` : '';
        expect(r.divergence, why).to.equal(null);
        expect(r.ops).to.be.greaterThan(0);
        // Only the top-of-space traces end in a BUG, and always the same one.
        if (f.includes('.top-of-space.')) expect(r.bug).to.equal('alloc_vmap_area:453 va->va_start < vstart');
        else expect(r.bug).to.equal(null);
      });
    }
  });

  /*
   * Empty tree: A = [V, V+2P). Then the cache is A: addr = ALIGN(A.va_end, 1)
   * = V+2P (no guard page any more); the walk steps over A again (V+4P > V),
   * A is the last on vmap_area_list -> found at V+2P.
   *   [A V..V+2P)[B V+2P..V+4P)          (2.6.39 would put B at V+3P)
   * Touches: 1 rb_entry(free_vmap_cache) + 1 in the insert descent (A) +
   * 1 for rb_prev(B) = A; the first allocation touched nothing.
   */
  it('places two allocations back to back, with no free page between them', () => {
    const { a } = mk();
    expect(hex(allocOk(a, 2 * P, 1, V, VE).va_start)).to.equal(v(0));
    expect(a.touches).to.equal(0);
    const b = allocOk(a, 2 * P, 1, V, VE);
    expect([hex(b.va_start), hex(b.va_end)]).to.deep.equal([v(2 * P), v(4 * P)]);
    expect(a.golden_state()).to.equal(`cache=${v(2 * P)} hole=0 vstart=${v(0)} align=1 lazy=0`);
    expect(a.touches).to.equal(3);
  });

  /*
   * [A V..V+2P)[B V+2P..V+4P)[C V+4P..V+6P); free B: the cache (C) moves to
   * rb_prev(B) = A. A 2-page request starts after A at V+2P; the walk steps
   * over A, then along the list to C: V+4P > C.va_start is false, so the
   * exact 2-page hole is taken again.
   *   [A][new V+2P..V+4P)[C]
   * Touches of that allocation: rb_entry(cache) 1, list_entry(C) 1, insert
   * descent 2 (the tree after erasing B is C over A: C, then A), rb_prev 1.
   */
  it('refills an exactly fitting hole, walking along vmap_area_list', () => {
    const { a } = mk();
    allocOk(a, 2 * P, 1, V, VE);
    const b = allocOk(a, 2 * P, 1, V, VE);
    allocOk(a, 2 * P, 1, V, VE);
    a.free_vmap_area(b);
    expect(a.golden_state()).to.equal(`cache=${v(0)} hole=0 vstart=${v(0)} align=1 lazy=0`);
    const t0 = a.touches;
    expect(hex(allocOk(a, 2 * P, 1, V, VE).va_start)).to.equal(v(2 * P));
    expect(a.touches - t0).to.equal(5);
  });

  /*
   * Same start, B freed, then 3 pages: from A (addr V+2P) to C, where
   * V+5P > V+4P: the hole [V+2P, V+4P) is recorded (hole = 2P) and the area
   * goes after C, at V+6P. A 1-page request is then smaller than the hole:
   * nocache, search from V: the descent finds A, the walk moves to V+2P and
   * stops before C (V+3P > V+4P is false).
   */
  it('records the hole it skipped and reuses it for a smaller request', () => {
    const { a } = mk();
    allocOk(a, 2 * P, 1, V, VE);
    const b = allocOk(a, 2 * P, 1, V, VE);
    allocOk(a, 2 * P, 1, V, VE);
    a.free_vmap_area(b);
    expect(hex(allocOk(a, 3 * P, 1, V, VE).va_start)).to.equal(v(6 * P));
    expect(a.golden_state()).to.equal(`cache=${v(6 * P)} hole=2000 vstart=${v(0)} align=1 lazy=0`);
    expect(hex(allocOk(a, P, 1, V, VE).va_start)).to.equal(v(2 * P));
    expect(a.golden_state()).to.equal(`cache=${v(2 * P)} hole=0 vstart=${v(0)} align=1 lazy=0`);
  });

  /*
   * __find_vmap_area goes right only when addr >= va_end, so any address
   * inside [V, V+2P) finds A; V+2P (A's end) does not.
   */
  it('finds an area by any address inside it', () => {
    const { a } = mk();
    const A = allocOk(a, 2 * P, 1, V, VE);
    expect(a.find_vmap_area(V + P)).to.equal(A);
    expect(a.find_vmap_area(V + 2 * P - 1)).to.equal(A);
    expect(a.find_vmap_area(V + 2 * P)).to.equal(null);
  });

  /*
   * vstart 0xffffffffffffe000, size 0x2000: addr + size = 2^64 wraps to 0,
   * and 0 < addr, so the new test `addr + size < addr` calls it overflow
   * (the old `addr + size - 1 < addr` let it through). Purge (nothing
   * pending, no events), retry, overflow again: EBUSY.
   */
  it('treats a range ending exactly at 2^64 as overflow', () => {
    const { a, events } = mk();
    const r = a.alloc_vmap_area(0x2000, 1, -0x2000, -1);
    expect(IS_ERR(r) ? errname(r) : hex(r.va_start)).to.equal('EBUSY');
    expect(events).to.deep.equal([]);
    expect(a.golden_state()).to.equal('cache=- hole=0 vstart=ffffffffffffe000 align=1 lazy=0');
  });

  /*
   * vstart 0xffffffffffff0000, align 0x80000: ALIGN() wraps to 0, and
   * 0 + 0x2000 < 0 is false, so no overflow is seen; the empty tree gives
   * first == NULL -> found; 0x2000 > vend is false; [0, 0x2000) is inserted
   * and BUG_ON(va->va_start < vstart) fires at line 453.
   */
  it('hits BUG_ON(va->va_start < vstart) when ALIGN() wraps past the top', () => {
    const { a } = mk();
    let bug: KernelBug | null = null;
    try {
      a.alloc_vmap_area(0x2000, 0x80000, -0x10000, -0x1000);
    } catch (e) {
      if (!isKernelBug(e)) throw e;
      bug = e;
    }
    expect(bug).to.not.equal(null);
    expect(bug?.version).to.equal('linux-3.18');
    expect(bug?.site).to.equal('alloc_vmap_area:453 va->va_start < vstart');
  });

  /*
   * Window [W, W+4P), W = V+1MiB: A = [W, W+2P), B = [W+2P, W+4P) fill it
   * exactly (W+4P <= vend). A freed lazily (lazy = 2). A 2-page request
   * starts after B at W+4P and overflows the window: purge (flush A's range,
   * one area), A's removal moves the cache (B) to rb_prev(A) = NULL; the
   * retry searches from W, first = B, W+2P > W+2P is false -> found at W.
   */
  it('purges once on failure and retries from vstart', () => {
    const { a, events } = mk();
    const W = V + 0x100000;
    const A = allocOk(a, 2 * P, 1, W, W + 4 * P);
    expect(hex(allocOk(a, 2 * P, 1, W, W + 4 * P).va_start)).to.equal(hex(W + 2 * P));
    a.free_unmap_vmap_area(A);
    expect(a.vmap_lazy_nr).to.equal(2);
    expect(hex(allocOk(a, 2 * P, 1, W, W + 4 * P).va_start)).to.equal(hex(W));
    expect(events).to.deep.equal([`flush ${hex(W)} ${hex(W + 2 * P)}`, 'purged 1']);
    expect(a.golden_state()).to.equal(`cache=${hex(W)} hole=0 vstart=${hex(W)} align=1 lazy=0`);
  });

  /*
   * lazy_max_pages() = fls(1) * 32 MiB / 4 KiB = 0x2000 pages. Freeing an
   * area of 0x2001 pages lazily pushes vmap_lazy_nr over it: the purge runs
   * inside the free and releases that one area.
   */
  it('purges inside a lazy free that crosses lazy_max_pages()', () => {
    const { a, events } = mk();
    expect(a.lazy_max_pages()).to.equal(0x2000);
    const A = allocOk(a, 0x2001 * P, 1, V, VE);
    a.free_unmap_vmap_area(A);
    expect(events).to.deep.equal([`flush ${v(0)} ${v(0x2001 * P)}`, 'purged 1']);
    expect(a.vmap_lazy_nr).to.equal(0);
  });

  it('makes the next lazy free purge after set_iounmap_nonlazy()', () => {
    const { a, events } = mk();
    const A = allocOk(a, 2 * P, 1, V, VE);
    a.set_iounmap_nonlazy();
    a.free_unmap_vmap_area(A);
    expect(events).to.deep.equal([`flush ${v(0)} ${v(2 * P)}`, 'purged 1']);
  });

  it('is registered after linux-2.6.39 with its source commit', () => {
    const info = getVersion('linux-3.18');
    expect(info.source).to.contain('7ebdfaa52d15b947503f76474477f92854796d96');
    expect(info.upstreamPath).to.equal('mm/vmalloc.c');
  });
});

describePcpuGetVmAreas('linux-3.18', 'fits');

describe('linux-3.18 locks in timed mode', () => {
  describe('linux-3.18', () => {
    itContendsOnVmapAreaLock('linux-3.18', 4, 'alloc_vmap_area; setup_vmalloc_vm; find_vmap_area and the flag update in remove_vm_area');
    itHoldsVmapAreaLockInPcpuGetVmAreas('linux-3.18');
    itTakesTheVmapBlockLocks('linux-3.18');
    itLetsOneTryPurgeRunAtATime('linux-3.18', 'purge_lock');
  });
  describe('linux-3.18@wasm', () => {
    itContendsOnVmapAreaLock('linux-3.18@wasm', 4, 'alloc_vmap_area; setup_vmalloc_vm; find_vmap_area and the flag update in remove_vm_area');
    itHoldsVmapAreaLockInPcpuGetVmAreas('linux-3.18@wasm');
    itTakesTheVmapBlockLocks('linux-3.18@wasm');
    itLetsOneTryPurgeRunAtATime('linux-3.18@wasm', 'purge_lock');
  });
});
