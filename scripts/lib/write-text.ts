// SPDX-License-Identifier: GPL-2.0-only
/* Write an output file (an HTML report, a saved trace), turning every failure into an InputError. */

import { mkdirSync, writeFileSync } from 'node:fs';
import { InputError } from './input-error.js';

export function writeText(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(file, null, code === 'ENOENT' ? 'cannot write: no such directory' : `cannot write (${code ?? String(e)})`);
  }
}

/** mkdir -p, with the same one-line failure. */
export function makeDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new InputError(dir, null, `cannot create the directory (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}
