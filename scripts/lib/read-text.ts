// SPDX-License-Identifier: GPL-2.0-only
/* Read a plain or gzip'd text file, turning every failure into an InputError. */

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { InputError } from './input-error.js';

export function readText(file: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(file, null, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(e)})`);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new InputError(file, null, `truncated or corrupt gzip data (${(e as Error).message})`);
    }
  }
  return buf.toString('utf8');
}
