// SPDX-License-Identifier: GPL-2.0-only
/*
 * A user's own wasm core (`--kernel ./mine.as.ts`): an AssemblyScript copy
 * of a core's allocator file, written by `vmapsim new-variant mine.as.ts
 * --from linux-6.1@wasm` (scripts/lib/new-core-variant.ts) and changed by
 * the user. Its first lines name the core it was copied from
 * (`// vmapsim-from: linux-6.1@wasm`).
 *
 * Loading compiles it with the AssemblyScript compiler's API (asc's
 * main(), the options of the built-in cores: kernel/mm/vmalloc/wasm/
 * build.ts ascArgs) as that core with the file in place of the core's own
 * kernel/mm/vmalloc/as/<base>.ts: the core's boundary (<base>.exports.ts),
 * its pcpu_get_vm_areas() file and the shared shims, lists and rbtrees are
 * the checkout's, and the copy's relative imports resolve as they do in
 * the core. The .wasm is cached by content (the file, every AssemblyScript
 * source, the compiler's version and options) under
 * node_modules/.cache/vmapsim/wasm of the checkout, so a changed file or
 * core is compiled again when next loaded and an unchanged one is not;
 * worker processes loading the same file find it there.
 *
 * The first compile error is reported as one line, FILE:LINE:COL: message
 * (an InputError: exit status 2); FILE is the user's file when the error
 * is in it, else the checkout file the error is in (e.g. the boundary
 * importing a function the copy no longer exports).
 */

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findManifest, type KernelManifest, WASM_SUFFIX } from '../../kernel/manifest/index.js';
import { AS_DIRS, ascArgs, checkoutRoot, registerCompiledCore, runWasmOpt, WASM_OPT_FLAGS } from '../../kernel/mm/vmalloc/wasm/build.js';
import { InputError } from './input-error.js';

/** A --kernel file that is a wasm core variant (AssemblyScript), not a TypeScript one. */
export function isCoreFile(path: string): boolean {
  return /\.as\.ts$/.test(path);
}

/** The marker line new-variant writes: the core the file is a copy of. */
export const FROM_MARKER = '// vmapsim-from: ';

/** The variant's name: the file's, without `.as.ts`. */
export function coreVariantName(path: string): string {
  return (path.split(/[\\/]/).pop() ?? path).replace(/\.as\.ts$/, '');
}

/** The core (`<kernel>@wasm`) a copy names in its marker line, or null. */
export function coreFromMarker(text: string): string | null {
  for (const l of text.split('\n').slice(0, 20)) if (l.startsWith(FROM_MARKER)) return l.slice(FROM_MARKER.length).trim();
  return null;
}

/** The kernel (version or built-in variant) whose core `<kernel>@wasm` is, if it has one. */
export function coreBase(name: string): KernelManifest | undefined {
  if (!name.endsWith(WASM_SUFFIX)) return undefined;
  const m = findManifest(name.slice(0, -WASM_SUFFIX.length));
  return m?.allocator.wasm ? m : undefined;
}

/** The asc options of a core, without the entry and the output file (build.ts's). */
function ascOptions(): string[] {
  return ascArgs('x').slice(3);
}

/** Every AssemblyScript source of the checkout, sorted: what a compiled core depends on besides the user's file. */
function asSources(root: string): string[] {
  const out: string[] = [];
  for (const d of AS_DIRS) {
    const dir = resolve(root, d);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.ts')) out.push(join(d, f));
  }
  return out;
}

function ascVersion(root: string): string {
  try {
    return (JSON.parse(readFileSync(resolve(root, 'node_modules', 'assemblyscript', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'none';
  }
}

/** The cache key of a compile: the compiler, its options, the base, the user's text and every AssemblyScript source. */
function cacheKey(root: string, base: string, text: string): string {
  const h = createHash('sha256');
  h.update(`asc ${ascVersion(root)} ${ascOptions().join(' ')}\nwasm-opt ${WASM_OPT_FLAGS.join(' ')}\nbase ${base}\n`);
  h.update(text);
  for (const f of asSources(root)) h.update(`\0${f}\0`).update(readFileSync(resolve(root, f)));
  return h.digest('hex').slice(0, 32);
}

/** Where compiled user cores are kept (never in the repository's tracked files). */
export function coreCacheDir(root = checkoutRoot()): string {
  return resolve(root, 'node_modules', '.cache', 'vmapsim', 'wasm');
}

/** Line and column (1-based) of an offset in a text. */
function lineCol(text: string, at: number): [number, number] {
  const before = text.slice(0, at);
  const nl = before.lastIndexOf('\n');
  return [before.split('\n').length, at - nl];
}

interface AscDiagnostic {
  readonly code: number;
  readonly category: number;
  readonly message: string;
  readonly range: { readonly start: number; readonly source: { readonly normalizedPath: string } } | null;
}

/** asc's DiagnosticCategory.Error. */
const ERROR = 3;

/**
 * Compile the user's core (`path`, shown as `file`) as the core of `base`
 * with the file in place of kernel/mm/vmalloc/as/<base>.ts; the .wasm's
 * path (from the cache when there). Throws an InputError at the first
 * compile error.
 */
export async function compileUserCore(file: string, path: string, base: string, text: string): Promise<string> {
  const root = checkoutRoot();
  const out = resolve(coreCacheDir(root), `${cacheKey(root, base, text)}.wasm`);
  if (existsSync(out)) return out;
  const entry = `kernel/mm/vmalloc/as/${base}.exports.ts`;
  const replaced = resolve(root, 'kernel/mm/vmalloc/as', `${base}.ts`);
  const texts = new Map<string, string>(); // what asc read, by normalized path, for line:col
  let binary: Uint8Array | null = null;
  const diags: AscDiagnostic[] = [];
  let asc: typeof import('assemblyscript/asc');
  try {
    asc = await import('assemblyscript/asc');
  } catch {
    throw new InputError(file, null, 'cannot compile a wasm core: the AssemblyScript compiler (npm assemblyscript) is not installed');
  }
  const r = await asc.main([entry, '--baseDir', root, '--outFile', 'user-core.wasm', ...ascOptions()], {
    readFile(name: string, baseDir: string) {
      const abs = resolve(baseDir, name);
      let t: string | null = null;
      if (abs === replaced) t = text;
      else if (existsSync(abs)) t = readFileSync(abs, 'utf8');
      if (t !== null) texts.set(abs, t);
      return t;
    },
    writeFile(_name: string, contents: Uint8Array | string) {
      if (typeof contents !== 'string') binary = contents;
    },
    listFiles: () => [],
    reportDiagnostic: (d: AscDiagnostic) => void diags.push(d),
    stdout: { write: () => undefined },
    stderr: { write: () => undefined },
  });
  const errors = diags.filter((d) => d.category === ERROR);
  if (errors.length || r.error || !binary) {
    // The first error in the user's file (lowest position), else the first one anywhere.
    const inUser = errors.filter((d) => d.range && resolve(root, d.range.source.normalizedPath) === replaced).sort((a, b) => a.range!.start - b.range!.start);
    const d = inUser[0] ?? errors[0];
    if (!d) throw new InputError(file, null, `the AssemblyScript compiler failed: ${r.error?.message ?? 'no output'}`);
    const code = `${d.code < 1000 ? 'AS' : 'TS'}${d.code}`;
    if (!d.range) throw new InputError(file, null, `${code}: ${d.message}`);
    const abs = resolve(root, d.range.source.normalizedPath);
    const [line, col] = lineCol(texts.get(abs) ?? '', d.range.start);
    const where = abs === replaced ? file : d.range.source.normalizedPath;
    throw new InputError(where, line, `${code}: ${d.message}${abs === replaced ? '' : ` (compiling ${file} as the core of ${base})`}`, col);
  }
  mkdirSync(coreCacheDir(root), { recursive: true });
  // asc's output through the cores' wasm-opt pass (build.ts), as make builds the built-in cores.
  const asced = `${out}.${process.pid}.asc.wasm`;
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    writeFileSync(asced, binary);
    const why = runWasmOpt(asced, tmp, root);
    if (why) throw new InputError(file, null, `cannot compile a wasm core: ${why}`);
    renameSync(tmp, out); // atomic: a worker never reads half a module
  } finally {
    rmSync(asced, { force: true });
    rmSync(tmp, { force: true });
  }
  return out;
}

/**
 * Load a user's core file: compile it (or take it from the cache) and
 * build its manifest, that of `<base>@wasm` under the file's name (kind
 * variant; `run` takes it where the base core boots).
 */
export async function loadCoreFile(file: string, path: string): Promise<KernelManifest> {
  const text = readFileSync(path, 'utf8');
  const from = coreFromMarker(text);
  if (from === null) throw new InputError(file, null, `names no core it was copied from (a line "${FROM_MARKER}linux-6.1@wasm" near the top; see vmapsim new-variant FILE.as.ts --from KERNEL@wasm)`);
  const base = coreBase(from);
  const core = findManifest(from);
  if (!base || !core) throw new InputError(file, null, `"${from}" names no wasm core (vmapsim bench lists the <kernel>@wasm names)`);
  const wasm = await compileUserCore(file, path, base.name, text);
  const name = coreVariantName(path);
  const key = `user:${wasm}`;
  registerCompiledCore(key, wasm);
  const create = base.allocator.wasm!.create;
  const id = { name, lines: base.allocator.lines ?? {}, core: key };
  return {
    ...core,
    name,
    kind: 'variant',
    base: from,
    description: `${from} as copied by vmapsim new-variant, with your changes (${file}), compiled to a wasm core`,
    allocatorOf: name,
    file: path,
    allocator: { ...core.allocator, create: (env) => create(env, id), wasm: undefined },
    apiLayer: undefined,
    native: undefined,
  };
}
