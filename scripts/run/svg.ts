// SPDX-License-Identifier: GPL-2.0-only
/*
 * Minimal SVG charts, rendered here so the HTML report needs no script and no
 * network: line plots (several series) and stacked bars. Each chart carries
 * data-points with how many data points it drew.
 */

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
}

export interface BarGroup {
  label: string;
  parts: Record<string, number>;
}

const W = 760;
const H = 300;
const M = { l: 70, r: 230, t: 30, b: 45 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

/** A version name short enough for an axis label. */
export function shortName(kernel: string): string {
  return kernel.replace(/^linux-/, '').replace('mmotm-2010-vmap-cache-v1', 'mmotm');
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  return Number.isInteger(v) ? String(v) : v.toPrecision(3);
}

function ticks(lo: number, hi: number, n = 5, integer = false): number[] {
  if (hi <= lo) return [lo];
  const step = (hi - lo) / n;
  const t = Array.from({ length: n + 1 }, (_, i) => lo + i * step);
  return integer ? [...new Set(t.map((v) => Math.round(v)))] : t;
}

function frame(title: string, xLabel: string, yLabel: string, xs: number[], ys: number[], x: (v: number) => number, y: (v: number) => number, logX: boolean): string {
  const parts = [`<text x="${W / 2 - M.r / 2}" y="18" text-anchor="middle" class="t">${esc(title)}</text>`];
  parts.push(`<line x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}" class="ax"/><line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}" class="ax"/>`);
  for (const v of ys) parts.push(`<text x="${M.l - 6}" y="${y(v) + 4}" text-anchor="end" class="k">${fmt(v)}</text>`);
  for (const v of xs) parts.push(`<text x="${x(v)}" y="${H - M.b + 16}" text-anchor="middle" class="k">${fmt(logX ? 2 ** v : v)}</text>`);
  parts.push(`<text x="${(M.l + W - M.r) / 2}" y="${H - 6}" text-anchor="middle" class="k">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${(M.t + H - M.b) / 2}) rotate(-90)" text-anchor="middle" class="k">${esc(yLabel)}</text>`);
  return parts.join('');
}

/** A line plot; logX plots x on a log2 axis (CPU counts), logY y on a log10 axis. */
export function linePlot(id: string, title: string, xLabel: string, yLabel: string, series: readonly Series[], logX = false, logY = false): string {
  const tx = (v: number) => (logX ? Math.log2(Math.max(v, 1)) : v);
  const ty = (v: number) => (logY ? Math.log10(Math.max(v, 1)) : v);
  const all = series.flatMap((s) => s.points);
  const n = all.length;
  const x0 = n ? Math.min(...all.map((p) => tx(p[0]))) : 0;
  const x1 = n ? Math.max(...all.map((p) => tx(p[0]))) : 1;
  const y1 = n ? Math.max(...all.map((p) => ty(p[1])), 0) : 1;
  const xs = (v: number) => M.l + ((v - x0) / (x1 - x0 || 1)) * (W - M.l - M.r);
  const yScreen = (v: number) => H - M.b - (v / (y1 || 1)) * (H - M.t - M.b);
  const ys = (v: number) => yScreen(ty(v));
  const intX = all.every((p) => Number.isInteger(p[0]));
  const xt = logX ? Array.from({ length: Math.round(x1 - x0) + 1 }, (_, i) => x0 + i) : ticks(x0, x1, 5, intX);
  const yt = logY ? Array.from({ length: Math.ceil(y1) + 1 }, (_, i) => 10 ** i) : ticks(0, y1 || 1);
  const body = [frame(title, xLabel, yLabel + (logY ? ' (log)' : ''), xt, yt, xs, ys, logX)];
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length];
    if (s.points.length) {
      const d = s.points.map((p, k) => `${k ? 'L' : 'M'}${xs(tx(p[0])).toFixed(1)},${ys(p[1]).toFixed(1)}`).join('');
      body.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="1.5"/>`);
      if (s.points.length <= 40) for (const p of s.points) body.push(`<circle cx="${xs(tx(p[0])).toFixed(1)}" cy="${ys(p[1]).toFixed(1)}" r="2.5" fill="${c}"/>`);
    }
    body.push(`<rect x="${W - M.r + 10}" y="${M.t + i * 16}" width="10" height="10" fill="${c}"/><text x="${W - M.r + 24}" y="${M.t + i * 16 + 9}" class="k">${esc(s.name)}</text>`);
  });
  return `<svg id="${esc(id)}" class="plot" data-points="${n}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">${body.join('')}</svg>`;
}

/** Stacked bars, one per group. */
export function stackedBars(id: string, title: string, yLabel: string, groups: readonly BarGroup[]): string {
  const keys = [...new Set(groups.flatMap((g) => Object.keys(g.parts)))];
  const totals = groups.map((g) => Object.values(g.parts).reduce((a, b) => a + b, 0));
  const y1 = Math.max(0, ...totals);
  const n = groups.reduce((a, g) => a + Object.values(g.parts).filter((v) => v > 0).length, 0);
  const bw = (W - M.l - M.r) / Math.max(groups.length, 1);
  const ys = (v: number) => H - M.b - (v / (y1 || 1)) * (H - M.t - M.b);
  const body = [frame(title, '', yLabel, [], ticks(0, y1 || 1), () => 0, ys, false)];
  groups.forEach((g, gi) => {
    let acc = 0;
    keys.forEach((k, ki) => {
      const v = g.parts[k] ?? 0;
      if (v <= 0) return;
      body.push(`<rect x="${(M.l + gi * bw + bw * 0.15).toFixed(1)}" y="${ys(acc + v).toFixed(1)}" width="${(bw * 0.7).toFixed(1)}" height="${(ys(acc) - ys(acc + v)).toFixed(1)}" fill="${COLOURS[ki % COLOURS.length]}"><title>${esc(`${g.label}: ${k} ${fmt(v)}`)}</title></rect>`);
      acc += v;
    });
    body.push(`<text x="${(M.l + gi * bw + bw / 2).toFixed(1)}" y="${H - M.b + 16}" text-anchor="middle" class="k">${esc(g.label)}</text>`);
  });
  keys.forEach((k, i) => body.push(`<rect x="${W - M.r + 10}" y="${M.t + i * 16}" width="10" height="10" fill="${COLOURS[i % COLOURS.length]}"/><text x="${W - M.r + 24}" y="${M.t + i * 16 + 9}" class="k">${esc(k)}</text>`));
  return `<svg id="${esc(id)}" class="plot" data-points="${n}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">${body.join('')}</svg>`;
}
