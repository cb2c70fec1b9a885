// SPDX-License-Identifier: GPL-2.0-only
/*
 * The HTML report of `vmapsim run --html FILE`: one self-contained page (no
 * script, no network) with the plots and the table.
 */

import { MatrixResult } from './runner';
import { esc, linePlot, Series, shortName, stackedBars } from './svg';
import { TABLE_COLUMNS } from './table';

function table(m: MatrixResult): string {
  const head = TABLE_COLUMNS.map((c) => `<th>${esc(c.head)}</th>`).join('');
  const rows = m.cells.map((c) => `<tr>${TABLE_COLUMNS.map((col) => `<td>${esc(col.cell(c))}</td>`).join('')}</tr>`).join('\n');
  return `<table id="figures"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderHtml(m: MatrixResult): string {
  const kernels = [...new Set(m.cells.map((c) => c.kernel))];
  const maxCpus = Math.max(...m.cells.map((c) => c.cpus));
  // 1. areas touched per allocation over time, per version (largest CPU count)
  const touch: Series[] = kernels.map((k) => {
    const cell = m.cells.find((c) => c.kernel === k && c.cpus === maxCpus) ?? m.cells.find((c) => c.kernel === k);
    const s = cell?.result.touchSeries ?? [];
    const stride = cell && s.length ? cell.result.figures.allocations / s.length : 1;
    return { name: k, points: s.map((v, i) => [Math.round(i * stride), v] as const) };
  });
  // 2. modelled cost per operation against the CPU count, per version
  const cost: Series[] = kernels.map((k) => ({
    name: k,
    points: m.cells.filter((c) => c.kernel === k && c.result.figures.cyclesPerOp !== null).map((c) => [c.cpus, c.result.figures.cyclesPerOp as number] as const),
  }));
  // 3. flush cost breakdown per cell
  const flush = m.cells.filter((c) => c.result.flushCost).map((c) => ({ label: `${shortName(c.kernel)}/${c.cpus}`, parts: c.result.flushCost as Record<string, number> }));
  const plots = [
    linePlot('plot-touches', 'Areas touched per allocation', 'allocation', 'rb_entry/list_entry per alloc', touch),
    cost.some((s) => s.points.length) ? linePlot('plot-cost', 'Modelled cost per operation', 'CPUs', 'cycles per op', cost, true) : '',
    flush.length ? stackedBars('plot-flush', 'Flush cost breakdown (modelled cycles)', 'cycles', flush) : '',
  ].filter(Boolean);
  const extras = m.cells.flatMap((c) => [
    ...(c.result.bug ? [`<h3>${esc(c.kernel)} (${c.cpus} CPUs): kernel BUG at op ${c.result.bug.op}</h3><pre>${esc(c.result.bug.oops)}</pre>`] : []),
    ...(c.result.reports ?? []).map((r) => `<h3>${esc(c.kernel)} (${c.cpus} CPUs): TLB-coherence report</h3><pre>${esc(r)}</pre>`),
  ]);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>vmapsim: ${esc(m.scenario)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right;white-space:nowrap}td:first-child,th:first-child{text-align:left}
svg.plot{display:block;margin:1em 0;background:#fafafa;border:1px solid #eee}
svg .t{font-size:14px;font-weight:600}svg .k{font-size:11px;fill:#444}svg .ax{stroke:#888}
pre{background:#f4f4f4;padding:1em;overflow:auto}
</style></head><body>
<h1>${esc(m.scenario)}</h1>
<p>${esc(m.description)}</p>
<p>seed ${m.seed}; ${esc(Object.entries(m.params).map(([k, v]) => `${k}=${v}`).join(' ') || 'no parameters')}</p>
${plots.join('\n')}
${table(m)}
${m.summary.length ? `<h2>Summary</h2><pre>${esc(m.summary.join('\n'))}</pre>` : ''}
${extras.join('\n')}
</body></html>
`;
}
