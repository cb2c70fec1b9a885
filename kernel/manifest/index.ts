// SPDX-License-Identifier: GPL-2.0-only
/*
 * The registry of kernel manifests: one file per kernel beside this one
 * (kernel/manifest/<name>.ts), collected here in a fixed order, plus the
 * variants a user loads from a file at run time (`--kernel ./mine.ts`).
 * Every table that used to say something per version (VERSIONS, KERNELS,
 * API_ERAS, FIRST_FIT_RULES, CACHE_VERSIONS, CHECK_VARIANTS,
 * NATIVE_SOURCES, NATIVE) is a view of this list.
 */

import type { VmallocEnv, VmapAllocator } from '../mm/vmalloc/common.js';
import type { allocator_id } from '../mm/vmalloc/shims/customised.js';
import type { AllocatorCaps, ApiLayerPart, KernelManifest, UpstreamChange } from './types.js';
import { manifest as linux_2_6_35 } from './linux-2.6.35.js';
import { manifest as linux_2_6_35_02b709df } from './linux-2.6.35-02b709df.js';
import { manifest as mmotm_2010_vmap_cache_v1 } from './mmotm-2010-vmap-cache-v1.js';
import { manifest as linux_2_6_39 } from './linux-2.6.39.js';
import { manifest as linux_3_18 } from './linux-3.18.js';
import { manifest as linux_5_2 } from './linux-5.2.js';
import { manifest as linux_6_1 } from './linux-6.1.js';
import { manifest as linux_6_1_fc1e0d980037 } from './linux-6.1+fc1e0d980037.js';
import { manifest as linux_6_12 } from './linux-6.12.js';
import { manifest as linux_7_3 } from './linux-7.3.js';
import { manifest as linux_2_6_35_nick_v1 } from './linux-2.6.35-nick-v1.js';
import { manifest as linux_2_6_35_minchan } from './linux-2.6.35-minchan.js';
import { manifest as linux_2_6_39_nick_le } from './linux-2.6.39-nick-le.js';
import { manifest as linux_3_18_liu_purged } from './linux-3.18-liu-purged.js';

export type { AllocatorCaps, CacheCaps, FirstFitRule, KernelManifest, UpstreamChange } from './types.js';

/** The built-in kernels, oldest first; composite kernels after their base; check variants last. */
export const BUILTIN_MANIFESTS: readonly KernelManifest[] = [
  linux_2_6_35,
  linux_2_6_35_02b709df,
  mmotm_2010_vmap_cache_v1,
  linux_2_6_39,
  linux_3_18,
  linux_5_2,
  linux_6_1,
  linux_6_1_fc1e0d980037,
  linux_6_12,
  linux_7_3,
  linux_2_6_35_nick_v1,
  linux_2_6_35_minchan,
  linux_2_6_39_nick_le,
  linux_3_18_liu_purged,
];

const loaded: KernelManifest[] = [];
const byName = new Map<string, KernelManifest>(BUILTIN_MANIFESTS.map((m) => [m.name, m]));

/** Every manifest known now: the built-in ones, then the loaded ones in load order. */
export function manifests(): readonly KernelManifest[] {
  return loaded.length ? [...BUILTIN_MANIFESTS, ...loaded] : BUILTIN_MANIFESTS;
}

/**
 * The suffix that selects an allocator's wasm core: `linux-2.6.35@wasm` is
 * linux-2.6.35 with its allocator compiled from AssemblyScript
 * (kernel/mm/vmalloc/as/, docs/wasm.md). A name, not a flag, because every
 * command already takes kernels by name: `replay`, `bench` and `check`
 * accept it where they accept the version.
 */
export const WASM_SUFFIX = '@wasm';

const wasmByName = new Map<string, KernelManifest>();

/**
 * The manifest of `<name>@wasm`: the version's (or a built-in check
 * variant's), with the wasm core as its allocator, its kind (a version's
 * golden traces are the version's), the version's machine (its API layer
 * over the core, docs/wasm.md) when the core `boots`, no API layer of its
 * own and no C side of its own. Undefined if the base has no core.
 */
function wasmManifest(name: string): KernelManifest | undefined {
  if (!name.endsWith(WASM_SUFFIX)) return undefined;
  let m = wasmByName.get(name);
  if (m) return m;
  const base = byName.get(name.slice(0, -WASM_SUFFIX.length));
  const wasm = base?.allocator.wasm;
  if (!base || !wasm || !BUILTIN_MANIFESTS.includes(base) || (base.kind !== 'version' && base.kind !== 'variant')) return undefined;
  const id = { name, lines: base.allocator.lines ?? {} };
  m = {
    ...base,
    name,
    description: `${base.name} with its allocator as a wasm core (AssemblyScript, kernel/mm/vmalloc/as/${base.name}.ts)`,
    allocatorOf: name,
    file: `kernel/mm/vmalloc/as/${base.name}.ts`,
    allocator: { ...base.allocator, create: (env) => wasm.create(env, id) },
    machine: wasm.boots ? base.machine : undefined,
    apiLayer: undefined,
    native: undefined,
  };
  wasmByName.set(name, m);
  return m;
}

/** The `<version>@wasm` names: every built-in version with a wasm core, oldest first, then the check variants with one. */
export function wasmCoreNames(): string[] {
  return BUILTIN_MANIFESTS.filter((m) => (m.kind === 'version' || m.kind === 'variant') && m.allocator.wasm).map((m) => m.name + WASM_SUFFIX);
}

/** The version a `<version>@wasm` name is the core of; the name itself otherwise. */
export function baseOfWasm(name: string): string {
  return name.endsWith(WASM_SUFFIX) && wasmManifest(name) ? name.slice(0, -WASM_SUFFIX.length) : name;
}

/**
 * True if the allocator of kernel `name` is a wasm core (holds unsigned long
 * as an exact u64): `<kernel>@wasm`, or a user's copy of one (`FILE.as.ts`,
 * whose manifest's base is the `<kernel>@wasm` it was copied from).
 */
export function isWasmCore(name: string): boolean {
  if (name.endsWith(WASM_SUFFIX)) return wasmManifest(name) !== undefined;
  const base = byName.get(name)?.base;
  return base !== undefined && base.endsWith(WASM_SUFFIX) && wasmManifest(base) !== undefined;
}

/** The manifest of that name (a built-in name, `<version>@wasm`, or a loaded file's name), or undefined. */
export function findManifest(name: string): KernelManifest | undefined {
  return byName.get(name) ?? wasmManifest(name);
}

/** The manifest of that name; throws with the known names otherwise. */
export function getManifest(name: string): KernelManifest {
  const m = findManifest(name);
  if (!m) throw new Error(`unknown kernel "${name}" (known: ${manifests().map((x) => x.name).join(', ')})`);
  return m;
}

/** Register a manifest loaded from a user's file. Loading the same name again replaces it. */
export function registerManifest(m: KernelManifest): KernelManifest {
  const old = byName.get(m.name);
  if (old && BUILTIN_MANIFESTS.includes(old)) throw new Error(`a loaded kernel may not take the built-in name "${m.name}"`);
  if (old) loaded.splice(loaded.indexOf(old), 1);
  loaded.push(m);
  byName.set(m.name, m);
  return m;
}

/** Does the named kernel carry that upstream change (its manifest's `carries`)? False for an unknown name. */
export function carries(kernel: string, change: UpstreamChange): boolean {
  return byName.get(kernel)?.carries.includes(change) ?? false;
}

/* Capabilities of a live allocator object. */

const attached = new WeakMap<object, AllocatorCaps>();

/** Give one allocator object its own capabilities (a contender built around a port, the first-fit model). */
export function attachCaps<T extends VmapAllocator>(a: T, caps: AllocatorCaps): T {
  attached.set(a, caps);
  return a;
}

/** The capabilities of an allocator: its own if attached, else those of the manifest its version names; null if neither. */
export function capsOf(a: VmapAllocator): AllocatorCaps | null {
  return attached.get(a) ?? findManifest(a.version)?.allocator.caps ?? null;
}

/** Build the allocator of a manifest, with the manifest's capabilities attached. */
export function createAllocatorOf(m: KernelManifest, env: Parameters<KernelManifest['allocator']['create']>[0]): VmapAllocator {
  return attachCaps(m.allocator.create(env), m.allocator.caps);
}

/**
 * A variant's manifest, derived from a built-in kernel's: everything of
 * `from` (API layer, flush era, capabilities, first-fit rule, BUG_ON line
 * table) but its own name, file and allocator; with `api`, its own API
 * layer too. What `vmapsim new-variant` writes at the end of the copy.
 */
export function deriveManifest(
  from: string,
  over: {
    name: string;
    file: string;
    /** Build the variant's allocator; `id` carries its name and the base's BUG_ON line table. */
    create: (env: VmallocEnv, id: allocator_id) => VmapAllocator;
    description?: string;
    caps?: Partial<AllocatorCaps>;
    api?: { create: ApiLayerPart['create'] };
  },
): KernelManifest {
  const base = getManifest(from);
  const id: allocator_id = { name: over.name, lines: base.allocator.lines ?? {} };
  return {
    ...base,
    name: over.name,
    kind: 'variant',
    base: from,
    description: over.description ?? `${from} as copied by vmapsim new-variant, with your changes (${over.file})`,
    allocatorOf: over.name,
    file: over.file,
    allocator: { ...base.allocator, create: (env) => over.create(env, id), caps: { ...base.allocator.caps, ...over.caps } },
    machine: base.machine && (over.api ? { ...base.machine, api: over.name } : base.machine),
    apiLayer: over.api ? { source: `${over.file} (from ${base.machine?.api ?? from})`, allocators: [over.name], create: over.api.create } : undefined,
    native: undefined,
  };
}
