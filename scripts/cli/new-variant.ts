// SPDX-License-Identifier: GPL-2.0-only
/* `vmapsim new-variant FILE --from KERNEL [--api]`: your own copy of a port (scripts/lib/new-variant.ts), or of a wasm core (FILE.as.ts --from KERNEL@wasm). */

import type { Command } from 'commander';
import { newVariantCommand } from '../lib/new-variant.js';
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  path: ['new-variant'],
  summary: "write a standalone copy of a kernel's allocator port (with --api, its API layer too), or with --from KERNEL@wasm of its wasm core (FILE.as.ts, compiled when loaded), as your own variant; then --kernel ./FILE.ts",
  define(cmd: Command) {
    cmd
      .argument('<file>', 'the .ts file to write (its name, without .ts, names the variant); .as.ts for a wasm core')
      .requiredOption('--from <kernel>', 'the kernel to copy (vmapsim list), or KERNEL@wasm for its wasm core')
      .option('--api', 'copy the API layer too (FILE without .ts + .api.ts)')
      .option('--force', 'overwrite existing files');
  },
  action(cmd, { out, err }) {
    const [file] = cmd.processedArgs as [string];
    return newVariantCommand(file, cmd.opts<{ from: string; api?: boolean; force?: boolean }>(), out, err);
  },
};
