// SPDX-License-Identifier: GPL-2.0-only
/*
 * What `--kernel` and `--against` can name: a kernel of the manifest
 * registry (kernel/manifest/: a version, a composite kernel, a check
 * variant, or a user's file loaded with `--kernel ./mine.ts`), the
 * first-fit model of the --kernel kernel's rule, or that kernel with its
 * free-area cache switched off. What each accepts comes from the
 * manifests' capabilities, never from names.
 */

import { defaultEnv, type VmallocEnv, type VmallocHooks, type VmapAllocator } from '../../kernel/mm/vmalloc/common.js';
import { attachCaps, createAllocatorOf, findManifest, type KernelManifest, manifests, wasmCoreNames, WASM_SUFFIX } from '../../kernel/manifest/index.js';
import { FIRST_FIT_CAPS, FirstFitModel } from './first-fit.js';
import type { Contender } from './side.js';
import { UsageError } from '../lib/input-error.js';

/**
 * The same allocator with its free-area cache switched off: free_vmap_cache
 * is reset to NULL before every allocation, so every search takes the
 * `nocache` path (a descent from vstart). Nothing in the port changes.
 */
function withoutCache(a: VmapAllocator): VmapAllocator {
  const f = a as VmapAllocator & { free_vmap_cache: unknown };
  const alloc = f.alloc_vmap_area;
  f.alloc_vmap_area = function (this: typeof f, ...args: Parameters<VmapAllocator['alloc_vmap_area']>) {
    this.free_vmap_cache = null;
    return alloc.apply(this, args);
  };
  return a;
}

/** The kernels with a free-area cache that --against no-cache can switch off. */
export function cacheKernelNames(): string[] {
  return manifests()
    .filter((m) => m.allocator.caps.cache?.switchable)
    .map((m) => m.name);
}

/** Check-layer variants: built-in ports with one deliberate change (kernel/manifest/, kind "variant"). */
export const CHECK_VARIANTS: Record<string, { base: string; what: string }> = Object.fromEntries(
  manifests()
    .filter((m) => m.kind === 'variant')
    .map((m) => [m.name, { base: m.base as string, what: m.description }]),
);

export const SPECIAL_AGAINST = ['first-fit', 'no-cache'] as const;

function env(ncpu: number, hooks: VmallocHooks): VmallocEnv {
  return defaultEnv({ ncpu, hooks });
}

/** Every name --kernel accepts: every manifest (each has an allocator), and the wasm cores (`<version>@wasm`). */
export function kernelNames(): string[] {
  return [...manifests().map((m) => m.name), ...wasmCoreNames()];
}

/** Every name --against accepts. */
export function againstNames(): string[] {
  return [...kernelNames(), ...SPECIAL_AGAINST];
}

function contenderOf(m: KernelManifest): Contender {
  return {
    variant: m.name,
    source: m.kind === 'variant' ? m.description : `${m.source} (vmapsim port)`,
    replayable: m.kind === 'version',
    create: (n, h) => createAllocatorOf(m, env(n, h)),
  };
}

/** A kernel by name, or null. */
export function kernelContender(name: string): Contender | null {
  const m = findManifest(name);
  return m ? contenderOf(m) : null;
}

/**
 * The contender --against names, relative to the --kernel one. Throws a
 * one-line Error naming the parameter and accepted values when it does not
 * apply.
 */
export function againstContender(against: string, kernel: string): Contender {
  const km = findManifest(kernel);
  if (against === 'first-fit') {
    // A variant keeps its base version's placement rule (its manifest inherits it).
    const rule = km?.allocator.caps.firstFit;
    if (!rule) {
      const accepted = manifests().filter((m) => m.allocator.caps.firstFit).map((m) => m.name);
      throw new UsageError(`--against first-fit: no first-fit rule for "${kernel}" (accepted --kernel: ${accepted.join(', ')})`);
    }
    return {
      variant: `first-fit(${kernel})`,
      source: `scripts/check/first-fit.ts: the lowest address that fits under ${kernel}'s gap rules`,
      replayable: false,
      create: (n, h) => attachCaps(new FirstFitModel({ version: kernel, ...rule }, env(n, h)), FIRST_FIT_CAPS),
    };
  }
  if (against === 'no-cache') {
    const cache = km?.allocator.caps.cache;
    // withoutCache() resets a TypeScript port's field; a wasm core's cache lives in linear memory, out of its reach.
    if (km && kernel.endsWith(WASM_SUFFIX)) throw new UsageError(`--against no-cache: "${kernel}" is a wasm core, whose cache cannot be switched off from outside (use --kernel ${kernel.slice(0, -WASM_SUFFIX.length)})`);
    if (!km || !cache?.switchable) throw new UsageError(`--against no-cache: "${kernel}" has no free-area cache (accepted --kernel: ${cacheKernelNames().join(', ')})`);
    const caps = { ...km.allocator.caps, cache: { ...cache, off: true } };
    return {
      variant: `${kernel}+no-cache`,
      source: `${kernel} with free_vmap_cache reset to NULL before every alloc_vmap_area (scripts/check/contenders.ts)`,
      replayable: false,
      create: (n, h) => attachCaps(withoutCache(km.allocator.create(env(n, h))), caps),
    };
  }
  const c = kernelContender(against);
  if (!c) throw new UsageError(`--against: unknown "${against}" (accepted: ${againstNames().join(', ')})`);
  return c;
}
