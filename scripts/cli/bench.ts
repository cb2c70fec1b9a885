// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vmapsim bench`: the allocator-only bench (scripts/bench/command.ts). The
 * other benches are its subcommands: bench machine, gfs2, scale, floor
 * (bench-*.ts). Benches print figures; no test asserts them.
 */

import type { Command } from 'commander';
import { Option } from 'commander';
import { versionNames } from '../../kernel/mm/vmalloc/index.js';
import { STREAMS, type StreamName } from '../bench/allocator.js';
import { benchCommand } from '../bench/command.js';
import { GOLDEN_DEFAULT_NAME, goldenDir } from '../lib/paths.js';
import { countArg, streamList } from './args.js';
import type { CliCommand } from './command.js';
import { kernelArg } from './kernels.js';

interface Options {
  kernel: string[];
  stream?: StreamName[];
  repeat?: number;
  golden: string;
  json?: boolean;
}

export const command: CliCommand = {
  path: ['bench'],
  summary:
    "allocator-only benchmark: replay the 1,000,000-op streams per version; ns/op and rb_entry/list_entry evaluations per allocation, next to the kernel's figures and, for every version but 6.12, the kernel's code compiled here with gcc -O2 and replayed in the same run (C here)",
  define(cmd: Command) {
    cmd
      .addOption(new Option('--kernel <list>', 'versions, comma separated, or all').argParser(kernelArg('bench')).default(versionNames(), 'all'))
      .addOption(new Option('--stream <list>', `streams, comma separated (${STREAMS.join(', ')})`).argParser(streamList))
      .option('--repeat <n>', 'runs per measurement (the best is kept)', countArg)
      .addOption(new Option('--golden <dir>', 'folder with the bench streams').default(goldenDir(), GOLDEN_DEFAULT_NAME))
      .option('--json', 'print one JSON array of {version, stream, nsPerOp, touchesPerAlloc, cHere?}');
  },
  action(cmd, { out }) {
    const o = cmd.opts<Options>();
    benchCommand({ kernel: o.kernel, stream: o.stream, repeat: o.repeat, golden: o.golden, json: o.json, self: process.argv[1] }, out);
  },
};
