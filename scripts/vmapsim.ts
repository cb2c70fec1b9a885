#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmapsim: a kernel-faithful emulator of the Linux vmalloc allocator across
 * its history. This is the command line.
 */

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { dirname } from 'node:path';
import { versionNames } from '../kernel/mm/vmalloc/index';
import { benchOne, STREAMS, StreamName } from './bench/allocator';
import { gfs2AllocatorChild, gfs2Child } from './bench/gfs2-full';
import { benchCommand, benchFloorCommand, benchGfs2Command, benchMachineCommand, benchScaleCommand } from './cli/bench';
import { registerCheckCommand, replayInvariantPass } from './cli/check';
import { EXIT_BAD_INPUT, reportError } from './cli/exit';
import { kernelArg } from './cli/kernels';
import { isKernelFile, loadKernelFile } from './run/load-kernel';
import { newVariantCommand } from './cli/new-variant';
import { listCommand } from './cli/list';
import { mainJob } from './cli/main-job';
import { replayCommand } from './cli/replay';
import { replayTracefsCommand } from './cli/replay-tracefs';
import { runCommand } from './cli/run';
import { makeDir } from './lib/write-text';
import { GOLDEN_DEFAULT_NAME, goldenDir } from './lib/paths';

const out = (s: string) => process.stdout.write(s + '\n');
const err = (s: string) => process.stderr.write(s + '\n');

function cpuList(value: string): number[] {
  const list = value.split(',').map((s) => Number(s.trim()));
  for (const n of list) if (!Number.isInteger(n) || n < 1 || n > 512) throw new InvalidArgumentError('each CPU count must be a whole number from 1 to 512');
  return list;
}

function seedArg(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number of at least 0');
  return n;
}

function countArg(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

function cpuArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 512) throw new InvalidArgumentError('must be a whole number from 1 to 512');
  return n;
}

function streamList(value: string): StreamName[] {
  const names = value.split(',').map((s) => s.trim());
  for (const n of names) if (!STREAMS.includes(n as StreamName)) throw new InvalidArgumentError(`unknown stream "${n}" (known: ${STREAMS.join(', ')})`);
  return names as StreamName[];
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('vmapsim')
    .description("Kernel-faithful emulator of Linux's vmalloc allocator (mm/vmalloc.c) across its history")
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: (s, write) => write(`vmapsim: ${s.replace(/^error: /, '')}`) });

  program
    .command('replay')
    .description('replay golden traces (plain or gzip) on the version each header names, comparing every op, event and state line')
    .argument('[trace...]', 'trace files in the golden format (data/golden/FORMAT.md; the traces are data/golden/*.trace.gz)')
    .option('--json', 'print one JSON array of results')
    .option('-q, --quiet', 'print only divergences and errors')
    .option('--check', 'also check every allocator invariant after every op')
    .option('--wasm', 'replay on each version\'s wasm core (AssemblyScript, <version>@wasm: linux-2.6.35, linux-6.1) instead of its TypeScript port')
    .option('--tracefs <trace>', 'instead: replay a real kernel\'s tracefs vmalloc trace (plain or gzip) from --before')
    .option('--before <vmallocinfo>', 'with --tracefs: /proc/vmallocinfo read just before recording')
    .option('--after <vmallocinfo>', 'with --tracefs: /proc/vmallocinfo read just after, to compare the end state')
    .option('--html <file>', 'with --tracefs: write the comparison as a self-contained HTML page')
    .option('--no-infer-pools', 'with --tracefs: do not infer vmap-node pool contents from the trace (versions with vmap nodes, 2+ CPUs)')
    .addOption(new Option('--kernel <list>', 'with --tracefs: versions, comma separated, or all; one name puts that version first and compares every other (default: the version the trace file name starts with, else linux-6.12, then every other)').argParser(kernelArg('bench')))
    .option('--cpus <n>', 'with --tracefs: CPU count (default: the trace header\'s #P:N)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
      return n;
    })
    .action((files: string[], o: { json?: boolean; quiet?: boolean; check?: boolean; wasm?: boolean; tracefs?: string; before?: string; after?: string; kernel?: string[]; cpus?: number; html?: string; inferPools?: boolean }) => {
      if (o.tracefs !== undefined || o.before !== undefined) {
        if (o.tracefs === undefined || o.before === undefined || files.length) {
          err('vmapsim: replay --tracefs TRACE --before VMALLOCINFO takes no golden trace files and needs both options');
          process.exitCode = EXIT_BAD_INPUT;
          return;
        }
        process.exitCode = replayTracefsCommand({ tracefs: o.tracefs, before: o.before, after: o.after, kernel: o.kernel, cpus: o.cpus, json: o.json, html: o.html, inferPools: o.inferPools }, out);
        return;
      }
      if (!files.length) {
        err('vmapsim: replay: give golden trace files, or --tracefs TRACE --before VMALLOCINFO');
        process.exitCode = EXIT_BAD_INPUT;
        return;
      }
      process.exitCode = replayCommand(files, o, out, err).status;
      if (o.check) process.exitCode = Math.max(process.exitCode, replayInvariantPass(files, out, err, o.quiet || o.json));
    });

  program
    .command('bench')
    .description('allocator-only benchmark: replay the 1,000,000-op streams per version; ns/op and rb_entry/list_entry evaluations per allocation, next to the kernel\'s figures and, for every version but 6.12, the kernel\'s code compiled here with gcc -O2 and replayed in the same run (C here)')
    .addOption(new Option('--kernel <list>', 'versions, comma separated, or all').argParser(kernelArg('bench')).default(versionNames(), 'all'))
    .addOption(new Option('--stream <list>', `streams, comma separated (${STREAMS.join(', ')})`).argParser(streamList))
    .option('--repeat <n>', 'runs per measurement (the best is kept)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
      return n;
    })
    .addOption(new Option('--golden <dir>', 'folder with the bench streams').default(goldenDir(), GOLDEN_DEFAULT_NAME))
    .option('--json', 'print JSON (allocator: an array of {version, stream, nsPerOp, touchesPerAlloc, cHere?}; --machine: {cpus, checker, tlbHitsPerSec, walksPerSec})')
    .option('--machine', 'the machine: TLB-hit and full-walk translations per second at 1, 8 and 64 CPUs, checker on and off')
    .option('--gfs2', 'gfs2-vmalloc-loop on the machine, checker off and on: wall time, CPU time, peak memory')
    .option('--iterations <n>', 'with --gfs2: loop count', countArg, 1000000)
    .option('--cpus <n>', 'with --gfs2: emulated CPUs', cpuArg, 64)
    .option('--scale', 'cost per allocation against live areas (1k..1M), flush cost against CPU count (1..512)')
    .option('--floor', 'the search loops in C (gcc -O2) and in JavaScript (the ports\' objects, typed arrays): ns per step and ratios')
    .option('--html <file>', 'with --scale: write the plots and tables to an HTML file')
    .action((o: { kernel: string[]; stream?: StreamName[]; repeat?: number; golden: string; json?: boolean; machine?: boolean; gfs2?: boolean; iterations: number; cpus: number; scale?: boolean; floor?: boolean; html?: string }) => {
      if (o.machine) benchMachineCommand({ json: o.json }, out);
      else if (o.gfs2) benchGfs2Command(process.argv[1], { json: o.json, kernel: o.kernel, iterations: o.iterations, cpus: o.cpus }, out);
      else if (o.floor) benchFloorCommand({ json: o.json }, out);
      else if (o.scale) benchScaleCommand({ json: o.json, kernel: o.kernel, html: o.html }, out);
      else benchCommand({ kernel: o.kernel, stream: o.stream, repeat: o.repeat, golden: o.golden, json: o.json, self: process.argv[1] }, out);
    });

  program
    .command('bench-alloc-child', { hidden: true })
    .argument('<golden>')
    .argument('<version>')
    .argument('<stream>')
    .argument('<repeat>')
    .action((golden: string, version: string, stream: string, repeat: string) => {
      // A user's variant comes as its file (the parent loaded and checked it).
      const name = isKernelFile(version) ? loadKernelFile(version, { check: false }).name : version;
      out(JSON.stringify(benchOne(golden, name, stream as StreamName, Number(repeat))));
    });

  program
    .command('bench-gfs2-child', { hidden: true })
    .argument('<version>')
    .argument('<cpus>')
    .argument('<iterations>')
    .argument('<config>')
    .action((version: string, cpus: string, iterations: string, config: string) => {
      const row = config === 'allocator' ? gfs2AllocatorChild(version, Number(cpus), Number(iterations)) : gfs2Child(version, Number(cpus), Number(iterations), config === 'true');
      out(JSON.stringify(row));
    });

  program
    .command('list')
    .description('list the kernel versions with their sources and descriptions')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => listCommand(o, out));

  registerCheckCommand(program, out, err);

  program
    .command('new-variant')
    .description('write a standalone copy of a kernel\'s allocator port (with --api, its API layer too) as your own variant; then --kernel ./FILE.ts')
    .argument('<file>', 'the .ts file to write (its name, without .ts, names the variant)')
    .requiredOption('--from <kernel>', 'the kernel to copy (vmapsim list)')
    .option('--api', 'copy the API layer too (FILE without .ts + .api.ts)')
    .option('--force', 'overwrite existing files')
    .action((file: string, o: { from: string; api?: boolean; force?: boolean }) => {
      process.exitCode = newVariantCommand(file, o, out, err);
    });

  program
    .command('run')
    .description('run a scenario over kernel versions and CPU counts; a comparison table, --json or --html')
    .argument('<scenario>', 'a built-in scenario (vmapsim list) or a path to your own .ts/.js scenario file')
    .argument('[params...]', 'scenario parameters as name=value')
    .addOption(new Option('--kernel <list>', 'kernels, comma separated, or all').argParser(kernelArg('run')))
    .option('--cpus <list>', 'CPU counts, comma separated (1 to 512)', cpuList)
    .option('--seed <n>', 'seed of every random choice', seedArg, 1)
    .option('--flush-era <era>', 'pair the allocators with another flush era')
    .option('--costs <profile>', 'cost profile: hardware (default), qemu-tcg, or a JSON file (docs/concurrency.md)')
    .option('--timeline <file>', 'write the per-CPU timeline in modelled time (Chrome trace-event JSON: ui.perfetto.dev, chrome://tracing)')
    .option('--json', 'print one JSON object (schema: docs/run-json.md)')
    .option('--trace', 'print kernel-format trace lines instead of the table')
    .option('--html <file>', 'write a self-contained HTML report with plots')
    .action((scenario: string, params: string[], o: { kernel?: string[]; cpus?: number[]; seed: number; flushEra?: string; costs?: string; timeline?: string; json?: boolean; trace?: boolean; html?: string }) => {
      process.exitCode = runCommand(scenario, params, o, out, err);
    });

  program
    .command('main')
    .description('the main job of `make run`: replay every golden trace of every version, then the gfs2-vmalloc-loop headline with an HTML report')
    .addOption(new Option('--golden <dir>', 'folder with the golden traces').default(goldenDir(), GOLDEN_DEFAULT_NAME))
    .option('--bench', 'also run the allocator benchmark (minutes)')
    .option('--iterations <n>', 'gfs2-vmalloc-loop iterations of the headline', countArg, 25000)
    .option('--html <file>', 'where to write the headline HTML report', 'out/vmapsim-report.html')
    .action((o: { golden: string; bench?: boolean; iterations: number; html: string }) => {
      makeDir(dirname(o.html));
      process.exitCode = mainJob(o.golden, { bench: o.bench === true, iterations: o.iterations, html: o.html }, out, err);
    });

  return program;
}

export function run(argv: string[]): void {
  // A reader that goes away (`vmapsim ... | head`) is not an error.
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  try {
    buildProgram().parse(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
      return;
    }
    process.exitCode = reportError(e, err);
  }
}

if (require.main === module) run(process.argv);
