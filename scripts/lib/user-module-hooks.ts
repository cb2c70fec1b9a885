// SPDX-License-Identifier: GPL-2.0-only
/*
 * Module customization hooks (node:module register()) for a user's own
 * files: a variant (`--kernel ./mine.ts`) or a scenario (`vmapsim run
 * ./my.ts`), anywhere on disk. Registered by scripts/lib/user-module.ts.
 *
 * - `vmapsim/<path>` names the running vmapsim's module <path> (dist/ when
 *   built, the TypeScript sources when run from them), from any folder, so
 *   the file shares the registry and every class with the tool.
 * - A user's .ts file (any .ts when running from dist/) is transpiled to an
 *   ES module with the TypeScript compiler (no type check here: that is
 *   load-kernel's typeCheck); the sources of a checkout run from
 *   TypeScript go on to the loader already registered (ts-node).
 * - A relative import from a user's file may name `./x.js` or `./x` for
 *   the file x.ts beside it.
 */

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface UserModuleHooksData {
  /** file: URL of the code root, with a trailing slash: dist/ or the checkout. */
  readonly codeRoot: string;
  /** The code root holds .ts sources (run under ts-node), not dist's .js. */
  readonly fromSources: boolean;
}

interface ResolveResult { url: string; format?: string | null; shortCircuit?: boolean }
interface LoadResult { format: string; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean }
type NextResolve = (specifier: string, context?: ResolveContext) => Promise<ResolveResult>;
type NextLoad = (url: string, context?: LoadContext) => Promise<LoadResult>;
interface ResolveContext { parentURL?: string; conditions?: string[]; importAttributes?: Record<string, string> }
interface LoadContext { format?: string | null; conditions?: string[]; importAttributes?: Record<string, string> }

let root = '';
let fromSources = false;

export function initialize(data: UserModuleHooksData): void {
  root = data.codeRoot;
  fromSources = data.fromSources;
}

/** A .ts file this hook transpiles: a user's (outside the checkout's sources) or any when running from dist/. */
function ownsTs(url: string): boolean {
  return url.startsWith('file:') && /\.[cm]?ts$/.test(new URL(url).pathname) && (!fromSources || !url.startsWith(root));
}

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<ResolveResult> {
  if (specifier.startsWith('vmapsim/')) {
    const path = specifier.slice('vmapsim/'.length).replace(/\.js$/, '');
    return next(new URL(`${path}${fromSources ? '.ts' : '.js'}`, root).href, context);
  }
  const parent = context.parentURL;
  if (parent && ownsTs(parent) && (specifier.startsWith('./') || specifier.startsWith('../'))) {
    const file = fileURLToPath(new URL(specifier, parent));
    const ts = /\.js$/.test(file) ? file.replace(/\.js$/, '.ts') : `${file}.ts`;
    if (!existsSync(file) && existsSync(ts)) return { url: pathToFileURL(ts).href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url: string, context: LoadContext, next: NextLoad): Promise<LoadResult> {
  if (!ownsTs(url)) return next(url, context);
  const { default: ts } = await import('typescript');
  const fileName = fileURLToPath(url);
  const out = ts.transpileModule(readFileSync(fileName, 'utf8'), {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true, inlineSources: false },
  });
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
