// SPDX-License-Identifier: GPL-2.0-only
/*
 * The registry of vmalloc API layers (one file per era where the code
 * differed), and of the named kernels: which allocator port, which API era
 * and which TLB-flush era a kernel of that name runs by default.
 *
 * Layout: linux-2.6.35.ts is a whole port of 2.6.35's API section; the
 * later files subclass the nearest earlier era and override only the
 * functions the named commits changed, so each file reads like its patch:
 *   linux-2.6.35 <- linux-2.6.39 (eager PTE clearing) <- linux-3.18 (no vmlist, va->vm)
 *   linux-2.6.35 <- linux-2.6.35-02b709df (the fragmented-block purge reverted: 2.6.32's blocks)
 *   linux-6.1 (whole port) <- linux-6.1+fc1e0d980037 (the stale-TLB fix alone)
 *                          <- linux-6.12 (per-CPU xarrays, v6.5 series, vmap nodes)
 *                             <- linux-7.3 (vrealloc shrink/grow by nr_pages, non-blocking gfp, deferred cleanup)
 */

import type { VmapAllocator } from '../common';
import type { vmalloc_api, vmalloc_context } from './common';
import { allocator_2_6, vmalloc_api_linux_2_6_35 } from './linux-2.6.35';
import { vmalloc_api_linux_2_6_35_02b709df } from './linux-2.6.35-02b709df';
import { vmalloc_api_linux_2_6_39 } from './linux-2.6.39';
import { vmalloc_api_linux_3_18 } from './linux-3.18';
import { allocator_6, vmalloc_api_linux_6_1 } from './linux-6.1';
import { vmalloc_api_linux_6_1_fc1e0d980037 } from './linux-6.1+fc1e0d980037';
import { vmalloc_api_linux_6_12 } from './linux-6.12';
import { vmalloc_api_linux_7_3 } from './linux-7.3';

export interface ApiEraInfo {
  readonly name: string;
  readonly source: string;
  /** Allocator versions this layer can drive. */
  readonly allocators: readonly string[];
  readonly create: (k: vmalloc_context, a: VmapAllocator) => vmalloc_api;
}

const as2 = (a: VmapAllocator): allocator_2_6 => a as unknown as allocator_2_6;
const as6 = (a: VmapAllocator): allocator_6 => a as unknown as allocator_6;

export const API_ERAS = [
  { name: 'linux-2.6.35', source: 'mm/vmalloc.c of 2.6.35.6 (docs/sources.md#text-linux-2.6.35)', allocators: ['linux-2.6.35', 'mmotm-2010-vmap-cache-v1'], create: (k: vmalloc_context, a: VmapAllocator): vmalloc_api => new vmalloc_api_linux_2_6_35(k, as2(a)) },
  { name: 'linux-2.6.35-02b709df', source: '2.6.35 with 02b709df reverted (2.6.32 vmap blocks: index ids 37830178053, 35056785741)', allocators: ['linux-2.6.35', 'mmotm-2010-vmap-cache-v1'], create: (k: vmalloc_context, a: VmapAllocator): vmalloc_api => new vmalloc_api_linux_2_6_35_02b709df(k, as2(a)) },
  { name: 'linux-2.6.39', source: '2.6.35 + 64141da5 (eager PTE clearing)', allocators: ['linux-2.6.39', 'linux-2.6.35', 'mmotm-2010-vmap-cache-v1', 'linux-3.18'], create: (k: vmalloc_context, a: VmapAllocator): vmalloc_api => new vmalloc_api_linux_2_6_39(k, as2(a)) },
  { name: 'linux-3.18', source: 'mm/vmalloc.c of 3.18 (docs/sources.md#text-linux-3.18)', allocators: ['linux-3.18'], create: (k: vmalloc_context, a: VmapAllocator): vmalloc_api => new vmalloc_api_linux_3_18(k, as2(a)) },
  { name: 'linux-6.1', source: 'mm/vmalloc.c of Debian 6.1.192 (docs/sources.md#text-linux-6.1)', allocators: ['linux-6.1', 'linux-5.2'], create: (k: vmalloc_context, a: VmapAllocator): vmalloc_api => new vmalloc_api_linux_6_1(k, as6(a)) },
  { name: 'linux-6.1+fc1e0d980037', source: '6.1 + fc1e0d980037', allocators: ['linux-6.1', 'linux-5.2'], create: (k: vmalloc_context, a: VmapAllocator): vmalloc_api => new vmalloc_api_linux_6_1_fc1e0d980037(k, as6(a)) },
  { name: 'linux-6.12', source: 'mm/vmalloc.c of Debian 6.12.95 (docs/sources.md#text-linux-6.12)', allocators: ['linux-6.12'], create: (k: vmalloc_context, a: VmapAllocator): vmalloc_api => new vmalloc_api_linux_6_12(k, as6(a)) },
  { name: 'linux-7.3', source: 'mm/vmalloc.c of Debian 7.3.4 (docs/sources.md#text-linux-7.3)', allocators: ['linux-7.3'], create: (k: vmalloc_context, a: VmapAllocator): vmalloc_api => new vmalloc_api_linux_7_3(k, as6(a)) },
] as const satisfies readonly ApiEraInfo[];

export type ApiEraName = (typeof API_ERAS)[number]['name'];

export function getApiEra(name: string): ApiEraInfo {
  const e = API_ERAS.find((x) => x.name === name);
  if (!e) throw new Error(`unknown vmalloc API era "${name}" (known: ${API_ERAS.map((x) => x.name).join(', ')})`);
  return e;
}

/** A named kernel: allocator port + API era + flush era (+ NR_CPUS of the modelled build). */
export interface KernelInfo {
  readonly name: string;
  readonly allocator: string;
  readonly api: ApiEraName;
  readonly flushEra: 'linux-2.6' | 'linux-3.17' | 'linux-6.15';
  /** CONFIG_NR_CPUS of a distribution kernel of the time (Debian: 512 for 2.6/3.x, 8192 for 6.x). */
  readonly NR_CPUS: number;
  /** The allocator fires the vmalloc trace events itself (6.2+). */
  readonly nativeTrace: boolean;
  readonly description: string;
}

export const KERNELS = [
  { name: 'linux-2.6.35', allocator: 'linux-2.6.35', api: 'linux-2.6.35', flushEra: 'linux-2.6', NR_CPUS: 512, nativeTrace: false, description: 'PTEs stay until the purge; flush_tlb_all for every purge' },
  { name: 'linux-2.6.35-02b709df', allocator: 'linux-2.6.35', api: 'linux-2.6.35-02b709df', flushEra: 'linux-2.6', NR_CPUS: 512, nativeTrace: false, description: '2.6.35 with 02b709df reverted: the 2.6.32 vmap blocks, never purged while fragmented' },
  { name: 'mmotm-2010-vmap-cache-v1', allocator: 'mmotm-2010-vmap-cache-v1', api: 'linux-2.6.35', flushEra: 'linux-2.6', NR_CPUS: 512, nativeTrace: false, description: 'the mmotm vmap cache patch on 2.6.35' },
  { name: 'linux-2.6.39', allocator: 'linux-2.6.39', api: 'linux-2.6.39', flushEra: 'linux-2.6', NR_CPUS: 512, nativeTrace: false, description: 'PTEs cleared at free, flush lazy; flush_tlb_all' },
  { name: 'linux-3.18', allocator: 'linux-3.18', api: 'linux-3.18', flushEra: 'linux-3.17', NR_CPUS: 512, nativeTrace: false, description: 'ranged flushes up to 33 pages' },
  { name: 'linux-5.2', allocator: 'linux-5.2', api: 'linux-6.1', flushEra: 'linux-3.17', NR_CPUS: 8192, nativeTrace: false, description: 'augmented free tree; the 6.1 API layer with 5.2 flag bits' },
  { name: 'linux-6.1', allocator: 'linux-6.1', api: 'linux-6.1', flushEra: 'linux-3.17', NR_CPUS: 8192, nativeTrace: false, description: 'Debian 6.1.192: no fc1e0d980037' },
  { name: 'linux-6.1+fc1e0d980037', allocator: 'linux-6.1', api: 'linux-6.1+fc1e0d980037', flushEra: 'linux-3.17', NR_CPUS: 8192, nativeTrace: false, description: '6.1 with the v6.5 stale-TLB fix for fully used vmap blocks' },
  { name: 'linux-6.12', allocator: 'linux-6.12', api: 'linux-6.12', flushEra: 'linux-3.17', NR_CPUS: 8192, nativeTrace: true, description: 'Debian 6.12.95' },
  { name: 'linux-7.3', allocator: 'linux-7.3', api: 'linux-7.3', flushEra: 'linux-6.15', NR_CPUS: 8192, nativeTrace: true, description: 'Debian 7.3.4: INVLPGB kernel flushes where the CPU has it, IPIs where not' },
] as const satisfies readonly KernelInfo[];

export type KernelName = (typeof KERNELS)[number]['name'];

export function getKernel(name: string): KernelInfo {
  const e = KERNELS.find((x) => x.name === name);
  if (!e) throw new Error(`unknown kernel "${name}" (known: ${KERNELS.map((x) => x.name).join(', ')})`);
  return e;
}
