// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vmapsim new-variant FILE.as.ts --from KERNEL@wasm`: your own copy of a
 * wasm core's allocator (kernel/mm/vmalloc/as/KERNEL.ts, AssemblyScript),
 * which `--kernel ./FILE.as.ts` compiles when it is loaded
 * (scripts/lib/user-core.ts) and check, replay, bench and run (where the
 * core boots) take like any kernel. The copy is the core's text, imports
 * untouched (they resolve as in the core: the file is compiled in place of
 * the core's own), under a header whose marker line names the core; the
 * variant is named after the file (FILE without .as.ts). Nothing else is
 * written: the boundary (KERNEL.exports.ts), pcpu_get_vm_areas() and the
 * shims are the checkout's, so `diff` against the core shows your change.
 */

import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BUILTIN_MANIFESTS, WASM_SUFFIX, wasmCoreNames } from '../../kernel/manifest/index.js';
import { EXIT_BAD_INPUT, EXIT_OK } from './exit.js';
import { repoRoot } from './paths.js';
import { coreBase, coreVariantName, FROM_MARKER } from './user-core.js';
import { makeDir, writeText } from './write-text.js';

export function newCoreVariantCommand(file: string, o: { from: string; api?: boolean; force?: boolean }, out: (s: string) => void, err: (s: string) => void): number {
  const base = coreBase(o.from);
  if (!base && coreBase(o.from + WASM_SUFFIX)) {
    err(`vmapsim: new-variant: ${file}: a .as.ts file is a copy of a wasm core: give --from ${o.from}${WASM_SUFFIX} (or a .ts file for a copy of the TypeScript port)`);
    return EXIT_BAD_INPUT;
  }
  if (!base) {
    err(`vmapsim: new-variant --from: "${o.from}" names no wasm core (known: ${wasmCoreNames().join(', ')})`);
    return EXIT_BAD_INPUT;
  }
  if (!/\.as\.ts$/.test(file)) {
    err(`vmapsim: new-variant: ${file}: a copy of a wasm core is AssemblyScript: the file must end in .as.ts`);
    return EXIT_BAD_INPUT;
  }
  if (o.api) {
    err('vmapsim: new-variant --api: a wasm core variant runs under its kernel\'s API layer; --api copies a TypeScript one (give --from without @wasm)');
    return EXIT_BAD_INPUT;
  }
  const name = coreVariantName(file);
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name) || BUILTIN_MANIFESTS.some((m) => m.name === name)) {
    err(`vmapsim: new-variant: ${file}: "${name}" cannot name a variant (a built-in kernel's name, or not [A-Za-z0-9._+-])`);
    return EXIT_BAD_INPUT;
  }
  if (existsSync(file) && !o.force) {
    err(`vmapsim: new-variant: ${file}: exists (give --force to overwrite)`);
    return EXIT_BAD_INPUT;
  }
  const src = `kernel/mm/vmalloc/as/${base.name}.ts`;
  const text = readFileSync(resolve(repoRoot(), src), 'utf8');
  const shown = file.includes('/') ? file : `./${file}`;
  const header = [
    `// vmapsim new-variant: a copy of ${src}, the wasm core of ${o.from}, as the variant "${name}" (named after this file).`,
    `${FROM_MARKER}${o.from}`,
    `// Change the allocator below, then compare: vmapsim check --kernel ${shown} --against ${base.name}`,
    `// It is compiled when loaded, in place of ${src}: the imports resolve there, and the core's`,
    `// boundary (${base.name}.exports.ts) calls what it exports. docs/wasm.md, "Your own core".`,
    '',
  ].join('\n');
  makeDir(dirname(resolve(file)));
  // The SPDX line stays first.
  const nl = text.indexOf('\n') + 1;
  writeText(file, text.slice(0, nl) + header + text.slice(nl));
  out(`${file}: ${o.from}'s allocator (${src}) as the variant "${name}"; use --kernel ${shown}`);
  return EXIT_OK;
}
