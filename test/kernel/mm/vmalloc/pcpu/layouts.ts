// SPDX-License-Identifier: GPL-2.0-only
/*
 * Random busy layouts in the top of the vmalloc range, for comparing the
 * pcpu_get_vm_areas() texts of different eras on the same input.
 */
import fc from 'fast-check';
import { hex, type ulong } from '../../../../../kernel/include/u64.js';
import { defaultEnv } from '../../../../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../../../../kernel/mm/vmalloc/index.js';

export const P = 0x1000;
export const U = 0x200000; // the x86 percpu atom, 2 MiB
/** VMALLOC_END & ~(U - 1) = 0xffffe8ffffe00000 */
export const END = -0x170000200000;

export interface Layout {
  /** busy areas, each [start, size]: allocated at the lowest fit at or above start */
  readonly busy: readonly (readonly [ulong, ulong])[];
  readonly groups: number;
  /** distance between the groups' units */
  readonly dist: ulong;
  /** unit size of each chunk asked for, in turn */
  readonly chunks: readonly ulong[];
}

export function layout(maxGroups: number, maxChunks: number): fc.Arbitrary<Layout> {
  return fc.record({
    busy: fc.array(
      fc.tuple(
        fc.integer({ min: 1, max: 512 }).chain((u) => fc.integer({ min: 0, max: 511 }).map((p) => END - u * U + p * P)),
        fc.integer({ min: 1, max: 600 }).map((n) => n * P),
      ),
      { maxLength: 30 },
    ),
    groups: fc.integer({ min: 1, max: maxGroups }),
    dist: fc.integer({ min: 4, max: 68 }).map((n) => n * U),
    chunks: fc.array(fc.integer({ min: 1, max: 3 }).map((n) => n * U), { minLength: 1, maxLength: maxChunks }),
  });
}

/** Where each chunk's group 0 lands on a fresh allocator of `version` with the layout's busy areas, or "NULL". */
export function place(version: string, l: Layout): string[] {
  const a = getVersion(version).create(defaultEnv());
  for (const [start, size] of l.busy) a.alloc_vmap_area(size, P, start, start + size + 0x100000000);
  const offsets = Array.from({ length: l.groups }, (_, g) => g * l.dist);
  return l.chunks.map((size) => {
    const vas = (a.pcpu_get_vm_areas as NonNullable<typeof a.pcpu_get_vm_areas>).call(a, offsets, offsets.map(() => size), l.groups, U);
    return vas ? hex(vas[0]!.va_start) : 'NULL';
  });
}
