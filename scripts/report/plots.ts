// SPDX-License-Identifier: GPL-2.0-only
/*
 * The plots of vmapsim's HTML pages: Vega-Lite specs, drawn in the browser by
 * vega-embed with the Vega, Vega-Lite and vega-embed bundles inlined from
 * node_modules, so a page is one file that needs no network to view
 * (docs/report.md says why this library). Each plot's spec, with its data,
 * sits in the page as JSON a user can copy and re-plot.
 *
 * The helpers here choose a plot's form from its data: a log axis where the
 * values span two orders of magnitude or more, bars where there is one CPU
 * count, small multiples where kernels x CPU counts make a grid.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { repoRoot } from '../lib/paths.js';

/** The plotting libraries are located as their CommonJS entries (require.resolve), to inline their bundles. */
const require = createRequire(import.meta.url);

/** A Vega-Lite spec (kept as plain JSON: it is written into the page as is). */
export type Spec = Record<string, unknown>;

/** One plot of a page: its element id, the series field every mark carries, and the spec. */
export interface Plot {
  id: string;
  /** The field naming a series (a legend entry): the browser test checks each has marks. */
  seriesField: string;
  /** The series the data holds, in legend order. */
  series: string[];
  spec: Spec;
}

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** A version name short enough for an axis label. */
export function shortName(kernel: string): string {
  return kernel.replace(/^linux-/, '').replace('mmotm-2010-vmap-cache-v1', 'mmotm');
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Values spanning at least this ratio (largest / smallest positive) get a log axis. */
export const LOG_RATIO = 100;

/**
 * The y scale for these values: log where the positive ones span LOG_RATIO or
 * more. A log axis has no 0: the callers leave values <= 0 out and say so.
 */
export function valueScale(values: readonly number[]): Spec {
  const pos = values.filter((v) => v > 0);
  if (!pos.length) return { type: 'linear' };
  const lo = Math.min(...pos);
  const hi = Math.max(...pos);
  return hi / lo < LOG_RATIO ? { type: 'linear', zero: true } : { type: 'log' };
}

/** Rows whose field is > 0 when the scale is log (all otherwise), and a note of how many were left out. */
function forScale(rows: Record<string, string | number>[], field: string, scale: Spec): { rows: Record<string, string | number>[]; note: string | null } {
  if (!isLog(scale)) return { rows, note: null };
  const kept = rows.filter((r) => Number(r[field]) > 0);
  const n = rows.length - kept.length;
  return { rows: kept, note: n ? `${n.toLocaleString('en-US')} point${n === 1 ? '' : 's'} at 0 left out (log scale)` : null };
}

/** Whether a scale from valueScale is logarithmic. */
export function isLog(scale: Spec): boolean {
  return scale.type === 'log' || scale.type === 'symlog';
}

/** Legend entries that toggle their series (click; shift-click for several), and scroll/drag zoom. */
export function interactive(seriesField: string): Spec[] {
  return [
    { name: 'pick', select: { type: 'point', fields: [seriesField] }, bind: 'legend' },
    { name: 'zoom', select: { type: 'interval', encodings: ['x', 'y'] }, bind: 'scales' },
  ];
}

/** Marks of series not picked in the legend fade out. */
export function pickedOpacity(): Spec {
  return { condition: { param: 'pick', value: 1 }, value: 0.12 };
}

/** Number format of a log axis: 10, 100, 1k, 10k, never 1e+4 (linear axes keep Vega's 1,000). */
export const LOG_AXIS_FORMAT = '~s';

function axis(scale: Spec, extra: Spec = {}): Spec {
  return isLog(scale) ? { format: LOG_AXIS_FORMAT, ...extra } : extra;
}

export const TOOLTIP_FORMAT = ',.4~r';

/** Lines of y against x, one per series; x and y each linear or log as the data asks. */
export function linePlot(o: {
  id: string;
  title: string;
  x: { field: string; title: string; log2?: boolean; log10?: boolean };
  y: { field: string; title: string };
  series: { field: string; title: string };
  rows: Record<string, string | number>[];
  /** Small multiples, one panel per value of field, in `sort` order (default: first appearance). */
  facet?: { field: string; title: string; sort?: string[] };
  points?: boolean;
}): Plot {
  const yScale = valueScale(o.rows.map((r) => Number(r[o.y.field])));
  const { rows, note } = forScale(o.rows, o.y.field, yScale);
  const title = note ? { text: o.title, subtitle: note } : o.title;
  const series = [...new Set(rows.map((r) => String(r[o.series.field])))];
  const xScale: Spec = o.x.log2 ? { type: 'log', base: 2 } : o.x.log10 ? { type: 'log' } : { type: 'linear', zero: false };
  const encoding: Spec = {
    x: { field: o.x.field, type: 'quantitative', title: o.x.title, scale: xScale, axis: axis(xScale, o.x.log2 ? { values: [...new Set(rows.map((r) => Number(r[o.x.field])))] } : {}) },
    y: { field: o.y.field, type: 'quantitative', title: o.y.title + (isLog(yScale) ? ' (log scale)' : ''), scale: yScale, axis: axis(yScale) },
    color: { field: o.series.field, type: 'nominal', title: o.series.title, sort: series },
    opacity: pickedOpacity(),
    tooltip: [
      { field: o.series.field, type: 'nominal', title: o.series.title },
      ...(o.facet ? [{ field: o.facet.field, type: 'nominal', title: o.facet.title }] : []),
      { field: o.x.field, type: 'quantitative', title: o.x.title, format: TOOLTIP_FORMAT },
      { field: o.y.field, type: 'quantitative', title: o.y.title, format: TOOLTIP_FORMAT },
    ],
  };
  const mark = { type: 'line', point: o.points ? true : { size: 30, fillOpacity: 0, strokeOpacity: 0 }, tooltip: true, strokeWidth: 1.8 };
  const spec: Spec = o.facet
    ? {
        $schema: VEGA_LITE_SCHEMA,
        title,
        data: { values: rows },
        facet: { field: o.facet.field, type: 'ordinal', title: o.facet.title, sort: o.facet.sort ?? [...new Set(rows.map((r) => String(r[o.facet!.field])))] },
        columns: 3,
        spec: { width: 300, height: 200, mark, params: interactive(o.series.field), encoding },
      }
    : { $schema: VEGA_LITE_SCHEMA, title, width: 'container', height: 280, data: { values: rows }, mark, params: interactive(o.series.field), encoding };
  return { id: o.id, seriesField: o.series.field, series, spec };
}

/** One bar per category (no stacking): a log axis where the values span orders of magnitude. */
export function barPlot(o: {
  id: string;
  title: string;
  x: { field: string; title: string };
  y: { field: string; title: string };
  rows: Record<string, string | number>[];
}): Plot {
  let yScale = valueScale(o.rows.map((r) => Number(r[o.y.field])));
  const { rows, note } = forScale(o.rows, o.y.field, yScale);
  const series = [...new Set(rows.map((r) => String(r[o.x.field])))];
  // On a log axis a bar cannot start at 0: it starts at the power of ten below the smallest value.
  const base = isLog(yScale) ? 10 ** Math.floor(Math.log10(Math.min(...rows.map((r) => Number(r[o.y.field]))))) : null;
  if (base !== null) yScale = { ...yScale, domainMin: base };
  const spec: Spec = {
    $schema: VEGA_LITE_SCHEMA,
    title: note ? { text: o.title, subtitle: note } : o.title,
    width: 'container',
    height: 260,
    data: { values: rows },
    layer: [
      {
        params: [{ name: 'pick', select: { type: 'point', fields: [o.x.field] }, bind: 'legend' }],
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: o.x.field, type: 'nominal', title: o.x.title, sort: series, axis: { labelAngle: 0 } },
          y: { field: o.y.field, type: 'quantitative', title: o.y.title + (isLog(yScale) ? ' (log scale)' : ''), scale: yScale, axis: axis(yScale) },
          ...(base !== null ? { y2: { datum: base } } : {}),
          color: { field: o.x.field, type: 'nominal', title: o.x.title, sort: series },
          opacity: pickedOpacity(),
          tooltip: [
            { field: o.x.field, type: 'nominal', title: o.x.title },
            { field: o.y.field, type: 'quantitative', title: o.y.title, format: TOOLTIP_FORMAT },
          ],
        },
      },
      {
        mark: { type: 'text', dy: -6, baseline: 'bottom' },
        encoding: {
          x: { field: o.x.field, type: 'nominal', sort: series },
          y: { field: o.y.field, type: 'quantitative' },
          text: { field: o.y.field, type: 'quantitative', format: ',.3~s' },
        },
      },
    ],
  };
  return { id: o.id, seriesField: o.x.field, series, spec };
}

/** Stacked bars: x categories, parts stacked in colour; small multiples by `facet` when given. */
export function stackedBars(o: {
  id: string;
  title: string;
  x: { field: string; title: string };
  y: { field: string; title: string };
  part: { field: string; title: string };
  rows: Record<string, string | number>[];
  facet?: { field: string; title: string };
}): Plot {
  const rows = o.rows.filter((r) => Number(r[o.y.field]) > 0);
  const series = [...new Set(rows.map((r) => String(r[o.part.field])))];
  const xs = [...new Set(rows.map((r) => r[o.x.field]))];
  const encoding: Spec = {
    x: { field: o.x.field, type: 'ordinal', title: o.x.title, sort: xs, axis: { labelAngle: 0 } },
    y: { field: o.y.field, type: 'quantitative', title: o.y.title, stack: 'zero' },
    color: { field: o.part.field, type: 'nominal', title: o.part.title, sort: series },
    opacity: pickedOpacity(),
    tooltip: [
      ...(o.facet ? [{ field: o.facet.field, type: 'nominal', title: o.facet.title }] : []),
      { field: o.x.field, type: 'ordinal', title: o.x.title },
      { field: o.part.field, type: 'nominal', title: o.part.title },
      { field: o.y.field, type: 'quantitative', title: o.y.title, format: TOOLTIP_FORMAT },
    ],
  };
  const mark = { type: 'bar', tooltip: true };
  const params = [{ name: 'pick', select: { type: 'point', fields: [o.part.field] }, bind: 'legend' }];
  const spec: Spec = o.facet
    ? {
        $schema: VEGA_LITE_SCHEMA,
        title: o.title,
        data: { values: rows },
        facet: { field: o.facet.field, type: 'nominal', title: o.facet.title, sort: [...new Set(rows.map((r) => String(r[o.facet!.field])))] },
        columns: 4,
        resolve: { scale: { y: 'independent' } },
        spec: { width: 190, height: 180, mark, params, encoding },
      }
    : { $schema: VEGA_LITE_SCHEMA, title: o.title, width: 'container', height: 260, data: { values: rows }, mark, params, encoding };
  return { id: o.id, seriesField: o.part.field, series, spec };
}

/** JSON safe inside a <script> element. */
export function scriptJson(v: unknown, indent?: number): string {
  return JSON.stringify(v, null, indent).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** One plot in the page: the chart, its spec as JSON, and a block to show it for copying. */
export function plotHtml(p: Plot): string {
  return `<section class="plot" id="${esc(p.id)}" data-series-field="${esc(p.seriesField)}" data-series="${esc(JSON.stringify(p.series))}">
<div class="vis"></div>
<script type="application/json" class="spec">${scriptJson(p.spec)}</script>
<details class="spec"><summary>Vega-Lite spec with the data (copy to re-plot)</summary><pre></pre></details>
</section>`;
}

const BUNDLES: readonly [string, string][] = [
  ['vega', 'vega.min.js'],
  ['vega-lite', 'vega-lite.min.js'],
  ['vega-embed', 'vega-embed.min.js'],
];

let bundleCache: string | null = null;

/** The three minified bundles, each in a <script>, read from node_modules. */
export function vegaBundles(): string {
  if (bundleCache === null)
    bundleCache = BUNDLES.map(([pkg, file]) => {
      const js = readFileSync(join(dirname(require.resolve(pkg)), file), 'utf8');
      if (/<\/script/i.test(js)) throw new Error(`${pkg}/${file} contains "</script": cannot inline it`);
      return `<script>/* ${pkg} (BSD-3-Clause) */\n${js}\n</script>`;
    }).join('\n');
  return bundleCache;
}

/** The versions of the bundled libraries, as the page states them. */
export function vegaVersions(): string {
  return BUNDLES.map(([pkg]) => `${pkg} ${(JSON.parse(readFileSync(join(dirname(require.resolve(pkg)), '..', 'package.json'), 'utf8')) as { version: string }).version}`).join(', ');
}

/** vmapsim's version, from the checkout's package.json. */
export function vmapsimVersion(): string {
  return (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** Draw every section.plot; record each view in window.vmapsimViews for the test and the console. */
const BOOT = `
(function () {
  window.vmapsimViews = {};
  var pending = [];
  document.querySelectorAll('section.plot').forEach(function (sec) {
    var text = sec.querySelector('script.spec').textContent;
    var details = sec.querySelector('details.spec');
    details.addEventListener('toggle', function () {
      var pre = details.querySelector('pre');
      if (details.open && !pre.textContent) pre.textContent = JSON.stringify(JSON.parse(text), null, 2);
    });
    pending.push(vegaEmbed(sec.querySelector('.vis'), JSON.parse(text), {
      renderer: 'svg',
      actions: { export: true, source: true, compiled: true, editor: false },
      tooltip: { theme: 'light' }
    }).then(function (r) {
      window.vmapsimViews[sec.id] = r.view;
      sec.setAttribute('data-rendered', 'yes');
    }, function (e) {
      sec.setAttribute('data-rendered', 'failed');
      console.error(sec.id + ': ' + e);
    }));
  });
  Promise.all(pending).then(function () { document.body.setAttribute('data-plots', 'done'); });
})();
`;

/** The style every page shares: fits 1280 px wide, long lines wrap or scroll inside their box. */
export const PAGE_STYLE = `
*{box-sizing:border-box}
body{font:14px system-ui,sans-serif;margin:0 auto;padding:1em 1.5em;color:#222;max-width:1200px}
h1{font-size:1.5em;margin:.3em 0}
dl.run{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:.5em 0 1em}dl.run dt{font-weight:600}dl.run dd{margin:0;overflow-wrap:anywhere}
dl.run code{white-space:pre-wrap;overflow-wrap:anywhere}
section.plot{margin:1em 0 1.5em;padding:.5em;border:1px solid #e4e4e4;border-radius:4px;max-width:100%;overflow-x:auto}
section.plot .vis{width:100%}
details.spec summary{cursor:pointer;color:#555;font-size:12px}
details.spec pre{max-height:20em}
.table-wrap{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;margin:1em 0;font-size:12.5px}td,th{border:1px solid #ccc;padding:2px 5px;text-align:right;white-space:nowrap}th{white-space:normal;vertical-align:bottom}td:first-child,th:first-child{text-align:left}
pre{background:#f4f4f4;padding:.8em;overflow:auto;max-width:100%;white-space:pre-wrap;overflow-wrap:anywhere}
`;

/** A whole page: head, the bundles, the body, then the script that draws the plots. */
export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${PAGE_STYLE}</style>
${vegaBundles()}
</head><body>
${body}
<script>${BOOT}</script>
</body></html>
`;
}
