// SPDX-License-Identifier: GPL-2.0-only
/*
 * What `--kernel` and `--against` can name: a registry version, the
 * first-fit model of the --kernel version's rule, that version with its
 * free-area cache switched off, or a check-layer variant.
 */

import { linux_2_6_35_minchan } from './variants/linux-2.6.35-minchan';
import { linux_2_6_35_nick_v1 } from './variants/linux-2.6.35-nick-v1';
import { defaultEnv, VmallocEnv, VmallocHooks, VmapAllocator } from '../../kernel/mm/vmalloc/common';
import { findVersion, versionNames } from '../../kernel/mm/vmalloc/index';
import { linux_2_6_39 } from '../../kernel/mm/vmalloc/linux-2.6.39';
import { linux_3_18 } from '../../kernel/mm/vmalloc/linux-3.18';
import { mmotm_2010_vmap_cache_v1 } from '../../kernel/mm/vmalloc/mmotm-2010-vmap-cache-v1';
import { FIRST_FIT_RULES, FirstFitModel } from './first-fit';
import { Contender } from './side';
import { linux_2_6_39_nick_le } from './variants/linux-2.6.39-nick-le';
import { linux_3_18_liu_purged } from './variants/linux-3.18-liu-purged';

type CacheCtor = new (env: VmallocEnv) => VmapAllocator & { free_vmap_cache: unknown };

/**
 * The same version with its free-area cache switched off: free_vmap_cache
 * is reset to NULL before every allocation, so every search takes the
 * `nocache` path (a descent from vstart). Nothing in the port changes.
 */
function withoutCache(Base: CacheCtor): new (env: VmallocEnv) => VmapAllocator {
  return class NoCache extends (Base as new (env: VmallocEnv) => VmapAllocator & { free_vmap_cache: unknown }) {
    /** Marks the wrapper for reports (the branch describer). */
    readonly check_no_cache = true;
    alloc_vmap_area(...args: Parameters<VmapAllocator['alloc_vmap_area']>): ReturnType<VmapAllocator['alloc_vmap_area']> {
      this.free_vmap_cache = null;
      return super.alloc_vmap_area(...args);
    }
  };
}

/** The versions with a free-area cache, by registry name. */
export const CACHE_VERSIONS: Record<string, CacheCtor> = {
  'mmotm-2010-vmap-cache-v1': mmotm_2010_vmap_cache_v1,
  'linux-2.6.39': linux_2_6_39,
  'linux-3.18': linux_3_18,
};

/** Check-layer variants: copies of a port with one deliberate change. */
export const CHECK_VARIANTS: Record<string, { ctor: new (env: VmallocEnv) => VmapAllocator; base: string; what: string }> = {
  'linux-2.6.35-nick-v1': {
    ctor: linux_2_6_35_nick_v1,
    base: 'linux-2.6.35',
    what: "linux-2.6.35 with Nick Piggin's first vmap area cache patch (5 May 2010, with the BUG_ON(first->va_end < addr) Steven hit) (scripts/check/variants/)",
  },
  'linux-2.6.35-minchan': {
    ctor: linux_2_6_35_minchan,
    base: 'linux-2.6.35',
    what: "linux-2.6.35 with Minchan Kim's two-patch rework of the cache (22 May 2010: the old descent kept, no !free_vmap_cache test) (scripts/check/variants/)",
  },
  'linux-2.6.39-nick-le': {
    ctor: linux_2_6_39_nick_le,
    base: 'linux-2.6.39',
    what: "linux-2.6.39 with Nick's `size <= cached_hole_size` for Hugh's `<` (scripts/check/variants/)",
  },
  'linux-3.18-liu-purged': {
    ctor: linux_3_18_liu_purged,
    base: 'linux-3.18',
    what: "linux-3.18 with Liu Song's unmerged RFC (Apr 2020): the cache is also dropped when `purged` is set (scripts/check/variants/)",
  },
};

export const SPECIAL_AGAINST = ['first-fit', 'no-cache'] as const;

function env(ncpu: number, hooks: VmallocHooks): VmallocEnv {
  return defaultEnv({ ncpu, hooks });
}

/** Every name --kernel accepts. */
export function kernelNames(): string[] {
  return [...versionNames(), ...Object.keys(CHECK_VARIANTS)];
}

/** Every name --against accepts. */
export function againstNames(): string[] {
  return [...kernelNames(), ...SPECIAL_AGAINST];
}

/** A version or check variant by name, or null. */
export function kernelContender(name: string): Contender | null {
  const info = findVersion(name);
  if (info)
    return { variant: name, source: `${info.source} (vmapsim port)`, replayable: true, create: (n, h) => info.create(env(n, h)) };
  const v = CHECK_VARIANTS[name];
  if (v) return { variant: name, source: v.what, replayable: false, create: (n, h) => new v.ctor(env(n, h)) };
  return null;
}

/**
 * The contender --against names, relative to the --kernel one. Throws a
 * one-line Error naming the parameter and accepted values when it does not
 * apply.
 */
export function againstContender(against: string, kernel: string): Contender {
  if (against === 'first-fit') {
    // A check variant keeps its base version's placement rule.
    const rules = FIRST_FIT_RULES[kernel] ?? FIRST_FIT_RULES[CHECK_VARIANTS[kernel]?.base ?? ''];
    if (!rules) throw new Error(`--against first-fit: no first-fit rule for "${kernel}" (accepted --kernel: ${Object.keys(FIRST_FIT_RULES).join(', ')})`);
    return {
      variant: `first-fit(${kernel})`,
      source: `scripts/check/first-fit.ts: the lowest address that fits under ${kernel}'s gap rules`,
      replayable: false,
      create: (n, h) => new FirstFitModel(rules, env(n, h)),
    };
  }
  if (against === 'no-cache') {
    const Base = CACHE_VERSIONS[kernel];
    if (!Base) throw new Error(`--against no-cache: "${kernel}" has no free-area cache (accepted --kernel: ${Object.keys(CACHE_VERSIONS).join(', ')})`);
    const NoCache = withoutCache(Base);
    return {
      variant: `${kernel}+no-cache`,
      source: `${kernel} with free_vmap_cache reset to NULL before every alloc_vmap_area (scripts/check/contenders.ts)`,
      replayable: false,
      create: (n, h) => new NoCache(env(n, h)),
    };
  }
  const c = kernelContender(against);
  if (!c) throw new Error(`--against: unknown "${against}" (accepted: ${againstNames().join(', ')})`);
  return c;
}
