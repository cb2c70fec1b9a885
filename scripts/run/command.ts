// SPDX-License-Identifier: GPL-2.0-only
/* `vmapsim run SCENARIO ...` (scripts/cli/run.ts): one scenario over kernels x CPU counts; table, JSON or HTML. */

import { writeText } from '../lib/write-text.js';
import { type CostTable, CostTableError, resolveCostProfile } from '../../hw/costs.js';
import { versionNames } from '../../kernel/mm/vmalloc/index.js';
import { InputError } from '../lib/input-error.js';
import { loadScenarioFile } from './load.js';
import { ParamError, parseParams } from './params.js';
import { type MatrixResult, runMatrix } from './runner.js';
import { DeadlockError } from '../../kernel/kernel/locking/spinlock.js';
import { lock_stat_show } from '../../kernel/kernel/locking/lockdep_proc.js';
import type { Scenario } from './scenario.js';
import { formatTable, toJson } from '../report/table.js';
import { findScenario, scenarioNames } from '../scenarios/index.js';
import { EXIT_BAD_INPUT, EXIT_OK } from '../lib/exit.js';
import { progress } from '../lib/progress.js';

export interface RunOptions {
  kernel?: string[];
  cpus?: number[];
  seed: number;
  flushEra?: string;
  /** --costs NAME|FILE */
  costs?: string;
  /** --timeline FILE */
  timeline?: string;
  /** --lock-stat: each run's /proc/lock_stat after the table */
  lockStat?: boolean;
  json?: boolean;
  trace?: boolean;
  html?: string;
}

export async function resolveScenario(name: string): Promise<Scenario> {
  if (/[/\\]|\.[cm]?[jt]s$/.test(name)) return loadScenarioFile(name);
  const s = findScenario(name);
  if (!s) throw new ParamError(`unknown scenario "${name}" (known: ${scenarioNames().join(', ')}; or a path to your own .ts/.js file)`);
  return s;
}

export async function runCommand(name: string, words: string[], opts: RunOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let scenario: Scenario;
  let params;
  let costs: CostTable | undefined;
  try {
    scenario = await resolveScenario(name);
    params = parseParams(scenario.name, scenario.params, words);
    if (opts.costs !== undefined) costs = resolveCostProfile(opts.costs);
  } catch (e) {
    if (e instanceof ParamError || e instanceof InputError || e instanceof CostTableError) {
      err(`vmapsim: ${e.message}`);
      return EXIT_BAD_INPUT;
    }
    throw e;
  }
  const kernels = opts.kernel ?? scenario.defaults?.kernels ?? versionNames();
  const cpus = opts.cpus ?? scenario.defaults?.cpus ?? [1];
  const bar = progress(!opts.json && !opts.trace);
  const started = Date.now();
  let shown = false;
  let m: MatrixResult;
  try {
    m = runMatrix(scenario, {
    kernels,
    cpus,
    seed: opts.seed,
    params,
    flushEra: opts.flushEra,
    costs,
    timeline: opts.timeline !== undefined,
    trace: opts.trace ? out : undefined,
    onCell: (i, total, k, c) => {
      if (!shown && Date.now() - started > 1000) {
        bar.start(total, '');
        shown = true;
      }
      if (shown) bar.update(i, `${k} ${c} cpus`);
    },
  });
  } catch (e) {
    if (shown) bar.stop();
    if (!(e instanceof DeadlockError) && !(e instanceof Error && e.name === 'DeadlockError')) throw e; // a user's scenario file may load its own copy of the module
    err(`vmapsim: ${name}: ${e.message}`);
    return EXIT_BAD_INPUT;
  }
  if (shown) bar.stop();
  if (opts.timeline !== undefined) writeTimelines(opts.timeline, m, opts.json ? err : out);
  if (opts.json) out(JSON.stringify(toJson(m), null, 2));
  else if (!opts.trace) out(formatTable(m));
  if (opts.lockStat && !opts.json) out(lockStatText(m));
  if (opts.html) {
    // Loaded only for --html.
    const { commandLine, renderHtml } = await import('../report/html.js');
    const command = commandLine([
      'vmapsim', 'run', name, ...words,
      '--kernel', kernels.join(','), '--cpus', cpus.join(','), '--seed', String(opts.seed),
      ...(opts.flushEra ? ['--flush-era', opts.flushEra] : []),
    ]);
    writeText(opts.html, renderHtml(m, { command }));
    if (!opts.json) out(`HTML report: ${opts.html}`);
  }
  return EXIT_OK;
}

/** --lock-stat: each run's /proc/lock_stat, in microseconds of modelled time. */
export function lockStatText(m: MatrixResult): string {
  return m.cells
    .map((c) => {
      const ls = c.result.lockStat;
      const head = `/proc/lock_stat of ${c.kernel} on ${c.cpus} CPU${c.cpus === 1 ? '' : 's'}`;
      if (!ls) return `${head}: ${m.scenario} records no locks`;
      return `${head} (modelled time at ${ls.clockHz / 1e9} GHz; no contention points, docs/concurrency.md "lock_stat"):\n${lock_stat_show(ls.classes, ls.clockHz)}`;
    })
    .join('\n');
}

/** --timeline FILE: one cell's timeline in FILE; several: FILE with .KERNEL.Ncpus before its extension. */
function writeTimelines(file: string, m: MatrixResult, say: (s: string) => void): void {
  const cells = m.cells.filter((c) => c.result.timeline !== undefined);
  if (!cells.length) {
    say(`vmapsim: ${m.scenario} records no timeline; --timeline works with vmalloc-loop and test_vmalloc`);
    return;
  }
  for (const c of cells) {
    const name = cells.length === 1 ? file : file.replace(/(\.[^./]+)?$/, (ext) => `.${c.kernel}.${c.cpus}cpus${ext}`);
    writeText(name, c.result.timeline as string);
    say(`timeline: ${name} (open it in ui.perfetto.dev or chrome://tracing)`);
  }
}
