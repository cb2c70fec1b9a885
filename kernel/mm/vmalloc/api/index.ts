// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vmalloc API layers (one file per era where the code differed), and
 * the named kernels: which allocator port, which API era and which
 * TLB-flush era a kernel of that name runs by default. Both are views of
 * the manifests (kernel/manifest/): a manifest with `apiLayer` defines the
 * layer named after it, one with `machine` boots on the emulated machine.
 *
 * Layout: linux-2.6.35.ts is a whole port of 2.6.35's API section; the
 * later files subclass the nearest earlier era and override only the
 * functions the named commits changed, so each file reads like its patch:
 *   linux-2.6.35 <- linux-2.6.39 (eager PTE clearing) <- linux-3.18 (no vmlist, va->vm)
 *   linux-2.6.35 <- linux-2.6.35-02b709df (the fragmented-block purge reverted: 2.6.32's blocks)
 *   linux-6.1 (whole port) <- linux-6.1+fc1e0d980037 (the stale-TLB fix alone)
 *                          <- linux-6.12 (per-CPU xarrays, v6.5 series, vmap nodes)
 */

import type { VmapAllocator } from '../common';
import type { vmalloc_api, vmalloc_context } from './common';
import { findManifest, KernelManifest, manifests } from '../../../manifest/index';

export interface ApiEraInfo {
  readonly name: string;
  readonly source: string;
  /** Allocator versions this layer can drive. */
  readonly allocators: readonly string[];
  readonly create: (k: vmalloc_context, a: VmapAllocator) => vmalloc_api;
}

function apiEras(): ApiEraInfo[] {
  return manifests()
    .filter((m) => m.apiLayer)
    .map((m) => ({ name: m.name, ...(m.apiLayer as NonNullable<KernelManifest['apiLayer']>) }));
}

<<<<<<< HEAD
export const API_ERAS = [
  { name: 'linux-2.6.35', source: 'mm/vmalloc.c of 2.6.35.6 (docs/sources.md#text-linux-2.6.35)', allocators: ['linux-2.6.35', 'mmotm-2010-vmap-cache-v1'], create: (k: vmalloc_context, a: VmapAllocator): vmalloc_api => new vmalloc_api_linux_2_6_35(k, as2(a)) },
  { name: 'linux-2.6.35-02b709df', source: '2.6.35 with 02b709df reverted (2.6.32 vmap blocks: index ids 37830178053, 35056785741)', allocators: ['linux-2.6.35', 'mmotm-2010-vmap-cache-v1'], create: (k: vmalloc_context, a: VmapAllocator): vmalloc_api => new vmalloc_api_linux_2_6_35_02b709df(k, as2(a)) },
  { name: 'linux-2.6.39', source: '2.6.35 + 64141da5 (eager PTE clearing)', allocators: ['linux-2.6.39', 'linux-2.6.35', 'mmotm-2010-vmap-cache-v1', 'linux-3.18'], create: (k: vmalloc_context, a: VmapAllocator): vmalloc_api => new vmalloc_api_linux_2_6_39(k, as2(a)) },
  { name: 'linux-3.18', source: 'mm/vmalloc.c of 3.18 (docs/sources.md#text-linux-3.18)', allocators: ['linux-3.18'], create: (k: vmalloc_context, a: VmapAllocator): vmalloc_api => new vmalloc_api_linux_3_18(k, as2(a)) },
  { name: 'linux-6.1', source: 'mm/vmalloc.c of Debian 6.1.192 (docs/sources.md#text-linux-6.1)', allocators: ['linux-6.1', 'linux-5.2'], create: (k: vmalloc_context, a: VmapAllocator): vmalloc_api => new vmalloc_api_linux_6_1(k, as6(a)) },
  { name: 'linux-6.1+fc1e0d980037', source: '6.1 + fc1e0d980037', allocators: ['linux-6.1', 'linux-5.2'], create: (k: vmalloc_context, a: VmapAllocator): vmalloc_api => new vmalloc_api_linux_6_1_fc1e0d980037(k, as6(a)) },
  { name: 'linux-6.12', source: 'mm/vmalloc.c of Debian 6.12.95 (docs/sources.md#text-linux-6.12)', allocators: ['linux-6.12'], create: (k: vmalloc_context, a: VmapAllocator): vmalloc_api => new vmalloc_api_linux_6_12(k, as6(a)) },
] as const satisfies readonly ApiEraInfo[];
=======
export const API_ERAS: readonly ApiEraInfo[] = apiEras();
>>>>>>> manifest

export type ApiEraName = string;

export function getApiEra(name: string): ApiEraInfo {
  const e = apiEras().find((x) => x.name === name);
  if (!e) throw new Error(`unknown vmalloc API era "${name}" (known: ${apiEras().map((x) => x.name).join(', ')})`);
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

function kernelInfo(m: KernelManifest): KernelInfo | null {
  if (!m.machine) return null;
  return {
    name: m.name,
    allocator: m.allocatorOf,
    api: m.machine.api,
    flushEra: m.machine.flushEra,
    NR_CPUS: m.machine.NR_CPUS,
    nativeTrace: m.allocator.caps.tracepoints,
    description: m.machine.description,
  };
}

function kernels(): KernelInfo[] {
  return manifests()
    .map(kernelInfo)
    .filter((k): k is KernelInfo => k !== null);
}

/** The built-in kernels of the machine. */
export const KERNELS: readonly KernelInfo[] = kernels();

export type KernelName = string;

export function getKernel(name: string): KernelInfo {
  const m = findManifest(name);
  const k = m && kernelInfo(m);
  if (!k) throw new Error(`unknown kernel "${name}" (known: ${kernels().map((x) => x.name).join(', ')})`);
  return k;
}
