// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test helper: a TypeScript port and its wasm core (`<version>@wasm`) driven
 * with the same seeded stream of operations, compared after every
 * operation: the result, the events (flushes, purges), the touch counter
 * and the golden state line.
 */

import { isKernelBug } from '../../kernel/include/asm-generic/bug.js';
import { errname, IS_ERR } from '../../kernel/include/linux/errno.js';
import { hex, type ulong } from '../../kernel/include/u64.js';
import { defaultEnv, type VmapAllocator, type vmap_area_common } from '../../kernel/mm/vmalloc/common.js';
import { createAllocatorOf, getManifest } from '../../kernel/manifest/index.js';
import { recordingHooks } from '../../scripts/replay/golden.js';

/** What one allocator did on one operation. */
function step(a: VmapAllocator, events: string[], op: () => string): string {
  events.length = 0;
  try {
    const r = op();
    return `${r} [${events.join(', ')}] touches=${a.touches} ${a.golden_state()}`;
  } catch (e) {
    if (!isKernelBug(e)) throw e;
    return `BUG ${e.func}:${e.line} ${e.cond} touches=${a.touches}`;
  }
}

export interface TwinRun {
  /** Operations both ran (up to and including a BUG). */
  ops: number;
  allocs: number;
  /** Touches of the port at the end (equal to the core's if `mismatch` is null). */
  touches: number;
  /** The first operation whose outcome differs, described; null if none. */
  mismatch: string | null;
  /** The BUG both ended in, if any. */
  bug: string | null;
  /** TLB flushes the port asked for (purges that found lazy areas). */
  flushes: number;
  /** Explicit purge_vmap_area_lazy() calls in the stream. */
  purges: number;
}

/**
 * Replay `n` seeded operations (allocations of 1-16 pages, one in ten up
 * to 2048, with a page or a larger power-of-two alignment from `vstarts`
 * (4) vstarts 1 MiB apart; frees and lazy frees of live areas, enough of them to pass
 * lazy_max_pages(); an explicit purge now and then) on a fresh port and a
 * fresh core of `version`, a version or a check variant (one CPU, the
 * 4-level range).
 */
export function runTwins(version: string, n: number, seed: number, opts: { vstarts?: number } = {}): TwinRun {
  const vstarts = opts.vstarts ?? 4;
  const pe: string[] = [];
  const ce: string[] = [];
  const port = createAllocatorOf(getManifest(version), defaultEnv({ ncpu: 1, hooks: recordingHooks(pe) }));
  const core = createAllocatorOf(getManifest(`${version}@wasm`), defaultEnv({ ncpu: 1, hooks: recordingHooks(ce) }));
  const live: [vmap_area_common, vmap_area_common][] = [];
  const { VMALLOC_START: vs, VMALLOC_END: ve } = defaultEnv();
  let s = seed >>> 0;
  const rnd = (k: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % k;
  };
  const run: TwinRun = { ops: 0, allocs: 0, touches: 0, mismatch: null, bug: null, flushes: 0, purges: 0 };
  for (let i = 0; i < n; i++) {
    const r = rnd(1000);
    let a: string;
    let b: string;
    if (r < 550 || live.length === 0) {
      const size: ulong = (1 + rnd(rnd(10) === 0 ? 2048 : 16)) * 0x1000;
      const align: ulong = rnd(8) === 0 ? 0x1000 << rnd(5) : 0x1000;
      const vstart: ulong = vs + rnd(vstarts) * 0x100000;
      const what = `alloc_vmap_area(${hex(size)}, ${hex(align)}, ${hex(vstart)})`;
      const alloc = (x: VmapAllocator, k: 0 | 1): string => {
        const va = x.alloc_vmap_area(size, align, vstart, ve);
        if (IS_ERR(va)) return errname(va);
        if (k === 0) live.push([va, va]);
        else live[live.length - 1]![1] = va;
        return hex(va.va_start);
      };
      run.allocs++;
      a = `${what} -> ${step(port, pe, () => alloc(port, 0))}`;
      b = `${what} -> ${step(core, ce, () => alloc(core, 1))}`;
    } else if (r < 995) {
      const [pa, ca] = live.splice(rnd(live.length), 1)[0]!;
      const lazy = r >= 750;
      const what = `${lazy ? 'free_unmap_vmap_area' : 'free_vmap_area'}(${hex(pa.va_start)})`;
      const free = (x: VmapAllocator, va: vmap_area_common) => () => {
        if (lazy) x.free_unmap_vmap_area(va);
        else x.free_vmap_area(va);
        return 'ok';
      };
      a = `${what} -> ${step(port, pe, free(port, pa))}`;
      b = `${what} -> ${step(core, ce, free(core, ca))}`;
    } else {
      const purge = (x: VmapAllocator) => () => {
        x.purge_vmap_area_lazy();
        return 'ok';
      };
      run.purges++;
      a = `purge_vmap_area_lazy() -> ${step(port, pe, purge(port))}`;
      b = `purge_vmap_area_lazy() -> ${step(core, ce, purge(core))}`;
    }
    run.ops++;
    run.touches = port.touches;
    run.flushes += pe.filter((e) => e.startsWith('flush')).length;
    if (a !== b) {
      run.mismatch = `op ${i}: port ${a} / core ${b}`;
      return run;
    }
    if (a.includes('-> BUG ')) {
      run.bug = a.slice(a.indexOf('-> BUG ') + 3);
      return run;
    }
  }
  return run;
}
