// SPDX-License-Identifier: GPL-2.0-only
/* Test helper: how an AssemblyScript core that is a whole copy of another differs from it, below the header comment. */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** The lines of kernel/mm/vmalloc/as/<name>.ts from its first import on. */
function body(name: string): string[] {
  const text = readFileSync(resolve(ROOT, 'kernel/mm/vmalloc/as', `${name}.ts`), 'utf8');
  return text.slice(text.indexOf('\nimport ') + 1).split('\n');
}

/** The [base, copy] line pairs that differ (the two bodies have the same number of lines, or the result says so). */
export function changedLines(base: string, copy: string): [string, string][] {
  const a = body(base);
  const b = body(copy);
  if (a.length !== b.length) return [[`${a.length} lines`, `${b.length} lines`]];
  return a.map((l, i) => [l, b[i]!] as [string, string]).filter(([x, y]) => x !== y);
}
