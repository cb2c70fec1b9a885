// SPDX-License-Identifier: GPL-2.0-only
/*
 * Import a user's own module file (a variant for --kernel, a scenario for
 * `vmapsim run FILE`) from anywhere on disk, TypeScript or JavaScript: an
 * ES module import through the hooks of scripts/lib/user-module-hooks.ts,
 * registered once per thread.
 */

import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { UserModuleHooksData } from './user-module-hooks.js';

/** Where `vmapsim/<path>` resolves at run time: the root of the running code (dist/ or the checkout). */
export const codeRoot = resolve(import.meta.dirname, '..', '..');

/** Running from the TypeScript sources (under ts-node), not from dist/. */
const fromSources = import.meta.url.endsWith('.ts');

let registered = false;

function registerHooks(): void {
  if (registered) return;
  registered = true;
  // Stack traces of a transpiled user file name its own lines (the hooks emit inline source maps).
  process.setSourceMapsEnabled(true);
  const data: UserModuleHooksData = { codeRoot: pathToFileURL(codeRoot + '/').href, fromSources };
  register(new URL(`./user-module-hooks.${fromSources ? 'ts' : 'js'}`, import.meta.url).href, { data });
}

/** The module's namespace object; a file that does not load throws what the import threw. */
export async function importUserFile(path: string): Promise<Record<string, unknown>> {
  registerHooks();
  return (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
}
