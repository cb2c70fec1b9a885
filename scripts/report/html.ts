// SPDX-License-Identifier: GPL-2.0-only
/*
 * The HTML report of `vmapsim run --html FILE`: one self-contained page (the
 * plotting library is inlined, no network is needed to view it) with the
 * run's command line, vmapsim's version and the seed, the plots (Vega-Lite,
 * scripts/report/plots.ts), the table, the summary and each run's
 * /proc/lock_stat.
 */

import type { MatrixResult } from '../run/runner.js';
import { barPlot, esc, linePlot, page, type Plot, plotHtml, shortName, stackedBars, vegaVersions, vmapsimVersion } from './plots.js';
import { TABLE_COLUMNS } from './table.js';
import { lock_stat_show } from '../../kernel/kernel/locking/lockdep_proc.js';

function table(m: MatrixResult): string {
  const head = TABLE_COLUMNS.map((c) => `<th>${esc(c.head)}</th>`).join('');
  const rows = m.cells.map((c) => `<tr>${TABLE_COLUMNS.map((col) => `<td>${esc(col.cell(c))}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table id="figures"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** What the page says about the run besides the matrix. */
export interface HtmlMeta {
  /** A command line that runs this matrix again. */
  command: string;
}

/**
 * Stacked bars of a cost's parts (rows with kernel, version, cpus and
 * `cycles`): one panel per kernel against the CPU count when the matrix has
 * several, else one bar per kernel. `what` is the title up to its open
 * parenthesis, which this closes.
 */
function breakdown(o: { id: string; what: string; y: string; part: { field: string; title: string }; rows: Record<string, string | number>[]; grid: boolean; cpus: number }): Plot {
  const y = { field: 'cycles', title: o.y };
  return o.grid
    ? stackedBars({ id: o.id, title: `${o.what}) per kernel against the CPU count`, x: { field: 'cpus', title: 'CPUs' }, y, part: o.part, rows: o.rows, facet: { field: 'kernel', title: 'kernel' } })
    : stackedBars({ id: o.id, title: `${o.what}, ${o.cpus} CPUs)`, x: { field: 'version', title: 'kernel' }, y, part: o.part, rows: o.rows });
}

/** The plots of a matrix, each in the form its data asks for. */
export function matrixPlots(m: MatrixResult): Plot[] {
  const cpuCounts = [...new Set(m.cells.map((c) => c.cpus))].sort((a, b) => a - b);
  const grid = cpuCounts.length > 1;
  const cpuLabel = (n: number) => `${n} CPU${n === 1 ? '' : 's'}`;
  const plots: Plot[] = [];
  // 1. areas touched per allocation over the run, per version (small multiples per CPU count)
  const touch = m.cells.flatMap((cell) => {
    const s = cell.result.touchSeries ?? [];
    const stride = s.length ? cell.result.figures.allocations / s.length : 1;
    return s.map((v, i) => ({ kernel: cell.kernel, ...(grid ? { cpus: cpuLabel(cell.cpus) } : {}), allocation: Math.round(i * stride) + 1, touches: v }));
  });
  if (touch.length)
    plots.push(
      linePlot({
        id: 'plot-touches',
        title: 'Areas touched per allocation (rb_entry/list_entry evaluations)',
        x: { field: 'allocation', title: 'allocation' },
        y: { field: 'touches', title: 'areas touched' },
        series: { field: 'kernel', title: 'kernel' },
        rows: touch,
        facet: grid ? { field: 'cpus', title: 'CPU count', sort: cpuCounts.map(cpuLabel) } : undefined,
      }),
    );
  // 2. modelled cost per operation: bars at one CPU count, lines against the CPU count otherwise
  const cost = m.cells.filter((c) => c.result.figures.cyclesPerOp !== null).map((c) => ({ kernel: c.kernel, cpus: c.cpus, cyclesPerOp: c.result.figures.cyclesPerOp as number }));
  if (cost.length && new Set(cost.map((c) => c.cpus)).size === 1)
    plots.push(barPlot({ id: 'plot-cost', title: `Modelled cost per operation (${cost[0]!.cpus} CPUs)`, x: { field: 'kernel', title: 'kernel' }, y: { field: 'cyclesPerOp', title: 'cycles per op' }, rows: cost }));
  else if (cost.length)
    plots.push(
      linePlot({
        id: 'plot-cost',
        title: 'Modelled cost per operation against the CPU count',
        x: { field: 'cpus', title: 'CPUs (log2 scale)', log2: true },
        y: { field: 'cyclesPerOp', title: 'cycles per op' },
        series: { field: 'kernel', title: 'kernel' },
        rows: cost,
        points: true,
      }),
    );
  // 3. flush cost breakdown: per kernel at one CPU count; small multiples per kernel over CPU counts
  const flush = m.cells
    .filter((c) => c.result.flushCost)
    .flatMap((c) => Object.entries(c.result.flushCost as Record<string, number>).map(([part, cycles]) => ({ kernel: c.kernel, version: shortName(c.kernel), cpus: c.cpus, part, cycles })));
  if (flush.some((r) => r.cycles > 0)) plots.push(breakdown({ id: 'plot-flush', what: 'Flush cost breakdown (modelled cycles', y: 'cycles', part: { field: 'part', title: 'component' }, rows: flush, grid, cpus: cpuCounts[0]! }));
  // 4. lock waits by class (lock_stat's waittime-total), where the runs waited at all
  const waits = m.cells.flatMap((c) =>
    (c.result.lockStat?.classes ?? []).map((l) => ({ kernel: c.kernel, version: shortName(c.kernel), cpus: c.cpus, lock: l.name, cycles: l.waittimeTotal })),
  );
  if (waits.some((r) => r.cycles > 0)) plots.push(breakdown({ id: 'plot-lock-waits', what: 'Lock waits by lock class (modelled cycles, all CPUs', y: 'wait cycles', part: { field: 'lock', title: 'lock class' }, rows: waits, grid, cpus: cpuCounts[0]! }));
  return plots;
}

/** Each run's /proc/lock_stat, for the runs that took a lock: the kernel's text (kernel/kernel/locking/lockdep_proc.ts). */
function lockStats(m: MatrixResult): string {
  const runs = m.cells.filter((c) => c.result.lockStat?.classes.some((l) => l.acquisitions > 0));
  if (!runs.length) return '';
  return `<h2 id="lock-stat">Locks (/proc/lock_stat)</h2>
<p>Per lock class: contentions and bounces, wait and hold times (min, max, total, average) in microseconds of modelled time, most contended first; no contention points.</p>
${runs.map((c) => `<h3>${esc(c.kernel)} (${c.cpus} CPU${c.cpus === 1 ? '' : 's'})</h3><div class="table-wrap"><pre>${esc(lock_stat_show(c.result.lockStat!.classes, c.result.lockStat!.clockHz))}</pre></div>`).join('\n')}`;
}

export function renderHtml(m: MatrixResult, meta: HtmlMeta): string {
  const extras = m.cells.flatMap((c) => [
    ...(c.result.bug ? [`<h3>${esc(c.kernel)} (${c.cpus} CPUs): kernel BUG at op ${c.result.bug.op}</h3><pre>${esc(c.result.bug.oops)}</pre>`] : []),
    ...(c.result.reports ?? []).map((r) => `<h3>${esc(c.kernel)} (${c.cpus} CPUs): TLB-coherence report</h3><pre>${esc(r)}</pre>`),
  ]);
  const params = Object.entries(m.params).map(([k, v]) => `${k}=${v}`).join(' ') || 'no parameters';
  const body = `<h1>${esc(m.scenario)}</h1>
<p>${esc(m.description)}</p>
<dl class="run" id="run">
<dt>command line</dt><dd><code>${esc(meta.command)}</code></dd>
<dt>vmapsim</dt><dd>${esc(vmapsimVersion())}</dd>
<dt>seed</dt><dd>${m.seed}</dd>
<dt>parameters</dt><dd>${esc(params)}</dd>
<dt>plots</dt><dd>${esc(vegaVersions())}, inlined (no network needed); hover for values, click a legend entry to single it out (shift-click for more), drag or scroll to zoom, double-click to reset both; the … menu saves SVG/PNG or shows the spec</dd>
</dl>
${matrixPlots(m).map(plotHtml).join('\n')}
${table(m)}
${m.summary.length ? `<h2>Summary</h2><pre id="summary">${esc(m.summary.join('\n'))}</pre>` : ''}
${lockStats(m)}
${extras.join('\n')}`;
  return page(`vmapsim: ${m.scenario}`, body);
}

/** The shell command that runs a matrix again (arguments quoted where the shell needs it). */
export function commandLine(words: readonly string[]): string {
  return words.map((w) => (/^[A-Za-z0-9_./:=,+@%-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}
