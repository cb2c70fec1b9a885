// SPDX-License-Identifier: GPL-2.0-only
/*
 * The wasm cores' build: each AssemblyScript core (kernel/mm/vmalloc/as/
 * <version>.exports.ts with what it imports) compiled by asc
 * (devDependency assemblyscript 0.28) with the stub runtime, -O3 and
 * --noAssert, then inlined by binaryen's wasm-opt (the binaryen that
 * assemblyscript depends on) to dist/wasm/<version>.wasm (docs/wasm.md,
 * "The build: inlining"). `make` builds them; a core older than any
 * AssemblyScript source is rebuilt here, at load, so a change to a port is
 * picked up without a manual step.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The checkout's root (this file is kernel/mm/vmalloc/wasm/ or dist/kernel/mm/vmalloc/wasm/). */
export function checkoutRoot(): string {
  const up4 = resolve(import.meta.dirname, '..', '..', '..', '..');
  return existsSync(resolve(up4, 'package.json')) ? up4 : resolve(up4, '..');
}

/** The AssemblyScript folders every core may import from. */
export const AS_DIRS = ['kernel/include/linux/as', 'kernel/lib/rbtree/as', 'kernel/mm/vmalloc/as'];

/** The AssemblyScript entry of a version's core. */
export function wasmEntry(version: string): string {
  return resolve(checkoutRoot(), 'kernel/mm/vmalloc/as', `${version}.exports.ts`);
}

/** Where the compiled core of a version lives. */
export function wasmPath(version: string): string {
  return resolve(checkoutRoot(), 'dist', 'wasm', `${version}.wasm`);
}

/** The newest source's time, read once per process (a process loads each core once: pool.ts). */
let newest: number | null = null;

function newestSource(): number {
  if (newest === null) newest = scanSources();
  return newest;
}

function scanSources(): number {
  let t = 0;
  for (const d of AS_DIRS) {
    const dir = resolve(checkoutRoot(), d);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (f.endsWith('.ts')) t = Math.max(t, statSync(join(dir, f)).mtimeMs);
  }
  return t;
}

/** The asc command line of a core (also the Makefile's), to `out` (wasm-opt's input). */
export function ascArgs(version: string, out = wasmPath(version)): string[] {
  return [wasmEntry(version), '-o', out, '--runtime', 'stub', '-O3', '--noAssert', '--disableWarning'];
}

/**
 * The wasm-opt pass over asc's output (also the Makefile's): -O3 again with
 * binaryen's inliner allowed to inline any function up to 3,000 instructions
 * at every call site (asc's -O3 stops at 12, or 70 for a function that
 * calls nothing, and BUG_ON/WARN_ON make nearly every kernel function call
 * an import), as gcc inlines the static functions of the one translation
 * unit of the C side (docs/performance.md: 1,000 left 5.2 at 1.5x). The
 * features are those asc 0.28 emits by default.
 */
export const WASM_OPT_FLAGS: readonly string[] = [
  '--enable-bulk-memory',
  '--enable-sign-ext',
  '--enable-mutable-globals',
  '--enable-nontrapping-float-to-int',
  '-O3',
  '--always-inline-max-function-size',
  '3000',
  '--flexible-inline-max-function-size',
  '3000',
  '--one-caller-inline-max-function-size',
  '5000',
  '--inline-functions-with-loops',
];

/** binaryen's wasm-opt (a node script) as the checkout has it. */
export function wasmOptScript(root = checkoutRoot()): string {
  return resolve(root, 'node_modules', 'binaryen', 'bin', 'wasm-opt');
}

/** Run wasm-opt (WASM_OPT_FLAGS) from `input` to `output`; null when done, else why not. */
export function runWasmOpt(input: string, output: string, root = checkoutRoot()): string | null {
  const opt = wasmOptScript(root);
  if (!existsSync(opt)) return `binaryen's wasm-opt is not installed (${opt}; it comes with assemblyscript: npm ci)`;
  const r = spawnSync(process.execPath, [opt, input, '-o', output, ...WASM_OPT_FLAGS], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) return `wasm-opt failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`;
  return null;
}

/** Cores compiled elsewhere: a user's variant (scripts/lib/user-core.ts), by the key its allocator_id names. */
const compiledCores = new Map<string, string>();

/** Make `key` (an allocator_id's `core`) name a .wasm compiled elsewhere. */
export function registerCompiledCore(key: string, wasmFile: string): void {
  compiledCores.set(key, wasmFile);
}

/** Compile a core if it is missing or older than its sources; the .wasm path. Throws with asc's message on a compile error. */
export function ensureWasm(version: string): string {
  const compiled = compiledCores.get(version);
  if (compiled) return compiled;
  const out = wasmPath(version);
  if (existsSync(out) && statSync(out).mtimeMs >= newestSource()) return out;
  if (!existsSync(wasmEntry(version))) throw new Error(`no wasm core for ${version} (kernel/mm/vmalloc/as/${version}.exports.ts)`);
  mkdirSync(resolve(checkoutRoot(), 'dist', 'wasm'), { recursive: true });
  const asc = resolve(checkoutRoot(), 'node_modules', 'assemblyscript', 'bin', 'asc.js');
  if (!existsSync(asc)) throw new Error(`cannot build the wasm core of ${version}: assemblyscript is not installed (npm ci)`);
  // asc, then wasm-opt into a temporary file renamed over `out`: another
  // process never loads a half-written or not yet inlined core.
  const asced = `${out}.${process.pid}.asc.wasm`;
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    const r = spawnSync(process.execPath, [asc, ...ascArgs(version, asced)], { encoding: 'utf8', cwd: checkoutRoot() });
    if (r.status !== 0) throw new Error(`asc failed on the ${version} core:\n${(r.stderr || r.stdout).trim()}`);
    const why = runWasmOpt(asced, tmp);
    if (why) throw new Error(`cannot build the wasm core of ${version}: ${why}`);
    renameSync(tmp, out);
  } finally {
    rmSync(asced, { force: true });
    rmSync(tmp, { force: true });
  }
  return out;
}
