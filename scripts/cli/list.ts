// SPDX-License-Identifier: GPL-2.0-only
/* `vmapsim list`: the kernel versions (and, later, scenarios) with descriptions. */

import { VERSIONS } from '../../kernel/mm/vmalloc/index';

export function listCommand(opts: { json?: boolean }, out: (s: string) => void): void {
  if (opts.json) {
    out(JSON.stringify({ versions: VERSIONS.map(({ create: _c, ...v }) => v) }, null, 2));
    return;
  }
  out('Kernel versions (allocator ports):');
  for (const v of VERSIONS) {
    out(`  ${v.name.padEnd(26)} ${v.description}`);
    out(`  ${''.padEnd(26)} release: ${v.release}; commit: ${v.commit}`);
    out(`  ${''.padEnd(26)} text: ${v.source}`);
  }
}
