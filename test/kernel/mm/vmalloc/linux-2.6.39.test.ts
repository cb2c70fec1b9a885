// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { hex } from '../../../../kernel/include/u64.js';
import { alloc, allocator, allocOk, itReplaysEveryGoldenTrace } from '../../../helpers/golden.js';
import { describePcpuGetVmAreas } from '../../../helpers/pcpu.js';
import { itHoldsVmapAreaLockInPcpuGetVmAreas, itTakesTheVmapBlockLocks, itContendsOnVmapAreaLock, itLetsOneTryPurgeRunAtATime } from '../../../helpers/timed-locks.js';

const P = 0x1000;
const V = -0x370000000000; // VMALLOC_START 0xffffc90000000000
const VE = -0x170000000001;
const v = (off: number) => hex(V + off);
const state = (x: { golden_state(): string }) => x.golden_state();

describe('linux-2.6.39 alloc_vmap_area (the merged vmap area cache)', () => {
  describe('golden traces', () => itReplaysEveryGoldenTrace('linux-2.6.39'));

  /*
   * [A: V..V+2P) gap [B: V+3P..V+5P)
   * The first allocation finds no cache (reset); the second starts from the
   * cached area A: addr = ALIGN(A.va_end + PAGE_SIZE) = V+3P.
   */
  it('starts the search after the cached area (cache hit)', () => {
    const { a } = allocator('linux-2.6.39');
    allocOk(a, 2 * P, 1, V, VE);
    expect(state(a)).to.equal(`cache=${v(0)} hole=0 vstart=${v(0)} align=1 lazy=0`);
    expect(hex(allocOk(a, 2 * P, 1, V, VE).va_start)).to.equal(v(3 * P));
    expect(state(a)).to.equal(`cache=${v(3 * P)} hole=0 vstart=${v(0)} align=1 lazy=0`);
  });

  /*
   * [A V..V+2P) [B V+3P..V+5P) [C V+6P..V+8P); free B -> the cache moves to
   * rb_prev(B) = A. A 3-page request walks from A: at C, addr + size = V+6P
   * >= C.va_start, so the hole [V+2P, V+6P) cannot take it (a free page must
   * stay before C); the hole size 3P is recorded and the area goes after C.
   */
  it('keeps a free page before the next area and records the hole it skipped', () => {
    const { a } = allocator('linux-2.6.39');
    allocOk(a, 2 * P, 1, V, VE);
    const b = allocOk(a, 2 * P, 1, V, VE);
    allocOk(a, 2 * P, 1, V, VE);
    a.free_vmap_area(b);
    expect(state(a)).to.match(new RegExp(`^cache=${v(0)} `));
    expect(hex(allocOk(a, 3 * P, 1, V, VE).va_start)).to.equal(v(9 * P));
    expect(state(a)).to.equal(`cache=${v(9 * P)} hole=3000 vstart=${v(0)} align=1 lazy=0`);
  });

  /*
   * Continuing: hole = 3P below the cache. A 2-page request is smaller than
   * the hole (size < cached_hole_size): the cache is dropped and the search
   * restarts at vstart, reusing [V+3P, V+5P). A 3-page one is not smaller
   * and stays above the cache.
   */
  it('drops the cache for a request smaller than the hole below it', () => {
    const mk = () => {
      const { a } = allocator('linux-2.6.39');
      allocOk(a, 2 * P, 1, V, VE);
      const b = allocOk(a, 2 * P, 1, V, VE);
      allocOk(a, 2 * P, 1, V, VE);
      a.free_vmap_area(b);
      allocOk(a, 3 * P, 1, V, VE); // [V+9P, V+12P), hole 3P
      return a;
    };
    const a = mk();
    expect(hex(allocOk(a, 2 * P, 1, V, VE).va_start)).to.equal(v(3 * P));
    expect(state(a)).to.equal(`cache=${v(3 * P)} hole=0 vstart=${v(0)} align=1 lazy=0`);
    const b = mk();
    expect(hex(allocOk(b, 3 * P, 1, V, VE).va_start)).to.equal(v(13 * P));
  });

  /*
   * A window starting at W = V+1MiB sets cached_vstart = W. A later request
   * from V (vstart < cached_vstart) drops the cache and starts at V.
   */
  it('drops the cache for a lower vstart', () => {
    const { a } = allocator('linux-2.6.39');
    const W = V + 0x100000;
    allocOk(a, 2 * P, 1, W, VE);
    expect(hex(allocOk(a, 2 * P, 1, V, VE).va_start)).to.equal(v(0));
  });

  /*
   * An area aligned to 0x4000 sets cached_align; a request with align 1
   * (align < cached_align) drops the cache and starts at vstart.
   * [A: V..V+2P) then [B: V+4P..V+6P) (aligned), then the align-1 request
   * walks from V: past A to V+3P, where it ends at V+4P >= B.va_start, so
   * it records the one-page hole (B.va_start - addr = P) and moves past B to
   * V+7P.
   */
  it('drops the cache for a smaller alignment', () => {
    const { a } = allocator('linux-2.6.39');
    allocOk(a, 2 * P, 1, V, VE);
    expect(hex(allocOk(a, 2 * P, 0x4000, V, VE).va_start)).to.equal(v(4 * P));
    expect(hex(allocOk(a, P, 1, V, VE).va_start)).to.equal(v(7 * P));
    expect(state(a)).to.equal(`cache=${v(7 * P)} hole=1000 vstart=${v(0)} align=1 lazy=0`);
  });

  /*
   * The cache is A = [V, V+2P). A request from W = V+1MiB keeps the cache
   * (W is not below cached_vstart V), but ALIGN(A.va_end + PAGE_SIZE) < W:
   * goto nocache, and the search starts at W.
   */
  it('falls back to a full search when the cached area lies below vstart', () => {
    const { a } = allocator('linux-2.6.39');
    allocOk(a, 2 * P, 1, V, VE);
    const W = V + 0x100000;
    expect(hex(allocOk(a, 2 * P, 1, W, VE).va_start)).to.equal(hex(W));
    expect(state(a)).to.equal(`cache=${hex(W)} hole=0 vstart=${hex(W)} align=1 lazy=0`);
  });

  /*
   * Window [W, W+4P) with A = [W, W+2P) lazily freed and [W+3P, W+4P) busy:
   * the cached search fails, purge_vmap_area_lazy() flushes A's range and
   * __free_vmap_area moves the cache to rb_prev(A) = NULL; the retry starts
   * at W.
   */
  it('purges once on failure and retries from vstart', () => {
    const { a, events } = allocator('linux-2.6.39');
    const W = V + 0x100000;
    const A = allocOk(a, 2 * P, 1, W, W + 4 * P);
    allocOk(a, P, 1, W, W + 4 * P);
    a.free_unmap_vmap_area(A);
    expect(hex(allocOk(a, 2 * P, 1, W, W + 4 * P).va_start)).to.equal(hex(W));
    expect(events).to.deep.equal([`flush ${hex(W)} ${hex(W + 2 * P)}`, 'purged 1']);
  });

  it('returns EBUSY after the purge-and-retry when nothing is lazy', () => {
    const { a, events } = allocator('linux-2.6.39');
    const W = V + 0x100000;
    allocOk(a, 2 * P, 1, W, W + 4 * P);
    expect(alloc(a, 2 * P, 1, W, W + 4 * P)).to.equal('EBUSY');
    expect(events).to.deep.equal([]);
  });

  /*
   * Hugh Dickins' ioremap sequence (reference §2.5) with an unaligned vstart
   * V' = V+0x2000: S = [V', V'+0x8000), N = [V'+0x9000, V'+0xB000), C = a
   * 256 KiB ioremap aligned to 0x80000; then an 8 KiB ioremap (area 0x3000,
   * align 0x4000) with align < cached_align searches from ALIGN(V', 0x4000),
   * walks past S and N and lands at [V'+0xE000, V'+0x11000).
   */
  it("allocates Hugh's failing ioremap at V+0xE000 instead of hitting a BUG", () => {
    const { a } = allocator('linux-2.6.39');
    const Vu = V + 0x2000;
    expect(hex(allocOk(a, 0x8000, 1, Vu, VE).va_start)).to.equal(hex(Vu));
    expect(hex(allocOk(a, 0x2000, 1, Vu, VE).va_start)).to.equal(hex(Vu + 0x9000));
    expect(hex(allocOk(a, 0x41000, 0x80000, Vu, VE).va_start)).to.equal('ffffc90000080000');
    const last = allocOk(a, 0x3000, 0x4000, Vu, VE);
    expect([hex(last.va_start), hex(last.va_end)]).to.deep.equal([hex(Vu + 0xe000), hex(Vu + 0x11000)]);
  });

  it('provides set_iounmap_nonlazy(), making the next lazy free purge', () => {
    const { a, events } = allocator('linux-2.6.39');
    const A = allocOk(a, 2 * P, 1, V, VE);
    (a as unknown as { set_iounmap_nonlazy(): void }).set_iounmap_nonlazy();
    a.free_unmap_vmap_area(A);
    expect(events).to.deep.equal([`flush ${v(0)} ${v(2 * P)}`, 'purged 1']);
  });
});

describePcpuGetVmAreas('linux-2.6.39', 'fits');

describe('linux-2.6.39 locks in timed mode', () => {
  describe('linux-2.6.39', () => {
    itContendsOnVmapAreaLock('linux-2.6.39', 2, 'alloc_vmap_area; find_vmap_area in remove_vm_area');
    itHoldsVmapAreaLockInPcpuGetVmAreas('linux-2.6.39');
    itTakesTheVmapBlockLocks('linux-2.6.39');
    itLetsOneTryPurgeRunAtATime('linux-2.6.39', 'purge_lock');
  });
  describe('linux-2.6.39@wasm', () => {
    itContendsOnVmapAreaLock('linux-2.6.39@wasm', 2, 'alloc_vmap_area; find_vmap_area in remove_vm_area');
    itHoldsVmapAreaLockInPcpuGetVmAreas('linux-2.6.39@wasm');
    itTakesTheVmapBlockLocks('linux-2.6.39@wasm');
    itLetsOneTryPurgeRunAtATime('linux-2.6.39@wasm', 'purge_lock');
  });
});
