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
 * A TypeScript file is type-checked first (the TypeScript compiler, with
 * `vmapsim/*` mapped to the sources); the first error is reported as
 * FILE:LINE: message (exit status 2), as is a file that does not load or
 * exports no manifest.
 */

import Module from 'node:module';
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { type KernelManifest, registerManifest } from '../../kernel/manifest/index.js';
import { InputError } from './input-error.js';
import { repoRoot } from './paths.js';

/** A --kernel value that names a file rather than a built-in kernel. */
export function isKernelFile(v: string): boolean {
  return v.includes('/') || /\.[cm]?[jt]s$/.test(v);
}

/** Where `vmapsim/<path>` resolves at run time: the root of the running code (dist/ or the checkout). */
export const codeRoot = resolve(import.meta.dirname, '..', '..');

let resolverInstalled = false;

/** Map `vmapsim/...` requests to the running vmapsim's modules, from any folder. */
export function installPackageResolver(): void {
  if (resolverInstalled) return;
  resolverInstalled = true;
  const M = Module as unknown as { _resolveFilename(request: string, parent: unknown, ...rest: unknown[]): string };
  const orig = M._resolveFilename;
  M._resolveFilename = function (request: string, parent: unknown, ...rest: unknown[]): string {
    if (request.startsWith('vmapsim/')) return orig.call(this, resolve(codeRoot, request.slice('vmapsim/'.length)), parent, ...rest);
    return orig.call(this, request, parent, ...rest);
  };
}

let tsRegistered = false;

function registerTs(): void {
  if (tsRegistered || require.extensions['.ts']) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('ts-node').register({ transpileOnly: true, compilerOptions: { module: 'commonjs' } });
  tsRegistered = true;
}

/** The compiler options a user's variant is checked with: the repository's, plus `vmapsim/*` -> the sources. */
function checkOptions(ts: typeof import('typescript')): import('typescript').CompilerOptions {
  const root = repoRoot();
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
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
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ts = require('typescript');
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
  for (const l of stack.split('\n')) {
    const i = l.indexOf(path + ':');
    if (i >= 0) return Number(l.slice(i + path.length + 1).split(':')[0]) || null;
  }
  return null;
}

/**
 * Load a variant file, register its manifest, return it. `check: false`
 * skips the type check (a worker loading a file its parent checked).
 */
export function loadKernelFile(file: string, opts: { check?: boolean } = {}): KernelManifest {
  const path = resolve(file);
  if (!existsSync(path)) throw new InputError(file, null, 'no such kernel file');
  installPackageResolver();
  const isTs = /\.[cm]?ts$/.test(path);
  if (isTs && opts.check !== false) typeCheck(path, file);
  if (isTs) registerTs();
  let mod: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(path);
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new InputError(file, lineIn(e, path), `cannot load the kernel: ${msg}`);
  }
  const m = mod.manifest ?? mod.default;
  if (!isManifest(m)) throw new InputError(file, null, `exports no manifest (export const manifest = deriveManifest('linux-6.12', { name, file: __filename, create }); see \`vmapsim new-variant\`)`);
  try {
    registerManifest(m);
  } catch (e) {
    throw new InputError(file, null, (e as Error).message);
  }
  if (!loadedFiles.includes(path)) loadedFiles.push(path);
  return m;
}

