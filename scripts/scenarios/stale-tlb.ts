// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stale-TLB scenarios on a booted kernel, as library functions for tests and
 * for the stale-tlb-* scenarios of `vmapsim run`. Each returns what the TLB-coherence checker
 * reported (kind, formatted report) and what the kernel did, so a caller
 * can assert on it or print it. Kernel-independent: they only use the
 * Kernel API (bootKernel) and the machine.
 *
 * - readAfterVfree: CPU 1 reads a vmalloc'd buffer, CPU 0 vfrees it and keeps
 *   allocating until the lazily freed range has been purged and reused.
 *   Well-behaved, CPU 1 then reads only the new buffer (nothing to report);
 *   misbehaving, CPU 1 reads the old address right after the vfree
 *   (use-after-unmap, except on 2.6.35 whose PTEs stay until the purge).
 * - vmapBlockAliases: the v6.5 bug fixed by fc1e0d980037: a page of a fully
 *   used vmap block is unmapped and vm_unmap_aliases() is called; before the
 *   fix another CPU keeps a stale translation of it.
 * - reuseAfterFlush: vfree, vm_unmap_aliases, vmalloc of the same size (same
 *   range), read on the other CPU: clean on a faithful kernel; a shadowed
 *   mapping with a fault injection (freed before the flush, CR3-only flush,
 *   a CPU skipped by the shootdown).
 */

import { type CoherenceReport, PageFault, formatCoherenceReport } from '../../hw/index.js';
import { bootKernel, type BootOptions, type FaultInjection, Kernel } from '../../kernel/boot.js';
import { isPresent } from '../../hw/index.js';
import type { ulong } from '../../kernel/include/u64.js';

/** What a scenario observed. */
export interface ScenarioResult {
  readonly kernel: Kernel;
  readonly reports: readonly CoherenceReport[];
  /** formatCoherenceReport of each. */
  readonly text: string[];
  /** A page fault the reading CPU took (the correct outcome of a read after a flushed unmap). */
  readonly fault: PageFault | null;
  /** The value the last probe read returned (null if it faulted). */
  readonly value: number | null;
  /** Free-form facts for the report (e.g. whether the PTE was still present). */
  readonly notes: string[];
}

const PAGE = 4096;

/** What every scenario here takes besides its own options. */
export interface CommonOptions {
  readonly cpus?: number;
  /** The machine's config (seed, checker, TLB geometry, ...). */
  readonly machine?: BootOptions['machine'];
  readonly flushEra?: BootOptions['flushEra'];
  /** Called with the kernel right after boot, before the scenario's first call (e.g. to count calls). */
  readonly onBoot?: (k: Kernel) => void;
}

function boot(version: string, o: CommonOptions, faults?: FaultInjection): Kernel {
  const k = bootKernel({ version, cpus: o.cpus ?? 2, faults, flushEra: o.flushEra, machine: o.machine });
  o.onBoot?.(k);
  return k;
}

function probe(k: Kernel, cpu: number, addr: ulong): { value: number | null; fault: PageFault | null } {
  try {
    return { value: k.read64(cpu, addr), fault: null };
  } catch (e) {
    if (e instanceof PageFault) return { value: null, fault: e };
    throw e;
  }
}

function result(k: Kernel, p: { value: number | null; fault: PageFault | null }, notes: string[]): ScenarioResult {
  const reports = k.machine.checker.reports;
  return { kernel: k, reports, text: reports.map(formatCoherenceReport), fault: p.fault, value: p.value, notes };
}

/** Options of readAfterVfree. */
export interface ReadAfterVfreeOptions extends CommonOptions {
  /** CPU 1 reads the freed buffer right after the vfree (the bug). Default false. */
  readonly misbehave?: boolean;
  /** Pages of the buffer (default 4). */
  readonly pages?: number;
}

export function readAfterVfree(version: string, o: ReadAfterVfreeOptions = {}): ScenarioResult {
  const k = boot(version, o);
  const n = o.pages ?? 4;
  const a = k.vmalloc(0, n * PAGE, 'scenario_buffer');
  for (let i = 0; i < n; i++) k.write64(0, a + i * PAGE, 0xa000 + i);
  for (let i = 0; i < n; i++) k.read64(1, a + i * PAGE); // CPU 1's TLB now maps the buffer
  k.vfree(0, a);
  const notes: string[] = [];
  if (o.misbehave) {
    const p = probe(k, 1, a);
    if (p.value !== null && k.machine.checker.reports.length === 0 && isPresent(k.pte(a))) {
      notes.push('the PTE is still present after vfree (PTEs are cleared only by the purge in this era): the read is a use-after-free the TLB checker cannot see');
    }
    return result(k, p, notes);
  }
  // Well-behaved: CPU 0 keeps allocating until the range was purged and handed out again.
  let b = 0;
  for (let i = 0; i < 100000 && b !== a; i++) {
    b = k.vmalloc(0, n * PAGE, 'scenario_buffer');
    k.write64(0, b, 0xb000 + i);
    if (b !== a) k.vfree(0, b);
  }
  k.flush_work();
  notes.push(b === a ? `range reused after ${k.purges.length} purge(s)` : 'range not reused');
  const p = probe(k, 1, b);
  return result(k, p, notes);
}

/** Options of vmapBlockAliases. */
export type VmapBlockOptions = CommonOptions;

/**
 * fc1e0d980037's scenario: CPU 0 vm_map_ram()s single pages until its vmap
 * block is fully used (taken off the free list), CPU 1 reads one of them,
 * CPU 0 vm_unmap_ram()s it (not every page of the block, so the block is not
 * purged either), the page goes back and is reused by another owner, CPU 0
 * calls vm_unmap_aliases(), and CPU 1 reads the address again.
 */
export function vmapBlockAliases(version: string, o: VmapBlockOptions = {}): ScenarioResult {
  const k = boot(version, o);
  const bits = k.api.VMAP_BBMAP_BITS;
  const addrs: ulong[] = [];
  const pages = k.alloc_pages(bits);
  for (let i = 0; i < bits; i++) addrs.push(k.vm_map_ram(0, [pages[i]!]));
  const victim = addrs[1]!;
  k.write64(0, victim, 0x1111);
  k.read64(1, victim); // CPU 1 caches the translation
  k.vm_unmap_ram(0, victim, 1);
  k.pages.__free_page(pages[1]!);
  const reuse = k.pages.alloc_page()!; // the page's next owner
  k.machine.runOn(0, () => k.machine.mem.write64(reuse.pfn * PAGE, 0x2222));
  k.vm_unmap_aliases(0); // promises: no alias of any page we own is left
  const notes = [`block of ${bits} pages; blocks live: ${k.api.nr_vmap_blocks()}`];
  if (isPresent(k.pte(victim))) notes.push('the unmapped page is still mapped in the page tables after vm_unmap_aliases()');
  const p = probe(k, 1, victim);
  if (p.value === 0x2222) notes.push("CPU 1 read the page's new owner's data through the stale entry");
  return result(k, p, notes);
}

/** Options of reuseAfterFlush. */
export interface ReuseOptions extends CommonOptions {
  readonly faults?: FaultInjection;
}

/**
 * CPU 0 vmallocs A (the lowest range) and fills it, CPU 1 reads it, CPU 0
 * vfrees A, another owner takes the freed pages, CPU 0 calls
 * vm_unmap_aliases() (the purge and its flush), vmallocs B of the same size
 * (A's range) and fills it; CPU 1 reads B.
 */
export function reuseAfterFlush(version: string, o: ReuseOptions = {}): ScenarioResult {
  const k = boot(version, o, o.faults);
  const n = 4;
  const a = k.vmalloc(0, n * PAGE, 'scenario_a');
  for (let i = 0; i < n; i++) k.write64(0, a + i * PAGE, 0xa000 + i);
  for (let i = 0; i < n; i++) k.read64(1, a + i * PAGE);
  k.vfree(0, a);
  const held = k.alloc_pages(2 * n); // the freed frames go to someone else
  k.vm_unmap_aliases(0);
  const b = k.vmalloc(0, n * PAGE, 'scenario_b');
  for (let i = 0; i < n; i++) k.write64(0, b + i * PAGE, 0xb000 + i);
  const notes = [b === a ? 'B got A\'s range' : 'B got another range', `held ${held.length} pages`];
  let p = { value: null as number | null, fault: null as PageFault | null };
  for (let i = 0; i < n; i++) p = probe(k, 1, b + i * PAGE);
  return result(k, p, notes);
}
