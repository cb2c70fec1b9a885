// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { isKernelBug, KernelBug } from '../../../../kernel/include/asm-generic/bug.js';
import { hex } from '../../../../kernel/include/u64.js';
import { alloc, allocator, allocOk, itReplaysEveryGoldenTrace } from '../../../helpers/golden.js';
import { describePcpuGetVmAreas } from '../../../helpers/pcpu.js';
import { itHoldsVmapAreaLockInPcpuGetVmAreas, itTakesTheVmapBlockLocks, itContendsOnVmapAreaLock } from '../../../helpers/timed-locks.js';

const P = 0x1000;
const V = -0x370000000000; // VMALLOC_START 0xffffc90000000000
const VE = -0x170000000001; // VMALLOC_END 0xffffe8ffffffffff
const v = (off: number) => hex(V + off);

describe('linux-2.6.35 alloc_vmap_area', () => {
  describe('golden traces', () => itReplaysEveryGoldenTrace('linux-2.6.35'));

  /*
   * V           V+2P  V+3P      V+5P
   * [ A (2 pages) ] gap [ B (2 pages) ]
   * The walk moves addr to ALIGN(A.va_end + PAGE_SIZE): one page stays free.
   */
  it('keeps one free page after every area', () => {
    const { a } = allocator('linux-2.6.35');
    expect(hex(allocOk(a, 2 * P, 1, V, VE).va_start)).to.equal(v(0));
    expect(hex(allocOk(a, 2 * P, 1, V, VE).va_start)).to.equal(v(3 * P));
  });

  /*
   * [A: V..V+2P) free [V+2P..V+6P) [C: V+6P..V+8P)
   * A 3-page request starts at V+3P and ends exactly at C.va_start: the walk
   * continues only while addr + size > first->va_start, so it fits.
   */
  it('lets an area end exactly where the next one starts', () => {
    const { a } = allocator('linux-2.6.35');
    allocOk(a, 2 * P, 1, V, VE);
    const b = allocOk(a, 2 * P, 1, V, VE);
    allocOk(a, 2 * P, 1, V, VE);
    a.free_vmap_area(b);
    expect(hex(allocOk(a, 3 * P, 1, V, VE).va_start)).to.equal(v(3 * P));
  });

  /*
   * The search always starts from vstart: a lazily freed area still blocks its
   * range, and the request walks past it.
   * [A lazy: V..V+2P) [B: V+3P..V+5P) -> new area at V+6P
   */
  it('walks past lazily freed areas until they are purged', () => {
    const { a } = allocator('linux-2.6.35');
    const A = allocOk(a, 2 * P, 1, V, VE);
    allocOk(a, 2 * P, 1, V, VE);
    a.free_unmap_vmap_area(A);
    expect(a.vmap_lazy_nr).to.equal(2);
    expect(hex(allocOk(a, 2 * P, 1, V, VE).va_start)).to.equal(v(6 * P));
  });

  /*
   * Window [W, W+4P): A takes [W, W+2P), so a second 2-page area would need
   * [W+3P, W+5P), past vend. The allocator purges once (nothing lazy: no
   * flush) and retries, then gives up with -EBUSY.
   */
  it('purges once and retries, then fails with EBUSY', () => {
    const { a, events } = allocator('linux-2.6.35');
    const W = V + 0x100000;
    allocOk(a, 2 * P, 1, W, W + 4 * P);
    expect(alloc(a, 2 * P, 1, W, W + 4 * P)).to.equal('EBUSY');
    expect(events).to.deep.equal([]);
  });

  /*
   * Same window, but A was freed lazily: the failed search purges it (one
   * flush of [W, W+2P), one area released) and the retry finds W free.
   */
  it('succeeds after its own purge releases a lazily freed area', () => {
    const { a, events } = allocator('linux-2.6.35');
    const W = V + 0x100000;
    const A = allocOk(a, 2 * P, 1, W, W + 4 * P);
    allocOk(a, P, 1, W, W + 4 * P); // [W+3P, W+4P)
    a.free_unmap_vmap_area(A);
    expect(hex(allocOk(a, 2 * P, 1, W, W + 4 * P).va_start)).to.equal(hex(W));
    expect(events).to.deep.equal([`flush ${hex(W)} ${hex(W + 2 * P)}`, 'purged 1']);
    expect(a.vmap_lazy_nr).to.equal(0);
  });

  it('fails the overflow test addr + size - 1 < addr at the top of the address space', () => {
    const { a } = allocator('linux-2.6.35');
    expect(alloc(a, 2 * P, 1, -P, -1)).to.equal('EBUSY');
  });

  /*
   * lazy_max_pages() = fls(1) * 8192 = 8192 pages on one CPU. 4097 lazy
   * frees of 2-page areas reach 8194 > 8192 and trigger the purge.
   */
  it('purges when vmap_lazy_nr exceeds lazy_max_pages()', () => {
    const { a, events } = allocator('linux-2.6.35');
    expect(a.lazy_max_pages()).to.equal(8192);
    const areas = Array.from({ length: 4097 }, () => allocOk(a, 2 * P, 1, V, VE));
    areas.slice(0, 4096).forEach((x) => a.free_unmap_vmap_area(x));
    expect(events).to.deep.equal([]);
    a.free_unmap_vmap_area(areas[4096]!);
    expect(events).to.deep.equal([`flush ${v(0)} ${v(4096 * 3 * P + 2 * P)}`, 'purged 4097']);
    expect(a.vmap_lazy_nr).to.equal(0);
  });

  it('scales lazy_max_pages() with fls(num_online_cpus())', () => {
    expect([1, 2, 4, 8, 64].map((n) => allocator('linux-2.6.35', n).a.lazy_max_pages())).to.deep.equal([8192, 16384, 24576, 32768, 57344]);
  });

  it('raises a KernelBug for a zero size, naming the line', () => {
    const { a } = allocator('linux-2.6.35');
    let caught: unknown;
    try {
      a.alloc_vmap_area(0, 1, V, VE);
    } catch (e) {
      caught = e;
    }
    expect(isKernelBug(caught)).to.equal(true);
    expect((caught as KernelBug).site).to.equal('alloc_vmap_area:336 !size');
  });
});

describePcpuGetVmAreas('linux-2.6.35', 'fits');

describe('linux-2.6.35 locks in timed mode', () => {
  describe('linux-2.6.35', () => {
    itContendsOnVmapAreaLock('linux-2.6.35', 2, 'alloc_vmap_area; find_vmap_area in remove_vm_area');
    itHoldsVmapAreaLockInPcpuGetVmAreas('linux-2.6.35');
    itTakesTheVmapBlockLocks('linux-2.6.35');
  });
  describe('linux-2.6.35@wasm', () => {
    itContendsOnVmapAreaLock('linux-2.6.35@wasm', 2, 'alloc_vmap_area; find_vmap_area in remove_vm_area');
    itHoldsVmapAreaLockInPcpuGetVmAreas('linux-2.6.35@wasm');
    itTakesTheVmapBlockLocks('linux-2.6.35@wasm');
  });
});
