// SPDX-License-Identifier: GPL-2.0-only
/*
 * pcpu_get_vm_areas() of a wasm core against its TypeScript port: the same
 * busy layout (allocations near the top of the range, some freed at once,
 * some lazily), then chunks of congruent groups, on both; after every
 * operation the two must agree on the areas handed out, the touch counter,
 * the hook events (flushes, purges, warnings, locks) and the snapshot
 * (areas with their state, free blocks, state line).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { isKernelBug } from '../../kernel/include/asm-generic/bug.js';
import { IS_ERR } from '../../kernel/include/linux/errno.js';
import { hex, type ulong } from '../../kernel/include/u64.js';
import { defaultEnv, type VmallocHooks, type VmapAllocator, type vmap_area_common } from '../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../kernel/mm/vmalloc/index.js';
import { recordingHooks } from '../../scripts/replay/golden.js';

export const P = 0x1000;
export const U = 0x200000; // the x86 percpu atom, 2 MiB
/** VMALLOC_END & ~(U - 1) = 0xffffe8ffffe00000 */
export const END = -0x170000200000;

/** The golden trace's recording hooks, with the lock hooks recorded too unless `locks` is false. */
function hooks(events: string[], locks: boolean): VmallocHooks {
  if (!locks) return recordingHooks(events);
  return {
    ...recordingHooks(events),
    spin_lock: (l) => events.push(`lock ${l}`),
    spin_unlock: (l) => events.push(`unlock ${l}`),
    cond_resched_lock: (l) => events.push(`resched ${l}`),
    mutex_lock: (l) => events.push(`mutex ${l}`),
    mutex_unlock: (l) => events.push(`mutex_unlock ${l}`),
  };
}

/** A version's port or core with its event log. */
export function twin(name: string, locks = true, events: string[] = [], range?: { VMALLOC_START: ulong; VMALLOC_END: ulong }): { a: VmapAllocator; events: string[] } {
  return { a: getVersion(name).create(defaultEnv({ hooks: hooks(events, locks), ...range })), events };
}

export function pcpuOf(a: VmapAllocator, offsets: ulong[], sizes: ulong[], align: ulong = U): string[] | null {
  const vas = (a.pcpu_get_vm_areas as NonNullable<VmapAllocator['pcpu_get_vm_areas']>).call(a, offsets, sizes, offsets.length, align);
  return vas && vas.map((v) => `${hex(v.va_start)}-${hex(v.va_end)}`);
}

/** The operations of one comparison run. */
export interface PcpuRun {
  /** [start, size, fate]: allocated at the lowest fit at or above start, then kept (0), freed (1) or lazily freed (2) */
  readonly busy: readonly (readonly [ulong, ulong, number])[];
  readonly groups: number;
  readonly dist: ulong;
  /** unit size of each chunk asked for, in turn */
  readonly chunks: readonly ulong[];
}

export function pcpuRun(): fc.Arbitrary<PcpuRun> {
  return fc.record({
    busy: fc.array(
      fc.tuple(
        fc.integer({ min: 1, max: 256 }).chain((u) => fc.integer({ min: 0, max: 511 }).map((p) => END - u * U + p * P)),
        fc.integer({ min: 1, max: 1200 }).map((n) => n * P),
        fc.integer({ min: 0, max: 2 }),
      ),
      { maxLength: 30 },
    ),
    groups: fc.integer({ min: 1, max: 3 }),
    dist: fc.integer({ min: 4, max: 68 }).map((n) => n * U),
    chunks: fc.array(fc.integer({ min: 1, max: 3 }).map((n) => n * U), { minLength: 1, maxLength: 6 }),
  });
}

/**
 * Run the operations on the port and the core side by side; every step
 * must agree. `locks`: compare the lock hooks too (the 2.6.35 core takes
 * vmap_area_lock in alloc/free/find, where its port has no-op comments).
 */
export function expectSameAsPort(version: string, r: PcpuRun, locks = true): void {
  const ts = twin(version, locks);
  const wa = twin(`${version}@wasm`, locks);
  const same = (what: string) => {
    expect(wa.a.touches, `${what}: touches`).to.equal(ts.a.touches);
    expect(wa.events, `${what}: events`).to.deep.equal(ts.events);
    expect(wa.a.snapshot(), `${what}: snapshot`).to.deep.equal(ts.a.snapshot());
  };
  const live: [vmap_area_common, vmap_area_common, number][] = [];
  for (const [start, size, fate] of r.busy) {
    // mmotm's BUG_ON(first->va_start < addr) fires on such layouts: then
    // the core must stop at the same BUG (version aside) and the run ends.
    const bug = (f: () => unknown): Record<string, unknown> | null => {
      try {
        f();
        return null;
      } catch (e) {
        if (!isKernelBug(e)) throw e;
        return { func: e.func, line: e.line, cond: e.cond };
      }
    };
    let x: ReturnType<VmapAllocator['alloc_vmap_area']> | undefined;
    let y: ReturnType<VmapAllocator['alloc_vmap_area']> | undefined;
    const bx = bug(() => (x = ts.a.alloc_vmap_area(size, P, start, start + size + 0x100000000)));
    const by = bug(() => (y = wa.a.alloc_vmap_area(size, P, start, start + size + 0x100000000)));
    expect(by, `alloc ${hex(start)}: BUG`).to.deep.equal(bx);
    if (bx) return;
    if (!x || !y) throw new Error('unreachable: no BUG and no result');
    same(`alloc ${hex(start)}`);
    if (!IS_ERR(x) && !IS_ERR(y)) live.push([x, y, fate]);
  }
  for (const [x, y, fate] of live) {
    if (fate === 1) {
      ts.a.free_vmap_area(x);
      wa.a.free_vmap_area(y);
    } else if (fate === 2) {
      ts.a.free_unmap_vmap_area(x);
      wa.a.free_unmap_vmap_area(y);
    }
    same('free');
  }
  const offsets = Array.from({ length: r.groups }, (_, g) => g * r.dist);
  for (const size of r.chunks) {
    const sizes = offsets.map(() => size);
    expect(pcpuOf(wa.a, offsets, sizes), `chunk of ${hex(size)}`).to.deep.equal(pcpuOf(ts.a, offsets, sizes));
    same(`chunk of ${hex(size)}`);
  }
}

/**
 * The purge-and-retry path and the err_free path, which the 32 TiB range
 * never reaches: a vmalloc range of 8 units (16 MiB), filled with
 * one-unit areas, then freed lazily (`lazy`: the chunk fits only after the
 * purge) or kept (the chunk fails after the purge, its vmap_areas freed).
 * Both the port and the core run it; every step must agree. The chunk's
 * areas, or null.
 */
export function expectSameAsPortInSmallRange(version: string, lazy: boolean, locks = true): string[] | null {
  const range = { VMALLOC_START: END - 8 * U, VMALLOC_END: END + U - 1 }; // END - 16 MiB .. the 4-level VMALLOC_END
  const ts = twin(version, locks, [], range);
  const wa = twin(`${version}@wasm`, locks, [], range);
  const same = (what: string) => {
    expect(wa.a.touches, `${what}: touches`).to.equal(ts.a.touches);
    expect(wa.events, `${what}: events`).to.deep.equal(ts.events);
    expect(wa.a.snapshot(), `${what}: snapshot`).to.deep.equal(ts.a.snapshot());
  };
  const live: [vmap_area_common, vmap_area_common][] = [];
  for (let i = 0; i < 8; i++) {
    const x = ts.a.alloc_vmap_area(U - P, P, range.VMALLOC_START, range.VMALLOC_END);
    const y = wa.a.alloc_vmap_area(U - P, P, range.VMALLOC_START, range.VMALLOC_END);
    same(`alloc ${i}`);
    if (!IS_ERR(x) && !IS_ERR(y)) live.push([x, y]);
  }
  if (lazy)
    for (const [x, y] of live) {
      ts.a.free_unmap_vmap_area(x);
      wa.a.free_unmap_vmap_area(y);
      same('lazy free');
    }
  const got = pcpuOf(wa.a, [0], [U]);
  expect(got, 'chunk').to.deep.equal(pcpuOf(ts.a, [0], [U]));
  same('chunk');
  return got;
}
