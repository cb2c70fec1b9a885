// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import fc from 'fast-check';
import { KernelBug } from '../../../../../kernel/include/asm-generic/bug.js';
import { defaultEnv, nullHooks } from '../../../../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../../../../kernel/mm/vmalloc/index.js';
import { END, expectSameAsPort, pcpuOf, pcpuRun, twin, U } from '../../../../helpers/wasm-pcpu.js';

const G = 0x40000000; // two NUMA groups 1 GiB apart

describe('pcpu_get_vm_areas in the linux-2.6.35 wasm core (kernel/mm/vmalloc/as/linux-2.6.35.pcpu.ts)', () => {
  it('places every chunk where the TypeScript port does, with the same touches, events and state, on random layouts with freed and lazily freed areas', () => {
    fc.assert(
      fc.property(pcpuRun(), (r) => expectSameAsPort('linux-2.6.35', r, false)),
      { numRuns: 60, seed: 26 },
    );
  });

  it('puts a one-group chunk at the top of the aligned vmalloc range, the next one right below it', () => {
    const { a } = twin('linux-2.6.35@wasm');
    expect(pcpuOf(a, [0], [U])).to.deep.equal(['ffffe8ffffc00000-ffffe8ffffe00000']);
    expect(pcpuOf(a, [0], [2 * U])).to.deep.equal(['ffffe8ffff800000-ffffe8ffffc00000']);
  });

  it('pulls the base down under the busy area that stops the lower group', () => {
    const { a, events } = twin('linux-2.6.35@wasm');
    const X = END - G - 0x4000000;
    a.alloc_vmap_area(END - G / 2 - X, 0x1000, X, END - G / 2);
    events.length = 0;
    expect(pcpuOf(a, [0, G], [U, U])).to.deep.equal([
      `${(BigInt.asUintN(64, BigInt(X - U))).toString(16)}-${BigInt.asUintN(64, BigInt(X)).toString(16)}`,
      `${(BigInt.asUintN(64, BigInt(X - U + G))).toString(16)}-${BigInt.asUintN(64, BigInt(X + G)).toString(16)}`,
    ]);
    // One hold of vmap_area_lock from the search to the insert; no purge, no flush.
    expect(events).to.deep.equal(['lock vmap_area_lock', 'unlock vmap_area_lock']);
  });

  it('reports a bad alignment as a KernelBug at the line of the BUG_ON', () => {
    const { a } = twin('linux-2.6.35@wasm');
    expect(() => pcpuOf(a, [0], [U], 3 * U))
      .to.throw(KernelBug)
      .that.includes({ version: 'linux-2.6.35@wasm', func: 'pcpu_get_vm_areas', line: 2180, cond: 'align & ~PAGE_MASK || !is_power_of_2(align)' });
  });

  it('warns and returns NULL when the areas span more than the vmalloc range', () => {
    const { a, events } = twin('linux-2.6.35@wasm');
    expect(pcpuOf(a, [0, 0x300000000000], [U, U])).to.equal(null);
    expect(events).to.deep.equal(['warn pcpu_get_vm_areas:2207 true']);
  });

  it('returns NULL when the slab fails, leaving nothing behind', () => {
    const a = getVersion('linux-2.6.35@wasm').create(defaultEnv({ hooks: { ...nullHooks(), should_failslab: () => true } }));
    expect(pcpuOf(a, [0, G], [U, U])).to.equal(null);
    expect(a.snapshot().areas).to.deep.equal([]);
  });
});
