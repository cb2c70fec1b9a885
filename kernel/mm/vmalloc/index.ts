// SPDX-License-Identifier: GPL-2.0-only
/*
 * The registry of allocator versions: one typed table mapping each version
 * name to its port, with where its text comes from. Callers pick a version
 * by name and get a VmapAllocator; nothing else branches on versions.
 */

import { VmallocEnv, VmapAllocator } from './common';
import { linux_2_6_35 } from './linux-2.6.35';

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
