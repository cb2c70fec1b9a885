// SPDX-License-Identifier: GPL-2.0-only
/*
 * The allocator versions: the manifests (kernel/manifest/) of kind
 * "version", as the table callers have used since the first port. Callers
 * pick a version by name and get a VmapAllocator; nothing else branches on
 * versions.
 */

import type { VmallocEnv, VmapAllocator } from './common.js';
import { createAllocatorOf, findManifest, type KernelManifest, manifests, BUILTIN_MANIFESTS, WASM_SUFFIX } from '../../manifest/index.js';

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

function versionInfo(m: KernelManifest): VersionInfo {
  return {
    name: m.name,
    release: m.release,
    commit: m.commit,
    source: m.source,
    upstreamPath: m.upstreamPath,
    description: m.description,
    create: (env: VmallocEnv) => createAllocatorOf(m, env),
  };
}

/** The allocator ports with golden traces, oldest first. */
export const VERSIONS: readonly VersionInfo[] = BUILTIN_MANIFESTS.filter((m) => m.kind === 'version').map(versionInfo);

export type VersionName = string;

const BY_NAME: ReadonlyMap<string, VersionInfo> = new Map(VERSIONS.map((v) => [v.name, v]));

/** Every version name, oldest first. */
export function versionNames(): string[] {
  return VERSIONS.map((v) => v.name);
}

/**
 * The version of that name, or undefined. A loaded variant (`--kernel
 * ./mine.ts`) is found too, so that its traces replay.
 */
export function findVersion(name: string): VersionInfo | undefined {
  const v = BY_NAME.get(name);
  if (v) return v;
  const m = findManifest(name);
  if (m && m.name.endsWith(WASM_SUFFIX)) return versionInfo(m); // a version's wasm core
  return m && m.kind === 'variant' && !BUILTIN_MANIFESTS.includes(m) ? versionInfo(m) : undefined;
}

/** The version of that name; throws with the list of known names if unknown. */
export function getVersion(name: string): VersionInfo {
  const v = findVersion(name);
  if (!v) throw new Error(`unknown kernel version "${name}" (known: ${versionNames().join(', ')})`);
  return v;
}

/** Build an allocator of a named version. */
export function createAllocator(name: string, env: VmallocEnv): VmapAllocator {
  return getVersion(name).create(env);
}

export { manifests };
