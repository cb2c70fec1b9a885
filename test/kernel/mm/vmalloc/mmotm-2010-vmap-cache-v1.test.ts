// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { isKernelBug, KernelBug } from '../../../../kernel/include/asm-generic/bug.js';
import { hex } from '../../../../kernel/include/u64.js';
import { allocator, allocOk, itReplaysEveryGoldenTrace } from '../../../helpers/golden.js';
import { describePcpuGetVmAreas } from '../../../helpers/pcpu.js';
import { itHoldsVmapAreaLockInPcpuGetVmAreas, itContendsOnVmapAreaLock } from '../../../helpers/timed-locks.js';

const P = 0x1000;
const V = -0x370000000000;
const VE = -0x170000000001;
const v = (off: number) => hex(V + off);

describe("mmotm-2010-vmap-cache-v1 alloc_vmap_area (Nick Piggin's patch as carried in -mm)", () => {
  describe('golden traces', () => itReplaysEveryGoldenTrace('mmotm-2010-vmap-cache-v1'));

  /*
   * Reference §2.5: unaligned vstart V' = V+0x2000. After S, N and the
   * 0x80000-aligned C, the 8 KiB ioremap (align 0x4000 < cached_align)
   * takes the uncached path: addr0 = V'+0x2000; the descent returns S
   * (straddling addr0); the fix-up sets addr = ALIGN(S.va_end + PAGE_SIZE,
   * 0x4000) = V'+0xA000 and steps to N, which starts at V'+0x9000 < addr.
   */
  it("hits BUG_ON(first->va_start < addr) on Hugh Dickins' ioremap sequence", () => {
    const { a } = allocator('mmotm-2010-vmap-cache-v1');
    const Vu = V + 0x2000;
    allocOk(a, 0x8000, 1, Vu, VE);
    allocOk(a, 0x2000, 1, Vu, VE);
    allocOk(a, 0x41000, 0x80000, Vu, VE);
    let caught: unknown;
    try {
      a.alloc_vmap_area(0x3000, 0x4000, Vu, VE);
    } catch (e) {
      caught = e;
    }
    expect(isKernelBug(caught)).to.equal(true);
    const bug = caught as KernelBug;
    expect(bug.site).to.equal('alloc_vmap_area:412 first->va_start < addr');
    expect(bug.version).to.equal('mmotm-2010-vmap-cache-v1');
    expect(bug.oops(a.golden_state())).to.contain('kernel BUG at mm/vmalloc.c:412!');
  });

  /*
   * Unlike linux-2.6.39, the walk stops when addr + size <= next.va_start,
   * so an area may end exactly at the next one (as in 2.6.35):
   * [A V..V+2P) [C V+6P..) with B freed; 3 pages fit at [V+3P, V+6P).
   */
  it('lets an area end exactly where the next one starts', () => {
    const { a } = allocator('mmotm-2010-vmap-cache-v1');
    allocOk(a, 2 * P, 1, V, VE);
    const b = allocOk(a, 2 * P, 1, V, VE);
    allocOk(a, 2 * P, 1, V, VE);
    a.free_vmap_area(b);
    expect(hex(allocOk(a, 3 * P, 1, V, VE).va_start)).to.equal(v(3 * P));
  });

  it('refuses a non-power-of-two alignment with BUG_ON(!is_power_of_2(align))', () => {
    const { a } = allocator('mmotm-2010-vmap-cache-v1');
    expect(() => a.alloc_vmap_area(P, 0x3000, V, VE)).to.throw(KernelBug, 'is_power_of_2');
  });
});

describePcpuGetVmAreas('mmotm-2010-vmap-cache-v1', 'fits');

describe('mmotm-2010-vmap-cache-v1 locks in timed mode', () => {
  describe('mmotm-2010-vmap-cache-v1', () => {
    itContendsOnVmapAreaLock('mmotm-2010-vmap-cache-v1', 2, 'alloc_vmap_area; find_vmap_area in remove_vm_area');
    itHoldsVmapAreaLockInPcpuGetVmAreas('mmotm-2010-vmap-cache-v1');
  });
  describe('mmotm-2010-vmap-cache-v1@wasm', () => {
    itContendsOnVmapAreaLock('mmotm-2010-vmap-cache-v1@wasm', 2, 'alloc_vmap_area; find_vmap_area in remove_vm_area');
    itHoldsVmapAreaLockInPcpuGetVmAreas('mmotm-2010-vmap-cache-v1@wasm');
  });
});
