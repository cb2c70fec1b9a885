// SPDX-License-Identifier: GPL-2.0-only
/*
 * The operations `vmapsim check` feeds to two allocators side by side.
 *
 * An allocation carries the arguments of alloc_vmap_area(); a free names
 * the allocation it releases, not its address (the two sides may have put
 * it in different places): `i` picks live[i mod nlive] among the areas
 * still live on that side, oldest first. A free with nothing live is
 * skipped (it leaves no line in the trace). This keeps every sequence
 * meaningful while the shrinker deletes and edits operations.
 */

import { PAGE_SIZE } from '../../kernel/include/asm/page.js';
import { hex, type ulong } from '../../kernel/include/u64.js';
import { VMALLOC_END_4LEVEL, VMALLOC_START_4LEVEL } from '../../kernel/include/asm/page.js';

export type CheckOp =
  | { readonly k: 'a'; readonly size: ulong; readonly align: ulong; readonly vstart: ulong; readonly vend: ulong }
  | { readonly k: 'f' | 'l'; readonly i: number }
  | { readonly k: 'p' };

/** One generated run: the environment and the operations. */
export interface RunSpec {
  /** Workload name (FORMAT.md's, or "random"). */
  readonly workload: string;
  /** The run's seed (decimal in the trace header). */
  readonly seed: number;
  /** num_online_cpus(): sets lazy_max_pages(). */
  readonly ncpu: number;
  readonly ops: readonly CheckOp[];
}

export const VS = VMALLOC_START_4LEVEL;
export const VE = VMALLOC_END_4LEVEL;

/** The abstract form of an op, as the report lists the minimal sequence. */
export function formatOp(op: CheckOp): string {
  switch (op.k) {
    case 'a':
      return `a ${hex(op.size)} ${hex(op.align)} ${hex(op.vstart)} ${hex(op.vend)}`;
    case 'f':
    case 'l':
      return `${op.k} #${op.i}`;
    case 'p':
      return 'p';
  }
}

/*
 * The tuple form the shrinker works on (fast-check arbitraries of
 * integers): ['a', pages, log2(align), vstart - VS in pages, vend - VE in
 * bytes], ['f'|'l', i], ['p']. Every integer shrinks towards 0, i.e.
 * towards one page, align 1, the vmalloc range and the oldest live area.
 */
export type OpTuple = ['a', number, number, number, number] | ['f', number] | ['l', number] | ['p'];

export const MAX_PAGES = 1 << 24;
export const MAX_ALIGN_SHIFT = 40;
export const MAX_VSTART_PAGES = 2 ** 36;
export const MAX_VEND_BYTES = 2 ** 46;
export const MAX_INDEX = 0x7fffffff;

/** True if the op can be written as a tuple (page-aligned size and vstart, power-of-two align). */
export function encodable(op: CheckOp): boolean {
  if (op.k !== 'a') return op.k === 'p' || (op.i >= 0 && op.i <= MAX_INDEX);
  const pages = op.size / PAGE_SIZE;
  const dv = (op.vstart - VS) / PAGE_SIZE;
  const shift = Math.log2(op.align);
  return (
    Number.isInteger(pages) && pages >= 1 && pages <= MAX_PAGES &&
    Number.isInteger(shift) && shift >= 0 && shift <= MAX_ALIGN_SHIFT &&
    Number.isInteger(dv) && Math.abs(dv) <= MAX_VSTART_PAGES &&
    Math.abs(op.vend - VE) <= MAX_VEND_BYTES
  );
}

export function toTuple(op: CheckOp): OpTuple {
  if (!encodable(op)) throw new RangeError(`op cannot be shrunk: ${formatOp(op)}`);
  switch (op.k) {
    case 'a':
      return ['a', op.size / PAGE_SIZE, Math.log2(op.align), (op.vstart - VS) / PAGE_SIZE, op.vend - VE];
    case 'f':
    case 'l':
      return [op.k, op.i];
    case 'p':
      return ['p'];
  }
}

export function fromTuple(t: OpTuple): CheckOp {
  switch (t[0]) {
    case 'a':
      return { k: 'a', size: t[1] * PAGE_SIZE, align: 2 ** t[2], vstart: VS + t[3] * PAGE_SIZE, vend: VE + t[4] };
    case 'f':
    case 'l':
      return { k: t[0], i: t[1] };
    case 'p':
      return { k: 'p' };
  }
}
