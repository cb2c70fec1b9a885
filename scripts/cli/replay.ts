// SPDX-License-Identifier: GPL-2.0-only
/* `vmapsim replay FILE...`: golden traces, op by op (scripts/replay/command.ts); --check adds the invariant pass. */

import type { Command } from 'commander';
import { replayInvariantPass } from '../check/replay-check.js';
import { EXIT_BAD_INPUT } from '../lib/exit.js';
import { replayCommand } from '../replay/command.js';
import { costsOption } from './costs.js';
import type { CliCommand } from './command.js';

interface Options {
  json?: boolean;
  quiet?: boolean;
  check?: boolean;
  wasm?: boolean;
}

export const command: CliCommand = {
  path: ['replay'],
  summary: 'replay golden traces (plain or gzip) on the version each header names, comparing every op, event and state line',
  define(cmd: Command) {
    cmd
      .argument('[trace...]', 'trace files in the golden format (data/golden/FORMAT.md; the traces are data/golden/*.trace.gz)')
      .option('--json', 'print one JSON array of results')
      .option('-q, --quiet', 'print only divergences and errors')
      .option('--check', 'also check every allocator invariant after every op')
      .option('--wasm', "replay on each version's wasm core (AssemblyScript, <version>@wasm: linux-2.6.35, linux-5.2, linux-6.1) instead of its TypeScript port")
      .addOption(costsOption('replay runs the allocator alone, with no modelled time, so it is accepted and changes nothing replay prints'));
  },
  action(cmd, { out, err }) {
    const [files] = cmd.processedArgs as [string[]];
    const o = cmd.opts<Options>();
    if (!files.length) {
      err('vmapsim: replay: give golden trace files (a real kernel\'s tracefs trace: vmapsim replay tracefs TRACE --before VMALLOCINFO)');
      return EXIT_BAD_INPUT;
    }
    let status = replayCommand(files, o, out, err).status;
    if (o.check) status = Math.max(status, replayInvariantPass(files, out, err, o.quiet || o.json));
    return status;
  },
};
