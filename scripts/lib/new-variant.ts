// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vmapsim new-variant FILE --from KERNEL [--api]`: a standalone copy of a
 * kernel's allocator port (and with --api its API layer) that you can
 * change and then name with `--kernel ./FILE.ts` in check, run, bench and
 * replay tracefs. The copy is the port's text with one change: its
 * relative imports name the package (`vmapsim/kernel/...`, which resolve
 * wherever the file is: see scripts/lib/load-kernel.ts and the package's
 * "exports"). A manifest derived from KERNEL's is appended
 * (deriveManifest): the variant's name is the file's, its BUG_ON line
 * table KERNEL's. With `--from KERNEL@wasm` and FILE.as.ts, a copy of that
 * wasm core instead (scripts/lib/new-core-variant.ts).
 */

import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { BUILTIN_MANIFESTS, findManifest, manifests, WASM_SUFFIX } from '../../kernel/manifest/index.js';
import { repoRoot } from './paths.js';
import { makeDir, writeText } from './write-text.js';
import { EXIT_BAD_INPUT, EXIT_OK } from './exit.js';
import { newCoreVariantCommand } from './new-core-variant.js';

/** The port's text with its relative imports turned into package imports. */
export function packageImports(text: string, srcFile: string): string {
  const root = repoRoot();
  return text.replace(/(\bfrom\s+|\bimport\s+|require\()'(\.{1,2}\/[^']*)'/g, (_all, pre: string, spec: string) => {
    const abs = resolve(dirname(srcFile), spec);
    // The package's "exports" add the .js: `vmapsim/kernel/x` is dist/kernel/x.js.
    return `${pre}'vmapsim/${relative(root, abs).split('\\').join('/').replace(/\.js$/, '')}'`;
  });
}

function exportedClass(text: string, what: RegExp, file: string): string {
  const m = what.exec(text);
  if (!m) throw new Error(`${file}: no exported class found (${what.source})`);
  return m[1]!;
}

export function newVariantCommand(file: string, o: { from: string; api?: boolean; force?: boolean }, out: (s: string) => void, err: (s: string) => void): number {
  if (o.from.endsWith(WASM_SUFFIX) || /\.as\.ts$/.test(file)) return newCoreVariantCommand(file, o, out, err);
  const base = findManifest(o.from);
  if (!base || !base.file) {
    const known = manifests().filter((m) => m.file && m.kind !== 'variant').map((m) => m.name);
    err(`vmapsim: new-variant --from: unknown kernel "${o.from}" (known: ${known.join(', ')})`);
    return EXIT_BAD_INPUT;
  }
  if (base.kind === 'variant') {
    // A check variant's file is a subclass of its base's port, not a whole port to copy.
    err(`vmapsim: new-variant --from: ${o.from} is a check variant (a patch on ${base.base ?? 'another kernel'}): copy its base with --from ${base.base ?? '<kernel>'} and apply the patch to the copy`);
    return EXIT_BAD_INPUT;
  }
  if (!/\.ts$/.test(file)) {
    err(`vmapsim: new-variant: ${file}: the file must end in .ts`);
    return EXIT_BAD_INPUT;
  }
  const name = basename(file).replace(/\.ts$/, '');
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name) || BUILTIN_MANIFESTS.some((m) => m.name === name)) {
    err(`vmapsim: new-variant: ${file}: "${name}" cannot name a variant (a built-in kernel's name, or not [A-Za-z0-9._+-])`);
    return EXIT_BAD_INPUT;
  }
  const apiFile = file.replace(/\.ts$/, '.api.ts');
  for (const f of o.api ? [file, apiFile] : [file])
    if (existsSync(f) && !o.force) {
      err(`vmapsim: new-variant: ${f}: exists (give --force to overwrite)`);
      return EXIT_BAD_INPUT;
    }
  makeDir(dirname(resolve(file)));
  const root = repoRoot();
  const src = resolve(root, base.file);
  let text = packageImports(readFileSync(src, 'utf8'), src);
  const cls = exportedClass(text, /export class (\w+)\b[^{]*\bimplements VmapAllocator/, base.file);
  let apiPart = '';
  let apiImport = '';
  if (o.api) {
    const era = base.machine?.api;
    if (!era) {
      err(`vmapsim: new-variant --api: ${o.from} does not boot on the machine (no API layer)`);
      return EXIT_BAD_INPUT;
    }
    const apiSrc = resolve(root, 'kernel', 'mm', 'vmalloc', 'api', `${era}.ts`);
    const apiText = packageImports(readFileSync(apiSrc, 'utf8'), apiSrc);
    const apiCls = exportedClass(apiText, /export class (vmalloc_api_\w+)/, `kernel/mm/vmalloc/api/${era}.ts`);
    writeText(apiFile, `// vmapsim new-variant: the API layer ${era} (kernel/mm/vmalloc/api/${era}.ts), copied for the variant "${name}".\n${apiText}`);
    apiImport = `import { ${apiCls} } from './${basename(apiFile).replace(/\.ts$/, '.js')}';\n`;
    apiPart = `\n  api: { create: (k, a) => new ${apiCls}(k, a as never) },`;
  }
  const tail = `
/*
 * vmapsim new-variant: the lines above are a copy of ${base.file} (the
 * kernel ${o.from}) with package imports; the variant is named "${name}"
 * after this file. Change the port above, then compare:
 *   vmapsim check --kernel ${file.startsWith('/') ? file : `./${file}`} --against ${o.from}
 */
import { deriveManifest } from 'vmapsim/kernel/manifest/index';
${apiImport}
export const manifest = deriveManifest('${o.from}', {
  name: '${name}',
  file: import.meta.filename,
  create: (env, id) => new ${cls}(env, id),${apiPart}
});
`;
  writeText(file, text + tail);
  out(`${file}: ${o.from}'s allocator${o.api ? ` (and ${apiFile}: its API layer)` : ''} as the variant "${name}"; use --kernel ${file.includes('/') ? file : `./${file}`}`);
  return EXIT_OK;
}

