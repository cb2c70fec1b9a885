// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import fc from 'fast-check';
import { KernelBug } from '../../../../../kernel/include/asm-generic/bug.js';
import { defaultEnv, nullHooks } from '../../../../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../../../../kernel/mm/vmalloc/index.js';
import { runMatrix } from '../../../../../scripts/run/runner.js';
import { pcpuSpuriousFailure } from '../../../../../scripts/scenarios/pcpu-spurious-failure.js';
import { END, expectSameAsPort, expectSameAsPortInSmallRange, pcpuOf, pcpuRun, twin, U } from '../../../../helpers/wasm-pcpu.js';

const G = 0x40000000; // two NUMA groups 1 GiB apart
const V = 'mmotm-2010-vmap-cache-v1';

describe('pcpu_get_vm_areas in the mmotm-2010-vmap-cache-v1 wasm core (kernel/mm/vmalloc/as/mmotm-2010-vmap-cache-v1.pcpu.ts)', () => {
  it('places every chunk where the TypeScript port does, with the same touches, events, locks and state, on random layouts with freed and lazily freed areas', () => {
    fc.assert(
      fc.property(pcpuRun(), (r) => expectSameAsPort(V, r, true)),
      { numRuns: 40, seed: 2010 },
    );
  });

  it('purges the lazily freed areas that fill a small range and retries, as the port does, then fits the chunk at the top', () => {
    expect(expectSameAsPortInSmallRange(V, true)).to.deep.equal(['ffffe8ffffc00000-ffffe8ffffe00000']);
  });

  it('returns NULL after one purge when busy areas fill the range, freeing its vmap_areas, as the port does', () => {
    expect(expectSameAsPortInSmallRange(V, false)).to.equal(null);
  });

  it('puts a one-group chunk at the top of the aligned vmalloc range, the next one right below it', () => {
    const { a } = twin(`${V}@wasm`);
    expect(pcpuOf(a, [0], [U])).to.deep.equal(['ffffe8ffffc00000-ffffe8ffffe00000']);
    expect(pcpuOf(a, [0], [2 * U])).to.deep.equal(['ffffe8ffff800000-ffffe8ffffc00000']);
  });

  it('pulls the base down under the busy area that stops the lower group', () => {
    const { a, events } = twin(`${V}@wasm`);
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

  it('reports a bad alignment as a KernelBug at the line of the BUG_ON (2180, the port\'s)', () => {
    const { a } = twin(`${V}@wasm`);
    expect(() => pcpuOf(a, [0], [U], 3 * U))
      .to.throw(KernelBug)
      .that.includes({ version: `${V}@wasm`, func: 'pcpu_get_vm_areas', line: 2180, cond: 'align & ~PAGE_MASK || !is_power_of_2(align)' });
  });

  it('reports overlapping groups as a KernelBug at the overlap check', () => {
    const { a } = twin(`${V}@wasm`);
    expect(() => pcpuOf(a, [0, U], [2 * U, 2 * U]))
      .to.throw(KernelBug)
      .that.includes({ version: `${V}@wasm`, func: 'pcpu_get_vm_areas', line: 2200, cond: 'start2 >= start && start2 < end' });
  });

  it('warns and returns NULL when the areas span more than the vmalloc range', () => {
    const { a, events } = twin(`${V}@wasm`);
    expect(pcpuOf(a, [0, 0x300000000000], [U, U])).to.equal(null);
    expect(events).to.deep.equal(['warn pcpu_get_vm_areas:2207 true']);
  });

  it('returns NULL when the slab fails, leaving nothing behind', () => {
    const a = getVersion(`${V}@wasm`).create(defaultEnv({ hooks: { ...nullHooks(), should_failslab: () => true } }));
    expect(pcpuOf(a, [0, G], [U, U])).to.equal(null);
    expect(a.snapshot().areas).to.deep.equal([]);
  });

  for (const params of [
    { groups: 2, distance_mib: 1024, gap_mib: 64, chunks: 4 },
    { groups: 3, distance_mib: 512, gap_mib: 6, chunks: 6 },
    { groups: 1, distance_mib: 2, gap_mib: 2, chunks: 3 },
  ])
    it(`prints what the port prints in \`vmapsim run pcpu-spurious-failure\` (groups=${params.groups} distance_mib=${params.distance_mib} gap_mib=${params.gap_mib} chunks=${params.chunks})`, () => {
      const m = runMatrix(pcpuSpuriousFailure, { kernels: [V, `${V}@wasm`], cpus: [1], seed: 1, params });
      const [port, core] = [V, `${V}@wasm`].map((k) => m.cells.find((c) => c.kernel === k)?.result);
      expect(core?.notes).to.deep.equal(port?.notes);
      expect(core?.figures).to.deep.equal(port?.figures);
      expect(core?.bug).to.equal(undefined);
      expect(port?.notes?.[0]).to.equal(`${params.chunks} of ${params.chunks} chunks served (${params.groups} group${params.groups > 1 ? 's' : ''} ${params.distance_mib} MiB apart, 2 MiB units)`);
    });
});
