// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one parser of kernel names for every command's --kernel (and
 * check's --against): a name from the manifest registry (kernel/manifest/)
 * or a path to the user's own variant file (anything containing "/" or
 * ending in .ts/.js), which is loaded and registered under the name its
 * manifest gives. What each command accepts is a capability filter on the
 * manifests, never a list of names.
 */

import { InvalidArgumentError } from 'commander';
import { BUILTIN_MANIFESTS, findManifest, type KernelManifest, manifests, wasmCoreNames } from '../../kernel/manifest/index.js';
import { isInputError } from '../lib/input-error.js';
import { isKernelFile, kernelFile } from '../lib/load-kernel.js';

/** The commands that take kernel names, and what each needs of a kernel. */
export const KERNEL_ROLES = {
  /** `check --kernel`: anything with an allocator (every manifest). */
  check: { accepts: (_m: KernelManifest) => true, list: false, word: 'accepted' },
  /** `run --kernel`: a kernel that boots on the machine. */
  run: { accepts: (m: KernelManifest) => m.machine !== undefined, list: true, word: 'known' },
  /** `bench --kernel`, `replay tracefs --kernel`: an allocator port or a loaded variant of one. */
  bench: { accepts: (m: KernelManifest) => m.kind === 'version' || !BUILTIN_MANIFESTS.includes(m), list: true, word: 'known' },
} as const;

export type KernelRole = keyof typeof KERNEL_ROLES;

/** The names a role accepts now (built-in, then loaded). */
export function acceptedKernels(role: KernelRole): string[] {
  const wasm = wasmCoreNames().map((n) => findManifest(n) as KernelManifest);
  return [...manifests(), ...wasm].filter((m) => KERNEL_ROLES[role].accepts(m)).map((m) => m.name);
}

/** "all": the allocator versions, oldest first. */
function allKernels(): string[] {
  return manifests()
    .filter((m) => m.kind === 'version')
    .map((m) => m.name);
}

/**
 * Parse one --kernel value for a role: a comma-separated list (or "all")
 * where the role takes several, one name otherwise. A file is loaded and
 * its manifest registered. Throws InvalidArgumentError (commander prints it
 * as one line naming the flag; exit status 2).
 */
export function parseKernels(value: string, role: KernelRole): string[] {
  const r = KERNEL_ROLES[role];
  if (r.list && value === 'all') return allKernels();
  const names = r.list ? value.split(',').map((s) => s.trim()) : [value];
  return names.map((n) => {
    if (isKernelFile(n)) {
      let m: KernelManifest;
      try {
        m = kernelFile(n);
      } catch (e) {
        if (isInputError(e)) throw new InvalidArgumentError(e.message);
        throw e;
      }
      if (!r.accepts(m)) throw new InvalidArgumentError(`${n}: the kernel "${m.name}" it defines cannot be used here (${r.word}: ${acceptedKernels(role).join(', ')})`);
      return m.name;
    }
    const accepted = acceptedKernels(role);
    if (!accepted.includes(n)) throw new InvalidArgumentError(`unknown kernel "${n}" (${r.word}: ${accepted.join(', ')}${r.list ? ', or all' : ''}; or a path to your own variant file)`);
    return n;
  });
}

/** A commander argParser for a role. */
export function kernelArg(role: 'check'): (v: string) => string;
export function kernelArg(role: Exclude<KernelRole, 'check'>): (v: string) => string[];
export function kernelArg(role: KernelRole): (v: string) => string | string[] {
  return KERNEL_ROLES[role].list ? (v: string) => parseKernels(v, role) : (v: string) => parseKernels(v, role)[0]!;
}
