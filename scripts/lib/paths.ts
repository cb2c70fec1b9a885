// SPDX-License-Identifier: GPL-2.0-only
/* Where the shared reference material lives: ../shared beside the checkout. */

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The checkout's root (this file is scripts/lib/ or dist/scripts/lib/). */
export function repoRoot(): string {
  const up2 = resolve(__dirname, '..', '..');
  return existsSync(resolve(up2, 'package.json')) ? up2 : resolve(up2, '..');
}

/** The golden traces: $VMAPSIM_GOLDEN, else ../shared/golden beside the checkout. */
export function goldenDir(): string {
  return process.env.VMAPSIM_GOLDEN ?? resolve(repoRoot(), '..', 'shared', 'golden');
}
