// SPDX-License-Identifier: GPL-2.0-only
/*
 * Drive one allocator version without the machine (the golden-trace
 * environment): allocations, immediate and lazy frees and purges, with the
 * touch count of every allocation, the purges, and a kernel BUG turned into a
 * report that ends the run. Machine scenarios use the kernel on the machine
 * instead; this is for scenarios about placement alone.
 */

import { isKernelBug, KernelBug } from '../../kernel/include/asm-generic/bug.js';
import { errname, IS_ERR } from '../../kernel/include/linux/errno.js';
import { hex, type ulong } from '../../kernel/include/u64.js';
import { defaultEnv, nullHooks, type VmallocHooks, type VmapAllocator, type vmap_area_common } from '../../kernel/mm/vmalloc/common.js';
import { findManifest } from '../../kernel/manifest/index.js';
import { getVersion } from '../../kernel/mm/vmalloc/index.js';
import { formatSnapshot } from '../replay/golden.js';
import type { BugReport, RunFigures, RunResult } from './scenario.js';
import { sample, summarize } from './stats.js';

/** Raised to stop a scenario when the kernel hit a BUG (the run is over). */
export class RunEnded extends Error {}

export class AllocSession {
  readonly a: VmapAllocator;
  readonly touches: number[] = [];
  ops = 0;
  allocs = 0;
  failed = 0;
  purges = 0;
  bug: BugReport | undefined;
  readonly log: string[] = [];

  /** `extra` adds hooks (fault injection, lock instrumentation); its `purged`, if any, runs after the session's count. */
  constructor(readonly version: string, ncpu = 1, vmalloc?: { start: ulong; end: ulong }, extra: Partial<VmallocHooks> = {}) {
    const hooks: VmallocHooks = { ...nullHooks(), ...extra };
    hooks.purged = (nr, start, end) => {
      this.purges++;
      extra.purged?.(nr, start, end);
    };
    // A named kernel of the machine (e.g. linux-6.1+fc1e0d980037) runs its allocator.
    const allocator = findManifest(version)?.allocatorOf ?? version;
    this.a = getVersion(allocator).create(
      defaultEnv({ ncpu, hooks, ...(vmalloc ? { VMALLOC_START: vmalloc.start, VMALLOC_END: vmalloc.end } : {}) }),
    );
  }

  private guard<T>(what: string, fn: () => T): T {
    if (this.bug) throw new RunEnded();
    this.ops++;
    try {
      return fn();
    } catch (e) {
      if (!isKernelBug(e)) throw e;
      this.recordBug(e, what);
      throw new RunEnded();
    }
  }

  private recordBug(e: KernelBug, what: string): void {
    this.bug = {
      version: e.version,
      func: e.func,
      line: e.line,
      cond: e.cond,
      op: this.ops,
      oops: `${e.oops(this.a.golden_state())}\nwhile: ${what}\n${formatSnapshot(this.a.snapshot())}`,
    };
  }

  /** alloc_vmap_area; returns the area, or the error name ("EBUSY"). */
  alloc(size: ulong, align: ulong, vstart: ulong, vend: ulong): vmap_area_common | string {
    const what = `alloc_vmap_area(${hex(size)}, ${hex(align)}, ${hex(vstart)}, ${hex(vend)})`;
    return this.guard(what, () => {
      const t0 = this.a.touches;
      this.allocs++;
      let va;
      try {
        va = this.a.alloc_vmap_area(size, align, vstart, vend);
      } finally {
        this.touches.push(this.a.touches - t0);
      }
      if (IS_ERR(va)) {
        this.failed++;
        this.log.push(`${what} -> ${errname(va)}`);
        return errname(va);
      }
      this.log.push(`${what} -> ${hex(va.va_start)}`);
      return va;
    });
  }

  /**
   * pcpu_get_vm_areas: the areas, or "NULL" when it fails; throws for a
   * version without a port of it.
   */
  pcpu(offsets: readonly ulong[], sizes: readonly ulong[], align: ulong): vmap_area_common[] | 'NULL' {
    const fn = this.a.pcpu_get_vm_areas;
    if (!fn) throw new Error(`${this.a.version} has no pcpu_get_vm_areas`);
    const what = `pcpu_get_vm_areas([${offsets.map(hex).join(', ')}], [${sizes.map(hex).join(', ')}], ${offsets.length}, ${hex(align)})`;
    return this.guard(what, () => {
      const vas = fn.call(this.a, offsets, sizes, offsets.length, align);
      this.log.push(`${what} -> ${vas ? vas.map((v) => hex(v.va_start)).join(', ') : 'NULL'}`);
      return vas ?? 'NULL';
    });
  }

  free(va: vmap_area_common): void {
    this.guard(`free_vmap_area(${hex(va.va_start)})`, () => this.a.free_vmap_area(va));
  }

  lazyFree(va: vmap_area_common): void {
    this.guard(`free_unmap_vmap_area(${hex(va.va_start)})`, () => this.a.free_unmap_vmap_area(va));
  }

  purge(): void {
    this.guard('purge_vmap_area_lazy()', () => this.a.purge_vmap_area_lazy());
  }

  /** Run a body; a BUG inside ends it quietly (the report is in `bug`). */
  run(body: () => void): void {
    try {
      body();
    } catch (e) {
      if (!(e instanceof RunEnded)) throw e;
    }
  }

  figures(): RunFigures {
    return {
      operations: this.ops,
      allocations: this.allocs,
      failedAllocations: this.failed,
      touchesPerAlloc: summarize(this.touches),
      purges: this.purges,
      ipisSent: null,
      ipisReceived: null,
      invlpg: null,
      fullFlushes: null,
      tlbMisses: null,
      walks: null,
      cycles: null,
      cyclesPerOp: null,
      bugs: this.bug ? 1 : 0,
      checkerReports: null,
    };
  }

  result(notes: string[] = []): RunResult {
    return { figures: this.figures(), touchSeries: sample(this.touches), bug: this.bug, notes };
  }
}
