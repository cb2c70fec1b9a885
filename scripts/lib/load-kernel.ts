// SPDX-License-Identifier: GPL-2.0-only
/*
 * Load a user's own variant (`--kernel ./mine.ts`): a module, anywhere on
 * disk, that exports `manifest` (a KernelManifest, usually made by
 * deriveManifest() from a built-in kernel's; `vmapsim new-variant` writes
 * one). Its imports name the package (`vmapsim/kernel/...`), which resolves
 * to the modules of the running vmapsim (dist/ when built, the sources
 * under ts-node), so the file shares the registry, the KernelBug class and
 * everything else with the tool.
 *
 * The file is imported as an ES module (scripts/lib/user-module.ts); the
 * ones --kernel and --against name are loaded before commander parses the
 * command line (preloadKernelFiles), as an import is asynchronous.
 *
 * A TypeScript file is type-checked first (the TypeScript compiler, with
 * `vmapsim/*` mapped to the sources); the first error is reported as
 * FILE:LINE: message (exit status 2), as is a file that does not load or
 * exports no manifest.
 *
 * A `.as.ts` file is a wasm core variant (AssemblyScript, `vmapsim
 * new-variant FILE.as.ts --from KERNEL@wasm`): compiled at load, its
 * errors reported as FILE:LINE:COL: message (scripts/lib/user-core.ts).
 */

import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type KernelManifest, registerManifest } from '../../kernel/manifest/index.js';
import { InputError } from './input-error.js';
import { repoRoot } from './paths.js';
import { importUserFile } from './user-module.js';
import { isCoreFile, loadCoreFile } from './user-core.js';

/** A --kernel value that names a file rather than a built-in kernel. */
export function isKernelFile(v: string): boolean {
  return v.includes('/') || /\.[cm]?[jt]s$/.test(v);
}

/** The compiler options a user's variant is checked with: the repository's, plus `vmapsim/*` -> the sources. */
function checkOptions(ts: typeof import('typescript')): import('typescript').CompilerOptions {
  const root = repoRoot();
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts'],
    types: ['node'],
    typeRoots: [resolve(root, 'node_modules', '@types')],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
    baseUrl: root,
    paths: { 'vmapsim/*': ['*'] },
  };
}

/** Type-check a .ts file; throws an InputError at the first error in it (or in what it imports). */
export function typeCheck(file: string, shown = file): void {
  let ts: typeof import('typescript');
  try {
    // Loaded only to check a user's file: the compiler is large and CommonJS.
    ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');
  } catch {
    return; // an install without the compiler: the load below still reports what breaks
  }
  const path = resolve(file);
  const program = ts.createProgram([path], checkOptions(ts));
  const diags = [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()].filter((d) => d.category === ts.DiagnosticCategory.Error);
  // The user's file first, then anything else.
  diags.sort((a, b) => Number(b.file?.fileName === path) - Number(a.file?.fileName === path));
  const d = diags[0];
  if (!d) return;
  const msg = ts.flattenDiagnosticMessageText(d.messageText, ' ');
  if (d.file && d.start !== undefined) {
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const where = d.file.fileName === path ? shown : relative(process.cwd(), d.file.fileName);
    throw new InputError(where, line + 1, `TS${d.code}: ${msg}`);
  }
  throw new InputError(shown, null, `TS${d.code}: ${msg}`);
}

function isManifest(x: unknown): x is KernelManifest {
  const m = x as KernelManifest;
  return !!m && typeof m.name === 'string' && !!m.allocator && typeof m.allocator.create === 'function' && !!m.allocator.caps;
}

const loadedFiles: string[] = [];

/** The files loaded so far (absolute), for campaign workers to load again. */
export function loadedKernelFiles(): string[] {
  return [...loadedFiles];
}

/** The line of the user's file in an exception's stack, if any. */
function lineIn(e: unknown, path: string): number | null {
  const stack = e instanceof Error ? (e.stack ?? '') : '';
  for (const l of stack.split('\n'))
    for (const name of [pathToFileURL(path).href, path]) {
      const i = l.indexOf(name + ':');
      if (i >= 0) return Number(l.slice(i + name.length + 1).split(':')[0]) || null;
    }
  return null;
}

/**
 * Load a variant file, register its manifest, return it. `check: false`
 * skips the type check (a worker loading a file its parent checked).
 */
export async function loadKernelFile(file: string, opts: { check?: boolean } = {}): Promise<KernelManifest> {
  const path = resolve(file);
  if (!existsSync(path)) throw new InputError(file, null, 'no such kernel file');
  if (isCoreFile(path)) return registered(file, path, await loadCoreFile(file, path));
  const isTs = /\.[cm]?ts$/.test(path);
  if (isTs && opts.check !== false) typeCheck(path, file);
  let mod: Record<string, unknown>;
  try {
    mod = await importUserFile(path);
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new InputError(file, lineIn(e, path), `cannot load the kernel: ${msg}`);
  }
  const m = mod.manifest ?? mod.default;
  if (!isManifest(m)) throw new InputError(file, null, `exports no manifest (export const manifest = deriveManifest('linux-6.12', { name, file: import.meta.filename, create }); see \`vmapsim new-variant\`)`);
  return registered(file, path, m);
}

/** Register a loaded file's manifest and remember the file. */
function registered(file: string, path: string, m: KernelManifest): KernelManifest {
  try {
    registerManifest(m);
  } catch (e) {
    throw new InputError(file, null, (e as Error).message);
  }
  if (!loadedFiles.includes(path)) loadedFiles.push(path);
  return m;
}

/** The flags whose values may name variant files (loaded before the command line is parsed). */
const KERNEL_FLAGS = ['--kernel', '--against'];

/** What preloadKernelFiles made of each file named on the command line: its manifest or its error. */
const preloaded = new Map<string, KernelManifest | InputError>();

/**
 * Load the variant files that --kernel and --against name, before commander
 * parses the words: an ES module loads asynchronously, an option's parser
 * runs synchronously (kernelFile() below hands it the result). A file that
 * does not load is remembered with its error, which the parser reports.
 */
export async function preloadKernelFiles(words: readonly string[]): Promise<void> {
  const values: string[] = [];
  words.forEach((w, i) => {
    const next = words[i + 1];
    if (KERNEL_FLAGS.includes(w) && next !== undefined) values.push(next);
    for (const f of KERNEL_FLAGS) if (w.startsWith(`${f}=`)) values.push(w.slice(f.length + 1));
  });
  for (const v of values)
    for (const f of v.split(',').map((s) => s.trim())) {
      if (!isKernelFile(f) || preloaded.has(resolve(f))) continue;
      try {
        preloaded.set(resolve(f), await loadKernelFile(f));
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        preloaded.set(resolve(f), e);
      }
    }
}

/** A variant file preloadKernelFiles loaded: its manifest, or the InputError it gave. */
export function kernelFile(file: string): KernelManifest {
  const m = preloaded.get(resolve(file));
  if (m === undefined) throw new InputError(file, null, 'a variant file is loaded before the command line is parsed (preloadKernelFiles); this one was not');
  if (m instanceof InputError) throw m;
  return m;
}
