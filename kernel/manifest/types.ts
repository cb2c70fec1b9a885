// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shape of a kernel manifest: everything vmapsim knows about one named
 * kernel (an allocator port, a kernel of the emulated machine, a check
 * variant, or a user's own variant loaded from a file), declared in one
 * file per kernel under kernel/manifest/ and collected by index.ts.
 *
 * Code that behaves differently per kernel reads a capability here; it
 * never tests a kernel's name or an allocator object's fields.
 */

import type { VmallocEnv, VmapAllocator } from '../mm/vmalloc/common.js';
import type { vmalloc_api, vmalloc_context } from '../mm/vmalloc/api/common.js';

/** The placement rule of `vmapsim check --against first-fit` (scripts/check/first-fit.ts). */
export interface FirstFitRule {
  /** Free bytes kept after every area (a >= e + gapAfter). */
  readonly gapAfter: number;
  /** A new area must end strictly before the next one starts (a + size < s). */
  readonly strictBefore: boolean;
  /** Only [1, ULONG_MAX) is ever allocatable (the free tree's initial block). */
  readonly freeTreeSpace: boolean;
}

/** The free-area cache of the 2010/2011 patches, as the branch describer reads it. */
export interface CacheCaps {
  /**
   * draft:  Nick's first patch / Minchan's rework (cached_start = ALIGN(vstart, align), no align test)
   * mmotm:  the -mm patch (cached_start, cached_align)
   * merged: 89699605fe7c and later (cached_vstart, cached_align)
   */
  readonly family: 'draft' | 'mmotm' | 'merged';
  /** The field holding the start of the cached search. */
  readonly startField: 'cached_start' | 'cached_vstart';
  /** The hole test that drops the cache: size < cached_hole_size, or <=. */
  readonly holeTest: '<' | '<=';
  /** Bytes the walk keeps after the cached area (ALIGN(va_end + gap, align)). */
  readonly gap: number;
  /** `vmapsim check --against no-cache` may switch it off from outside. */
  readonly switchable: boolean;
  /** Switched off (the no-cache contender). */
  readonly off?: boolean;
}

/** Where the allocator keeps its areas; what the invariant checker walks. */
export interface AllocatorCaps {
  /** global: vmap_area_root + vmap_area_list; vmap-nodes: per-node busy/lazy trees (6.9+). */
  readonly busy: 'global' | 'vmap-nodes';
  /**
   * Where lazily freed areas wait: flag (VM_LAZY_FREE in the busy tree, 2.6/3.x),
   * llist (vmap_purge_list, 5.2), purge-tree (purge_vmap_area_root, 6.1),
   * vmap-nodes (per-node lazy trees, 6.9+).
   */
  readonly lazy: 'flag' | 'llist' | 'purge-tree' | 'vmap-nodes';
  /** The free-area cache, or null. */
  readonly cache: CacheCaps | null;
  /**
   * The search: rb_next-walk (descent then walk, 2.6/3.x), free-tree-5.2
   * (lowest match for size + align - 1), free-tree (6.1+: size, or size +
   * align - 1 for large alignments), lowest-fit-scan (the first-fit model).
   */
  readonly search: 'rb_next-walk' | 'free-tree-5.2' | 'free-tree' | 'lowest-fit-scan';
  /** The free tree's find_vmap_lowest_match takes the root first (6.1+), or not (5.2). */
  readonly lowestMatchTakesRoot: boolean;
  /** The first-fit rule of this allocator, or null if none is written. */
  readonly firstFit: FirstFitRule | null;
  /** The allocator fires the vmalloc trace events itself (6.2+). */
  readonly tracepoints: boolean;
  /** The vm_struct layer marks areas with 5.2's VM_VM_AREA / VM_LAZY_FREE bits in va->flags. */
  readonly vaFlags52: boolean;
  /** Queued purge work can wait for its environment (work_mode 'deferred', run_pending_work(): 6.12). */
  readonly deferredWork: boolean;
}

/**
 * Upstream changes that scenarios ask a kernel about; a manifest lists the
 * ones its code carries:
 *   248ac0e1943a          no guard page between vmap blocks / areas (3.x)
 *   vm_map_ram-exhaustion Roman Pen's "mm/vmalloc: fix possible exhaustion of vmalloc space caused by vm_map_ram allocator" (~v4.1)
 *   80c4bd7a5e43          the purge visits only the lazily freed areas (v4.7)
 *   fc1e0d980037          _vm_unmap_aliases() walks every vmap block (v6.5)
 */
export type UpstreamChange = '248ac0e1943a' | 'vm_map_ram-exhaustion' | '80c4bd7a5e43' | 'fc1e0d980037';

/** Figures of the kernel's own code on a bench stream. */
export interface NativeFigure {
  readonly nsPerOp: number;
  readonly touchesPerAlloc: number;
}

/** The allocator side of a manifest. */
export interface AllocatorPart {
  /** Build the allocator in an environment. */
  readonly create: (env: VmallocEnv) => VmapAllocator;
  readonly caps: AllocatorCaps;
  /** BUG_ON/WARN_ON sites: "function:condition" -> that version's upstream line. */
  readonly lines?: Readonly<Record<string, number>>;
  /**
   * The allocator's wasm core (kernel/mm/vmalloc/as/, docs/wasm.md), if it
   * has one: selected as the kernel `<name>@wasm` (WASM_SUFFIX). `boots`:
   * the core exports what the version's API layer calls (op_free_noflush,
   * op_purge_range, va->flags and va->vm), so `<name>@wasm` boots on the
   * machine with that API layer (`vmapsim run`).
   */
  readonly wasm?: {
    readonly create: (env: VmallocEnv, id: { readonly name: string; readonly lines: Readonly<Record<string, number>> }) => VmapAllocator;
    readonly boots?: boolean;
  };
}

/** An API layer (the vm_struct, vmap-block and vfree code of an era) this manifest defines. */
export interface ApiLayerPart {
  readonly source: string;
  /** Allocator kernels this layer can drive. */
  readonly allocators: readonly string[];
  readonly create: (k: vmalloc_context, a: VmapAllocator) => vmalloc_api;
}

/** How the kernel boots on the emulated machine (`vmapsim run`). */
export interface MachinePart {
  /** The API layer (a manifest name that has `apiLayer`). */
  readonly api: string;
  /** The TLB-flush era (kernel/arch/x86/mm/tlb.ts FLUSH_ERAS). */
  readonly flushEra: 'linux-2.6' | 'linux-3.17' | 'linux-6.15';
  /** CONFIG_NR_CPUS of a distribution kernel of the time. */
  readonly NR_CPUS: number;
  /**
   * The fair class of kernel/sched/fair.c and the build's preemption model
   * (kernel/kernel/sched/core.ts fair_class); 'cfs' when absent (before 6.6).
   */
  readonly sched?: 'cfs' | 'eevdf' | 'eevdf-lazy';
  /** One line for `vmapsim list`. */
  readonly description: string;
}

export interface KernelManifest {
  readonly name: string;
  /**
   * version: an allocator port with golden traces (`vmapsim replay`);
   * kernel: a composite kernel of the machine (a port + another API layer);
   * variant: a port with one deliberate change (`vmapsim check`), built in or loaded from a file.
   */
  readonly kind: 'version' | 'kernel' | 'variant';
  readonly description: string;
  /** First release that carried this code (or "not released"). */
  readonly release: string;
  /** [major, minor] of that release series (what a scenario compares). */
  readonly series: readonly [number, number];
  /** Upstream commit of the design ported here. */
  readonly commit: string;
  /** Where the ported text was read. */
  readonly source: string;
  /** Path of the ported file upstream. */
  readonly upstreamPath: string;
  /** The upstream changes (of those scenarios ask about) this kernel's code carries. */
  readonly carries: readonly UpstreamChange[];
  /** The manifest whose allocator port this kernel runs (its own name for a version). */
  readonly allocatorOf: string;
  /** For a variant: the manifest it was derived from. */
  readonly base?: string;
  /** The file the port lives in (for a loaded variant, the user's file). */
  readonly file?: string;
  readonly allocator: AllocatorPart;
  /** Set if this kernel boots on the machine. */
  readonly machine?: MachinePart;
  /** Set if this manifest defines an API layer named after it. */
  readonly apiLayer?: ApiLayerPart;
  /** The C side of `vmapsim bench`: source under scripts/bench/native/, and the issues' figures (none for a version the issues did not measure). */
  readonly native?: {
    readonly source?: string;
    readonly figures?: Readonly<Record<'random-mixed' | 'lazy-churn', NativeFigure>>;
  };
}
