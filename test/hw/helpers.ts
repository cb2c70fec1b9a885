// SPDX-License-Identifier: GPL-2.0-only
/** Shared arrangements for the hw specs (not a spec itself). */

import { EntryBits } from '../../hw/pageTable.js';
import { Machine } from '../../hw/machine.js';
import type { MachineConfigInput } from '../../hw/config.js';
import { mapPage } from '../../hw/mapping.js';

/** 0xffffc90000000000 (VMALLOC_START, 4-level) in the signed view. */
export const KVA = -0x370000000000;

/** Kernel data flags as vmalloc's PAGE_KERNEL uses them (no PTI): RW, global, NX. */
export const KERNEL_FLAGS = EntryBits.RW | EntryBits.G | EntryBits.NX;

/** The kernel address of page `n` from KVA. */
export function kpage(n: number): number {
  return KVA + n * 4096;
}

/** A small machine (64 MiB) for a test. */
export function smallMachine(config: MachineConfigInput = {}): Machine {
  return new Machine({ physMemBytes: 64 * 2 ** 20, ...config });
}

/** Allocate a frame, fill its first word with `marker`, and map it at `va` in the kernel root. */
export function mapMarked(m: Machine, va: number, marker: number, flags: bigint = KERNEL_FLAGS): number {
  const frame = m.allocFrame();
  if (frame === null) throw new Error('test machine ran out of frames');
  m.mem.write64(frame * 4096, marker);
  mapPage(m, m.kernelRoot, va, frame, flags);
  return frame;
}
