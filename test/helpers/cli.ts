// SPDX-License-Identifier: GPL-2.0-only
/* Running vmapsim from its TypeScript sources in a child process, as the CLI tests do. */

import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The checkout's root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');

/** The node options that load the sources as ES modules (ts-node's ESM loader, scripts/register-ts.mjs). */
export const FROM_SOURCES: readonly string[] = ['--import', pathToFileURL(join(ROOT, 'scripts', 'register-ts.mjs')).href];
