// SPDX-License-Identifier: GPL-2.0-only
/*
 * The registry of allocator versions: one typed table mapping each version
 * name to its port, with where its text comes from. Callers pick a version
 * by name and get a VmapAllocator; nothing else branches on versions.
 */

import { VmallocEnv, VmapAllocator } from './common';
import { linux_2_6_35 } from './linux-2.6.35';
import { linux_2_6_39 } from './linux-2.6.39';
import { linux_3_18 } from './linux-3.18';
import { linux_5_2 } from './linux-5.2';
import { linux_6_1 } from './linux-6.1';
import { linux_6_12 } from './linux-6.12';
import { linux_7_3 } from './linux-7.3';
import { mmotm_2010_vmap_cache_v1 } from './mmotm-2010-vmap-cache-v1';

export interface VersionInfo {
  /** Registry name, as in the golden traces' `variant:` header. */
  readonly name: string;
  /** First release that carried this code (or "not released"). */
  readonly release: string;
  /** Upstream commit that introduced the allocator design ported here. */
  readonly commit: string;
  /** Where the ported text was read. */
  readonly source: string;
  /** Path of the ported file upstream. */
  readonly upstreamPath: string;
  /** One line saying what this version is. */
  readonly description: string;
  /** Build an allocator of this version in an environment. */
  readonly create: (env: VmallocEnv) => VmapAllocator;
}

export const VERSIONS = [
  {
    name: 'linux-2.6.35',
    release: 'v2.6.35 (Aug 2010)',
    commit: 'db64fe02258f ("mm: rewrite vmap layer", v2.6.28)',
    source: 'rivsidn/linux-2.6.35.6 @ fd946834f255, mm/vmalloc.c',
    upstreamPath: 'mm/vmalloc.c',
    description: 'pre-cache allocator: rbtree descent then an rb_next walk over every area in the way; lazily freed areas stay in the tree until the purge',
    create: (env: VmallocEnv) => new linux_2_6_35(env),
  },
  {
    name: 'mmotm-2010-vmap-cache-v1',
    release: 'not released (carried in mmotm, Jun 2010 - Jan 2011)',
    commit: '"[patch] mm: vmap area cache", Nick Piggin, linux-mm 2010-05-31 (Message-ID 20100531080757.GE9453@laptop)',
    source: 'linux-2.6.35 text + the posted patch (index id 11838866661)',
    upstreamPath: 'mm/vmalloc.c',
    description: 'first free-area cache (cached_start, size <= cached_hole_size) with BUG_ON(first->va_start < addr), which unaligned vstarts and ioremap alignments hit',
    create: (env: VmallocEnv) => new mmotm_2010_vmap_cache_v1(env),
  },
  {
    name: 'linux-2.6.39',
    release: 'v2.6.39 (May 2011)',
    commit: '89699605fe7c ("mm: vmap area cache", merged 2011-03-22)',
    source: 'mmotm text + Hugh Dickins\' fix (index id 10639554784) + Jeremy Fitzhardinge\'s eager PTE clearing (id 13819162336)',
    upstreamPath: 'mm/vmalloc.c',
    description: 'merged vmap area cache: find_vma-style descent, size < cached_hole_size, cached_vstart, a free page kept before and after every area',
    create: (env: VmallocEnv) => new linux_2_6_39(env),
  },
  {
    name: 'linux-3.18',
    release: 'v3.18 (Dec 2014); the allocator section is the same through the neighbouring 3.x releases',
    commit: '248ac0e1943a (guard gap removed) + 92ca922f (walk vmap_area_list instead of rb_next) on 89699605fe7c',
    source: 'torvalds/linux @ 7ebdfaa52d15b947503f76474477f92854796d96, mm/vmalloc.c (index id 2879928)',
    upstreamPath: 'mm/vmalloc.c',
    description: '3.x vmap area cache: no free page between areas, walk along the address-sorted vmap_area_list, overflow test addr + size < addr, kfree_rcu',
    create: (env: VmallocEnv) => new linux_3_18(env),
  },
  {
    name: 'linux-5.2',
    release: 'v5.2 (Jul 2019)',
    commit: '68ad4a330433 ("mm/vmalloc.c: keep track of free blocks for vmap allocation", Uladzislau Rezki)',
    source: 'reconstructed: linux-6.1 port with 5.2..6.1 undone, from the RFC v2 patch (index id 14441177585), the RESEND/v3 (id 14923960997) and the 5.3 preload patch context (id 8106677688); confirmed by the 18 linux-5.2 golden traces',
    upstreamPath: 'mm/vmalloc.c',
    description: 'augmented free tree replaces the free-area cache: lowest-match search for size + align - 1, fit types FL/LE/RE/NE, merge on free; lazily freed areas stay busy on the vmap_purge_list llist until the purge',
    create: (env: VmallocEnv) => new linux_5_2(env),
  },
  {
    name: 'linux-6.1',
    release: 'v6.1 (Dec 2022)',
    commit: '68ad4a330433 ("mm/vmalloc.c: keep track of free blocks for vmap allocation", v5.2) as of v6.1',
    source: 'Debian linux-source-6.1 6.1.192-2 (text not committed)',
    upstreamPath: 'mm/vmalloc.c',
    description: 'augmented free tree (subtree_max_size, lowest match), per-CPU spare area for no-edge splits, lazily freed areas merged in a purge tree and drained by a work item',
    create: (env: VmallocEnv) => new linux_6_1(env),
  },
  {
    name: 'linux-6.12',
    release: 'v6.12 (Nov 2024); Debian 6.12.95-1~bpo12+1',
    commit: 'the vmap_nodes series ("Mitigate a vmap lock contention", Uladzislau Rezki, v6.9) on the 68ad4a330433 free tree',
    source: 'Debian 6.12.95 source tree, mm/vmalloc.c (text not committed)',
    upstreamPath: 'mm/vmalloc.c',
    description: 'per-node busy and lazy trees (nr_vmap_nodes from the CPU count, 16-page zones), per-size pools of purged areas for vmalloc-range requests with several nodes, lazily freed areas kept unmerged, per-node purge; trace events',
    create: (env: VmallocEnv) => new linux_6_12(env),
  },
  {
    name: 'linux-7.3',
    release: 'v7.3; Debian 7.3.4-1~bpo13+1',
    commit: 'the 6.12 vmap nodes with 6.16 (error values from the search, decay_va_pool_node keeps small pools) and 6.19 (non-blocking gfp) changes',
    source: 'Debian linux-source-7.3 7.3.4-1~bpo13+1, mm/vmalloc.c (text not committed; docs/sources.md#text-linux-7.3)',
    upstreamPath: 'mm/vmalloc.c',
    description: '6.12 with -ENOENT/-ERANGE/-ENOMEM from the search, pools of fewer than 4 areas kept on a non-full purge, non-blocking allocations failing without a purge',
    create: (env: VmallocEnv) => new linux_7_3(env),
  },
] as const satisfies readonly VersionInfo[];

export type VersionName = (typeof VERSIONS)[number]['name'];

const BY_NAME: ReadonlyMap<string, VersionInfo> = new Map(VERSIONS.map((v) => [v.name, v]));

/** Every version name, oldest first. */
export function versionNames(): string[] {
  return VERSIONS.map((v) => v.name);
}

/** The version of that name, or undefined. */
export function findVersion(name: string): VersionInfo | undefined {
  return BY_NAME.get(name);
}

/** The version of that name; throws with the list of known names if unknown. */
export function getVersion(name: string): VersionInfo {
  const v = BY_NAME.get(name);
  if (!v) throw new Error(`unknown kernel version "${name}" (known: ${versionNames().join(', ')})`);
  return v;
}

/** Build an allocator of a named version. */
export function createAllocator(name: string, env: VmallocEnv): VmapAllocator {
  return getVersion(name).create(env);
}
