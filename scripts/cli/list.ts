// SPDX-License-Identifier: GPL-2.0-only
/* `vmapsim list`: the kernel versions (and, later, scenarios) with descriptions. */

import { VERSIONS } from '../../kernel/mm/vmalloc/index';
import { describeParams } from '../run/params';
import { SCENARIOS } from '../scenarios/index';

export function listCommand(opts: { json?: boolean }, out: (s: string) => void): void {
  if (opts.json) {
    out(
      JSON.stringify(
        {
          versions: VERSIONS.map(({ create: _c, ...v }) => v),
          scenarios: SCENARIOS.map((s) => ({ name: s.name, description: s.description, params: s.params, versions: s.versions ?? null })),
        },
        null,
        2,
      ),
    );
    return;
  }
  out('Scenarios (vmapsim run NAME [name=value ...]):');
  for (const s of SCENARIOS) {
    out(`  ${s.name.padEnd(26)} ${s.description}`);
    for (const p of describeParams(s.params)) out(`  ${''.padEnd(26)}   ${p}`);
  }
  out('');
  out('Kernel versions (allocator ports):');
  for (const v of VERSIONS) {
    out(`  ${v.name.padEnd(26)} ${v.description}`);
    out(`  ${''.padEnd(26)} release: ${v.release}; commit: ${v.commit}`);
    out(`  ${''.padEnd(26)} text: ${v.source}`);
  }
}
