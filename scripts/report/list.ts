// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vmapsim list`: the scenarios, the allocator ports, the kernels a machine
 * scenario can boot (allocator + API layer + flush era), the check
 * variants and the wasm cores, with descriptions: every name --kernel
 * accepts somewhere.
 */

import { findManifest, wasmCoreNames } from '../../kernel/manifest/index.js';
import { KERNELS } from '../../kernel/mm/vmalloc/api/index.js';
import { VERSIONS } from '../../kernel/mm/vmalloc/index.js';
import { CHECK_VARIANTS } from '../check/contenders.js';
import { describeParams } from '../run/params.js';
import { SCENARIOS } from '../scenarios/index.js';

export function listCommand(opts: { json?: boolean }, out: (s: string) => void): void {
  if (opts.json) {
    out(
      JSON.stringify(
        {
          versions: VERSIONS.map(({ create: _c, ...v }) => v),
          scenarios: SCENARIOS.map((s) => ({ name: s.name, description: s.description, params: s.params, versions: s.versions ?? null })),
          kernels: KERNELS,
          checkVariants: Object.entries(CHECK_VARIANTS).map(([name, v]) => ({ name, description: v.what })),
          wasmCores: wasmCores(),
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
  out('');
  out('Kernels on the machine (vmapsim run --kernel): allocator + API layer + TLB-flush era');
  for (const k of KERNELS) out(`  ${k.name.padEnd(26)} ${k.allocator} + ${k.api} API + ${k.flushEra} flushes: ${k.description}`);
  out('');
  out('Check variants (vmapsim check --kernel/--against): a port with one change');
  for (const [name, v] of Object.entries(CHECK_VARIANTS)) out(`  ${name.padEnd(26)} ${v.what}`);
  out('');
  out('Wasm cores (NAME@wasm: the same allocator in AssemblyScript, docs/wasm.md): replay --wasm, bench, check; run where it boots');
  for (const c of wasmCores()) out(`  ${c.name.padEnd(30)} ${c.variant ? 'check' : 'replay, bench, check'}${c.boots ? ', run (under its version\'s API layer)' : ''}`);
}

/** The `<name>@wasm` cores: a check variant's or a version's, and whether it boots on the machine under its version's API layer (`vmapsim run`). */
function wasmCores(): { name: string; variant: boolean; boots: boolean }[] {
  return wasmCoreNames().map((name) => {
    const m = findManifest(name);
    return { name, variant: m?.kind === 'variant', boots: m?.machine !== undefined };
  });
}
