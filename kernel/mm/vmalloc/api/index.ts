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

import type { VmapAllocator } from '../common.js';
import type { vmalloc_api, vmalloc_context } from './common.js';
import { findManifest, type KernelManifest, manifests } from '../../../manifest/index.js';

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

export const API_ERAS: readonly ApiEraInfo[] = apiEras();

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
  /** The fair class and preemption model of the build (kernel/kernel/sched/core.ts fair_class). */
  readonly sched: 'cfs' | 'eevdf' | 'eevdf-lazy';
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
    sched: m.machine.sched ?? 'cfs',
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
