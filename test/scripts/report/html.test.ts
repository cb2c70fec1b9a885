// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { scaleHtml } from '../../../scripts/bench/command.js';
import { renderHtml } from '../../../scripts/report/html.js';
import type { MatrixResult } from '../../../scripts/run/runner.js';
import type { RunResult } from '../../../scripts/run/scenario.js';
import { openPage, type PageSeen } from '../../helpers/browser.js';

function cell(kernel: string, cpus: number, touch: number[], cyclesPerOp: number, flush: Record<string, number>): MatrixResult['cells'][number] {
  const result: RunResult = {
    figures: {
      operations: 100,
      allocations: touch.length,
      failedAllocations: 0,
      touchesPerAlloc: { mean: 1, p99: 1, max: 1 },
      purges: 1,
      ipisSent: cpus - 1,
      ipisReceived: cpus - 1,
      invlpg: 0,
      fullFlushes: cpus,
      tlbMisses: 5,
      walks: 5,
      cycles: cyclesPerOp * 100,
      cyclesPerOp,
      bugs: 0,
      checkerReports: 0,
    },
    touchSeries: touch,
    flushCost: flush,
  };
  return { kernel, cpus, seed: 1, params: {}, result };
}

/** Two kernels x two CPU counts: small multiples, cost against the CPU count. */
const grid: MatrixResult = {
  scenario: 'demo',
  description: 'a hand-made matrix <with> markup & quotes "',
  seed: 7,
  params: { iterations: 10 },
  cells: [
    cell('linux-2.6.35', 1, [1, 5, 9, 14], 900, { 'IPI send': 0, 'CR4.PGE toggle': 500 }),
    cell('linux-2.6.35', 8, [1, 5, 9, 14], 2900, { 'IPI send': 700, 'CR4.PGE toggle': 4000 }),
    cell('linux-6.1', 1, [3, 3, 3, 3], 400, { INVLPG: 40 }),
    cell('linux-6.1', 8, [3, 3, 3, 3], 800, { INVLPG: 320, 'IPI send': 700 }),
  ],
  summary: ['a summary line'],
};

/** The case: one CPU count, linux-2.6.35 in the thousands, the cached versions in single digits. */
const ramp = Array.from({ length: 200 }, (_x, i) => 25 * (i + 1));
const KERNELS = ['linux-2.6.35', 'linux-2.6.39', 'linux-5.2', 'linux-6.1'];
const headline: MatrixResult = {
  scenario: 'gfs2-vmalloc-loop',
  description: 'the headline',
  seed: 1,
  params: { iterations: 25000 },
  cells: [
    cell('linux-2.6.35', 8, ramp, 8760, { 'IPI send': 700, 'CR4.PGE toggle': 4000 }),
    cell('linux-2.6.39', 8, Array.from({ length: 200 }, (_x, i) => 6 + (i % 3)), 31, { 'IPI send': 700, 'CR4.PGE toggle': 4000 }),
    cell('linux-5.2', 8, Array.from({ length: 200 }, (_x, i) => 20 + (i % 9)), 44, { 'IPI send': 700, INVLPG: 90 }),
    cell('linux-6.1', 8, Array.from({ length: 200 }, (_x, i) => 24 + (i % 5)), 40, { 'IPI send': 500, INVLPG: 90 }),
  ],
  summary: ['a summary line far longer than any laptop screen is wide: ' + 'linux-2.6.35 walks every live area on each allocation; '.repeat(12)],
};

const COMMAND = "vmapsim run gfs2-vmalloc-loop iterations=25000 --kernel linux-2.6.35,linux-2.6.39,linux-5.2,linux-6.1 --cpus 8 --seed 1";

function common(seen: PageSeen): void {
  expect(seen.errors, 'console errors and warnings').to.deep.equal([]);
  expect(seen.requests, 'requests other than the page itself').to.deep.equal([]);
  expect(seen.tooWide, 'elements past the 1280 px viewport').to.deep.equal([]);
  expect(seen.scrollWidth).to.be.at.most(1280);
  for (const p of seen.plots) {
    expect(p.rendered, p.id).to.equal('yes');
    expect(p.width, p.id).to.be.greaterThan(200);
    expect(p.height, p.id).to.be.greaterThan(150);
  }
}

describe('the HTML report', function () {
  this.timeout(120000);

  it('is one page whose only script is inlined: no external resource', () => {
    const html = renderHtml(grid, { command: 'vmapsim run demo' });
    expect(html).to.not.match(/<script[^>]*\ssrc=|<link[^>]*\shref=/);
    expect(html).to.contain('a hand-made matrix &#60;with&#62; markup &#38; quotes &#34;');
    expect(html).to.contain('vega-lite');
    // the spec sits in the page as JSON with its data
    const spec = /<section class="plot" id="plot-cost"[^]*?<script type="application\/json" class="spec">([^]*?)<\/script>/.exec(html);
    expect(spec).to.not.equal(null);
    const json = JSON.parse(spec![1]!) as { data: { values: { kernel: string; cpus: number; cyclesPerOp: number }[] } };
    expect(json.data.values).to.deep.include({ kernel: 'linux-6.1', cpus: 8, cyclesPerOp: 800 });
  });

  it('shows each run\'s lock waits by class as stacked bars and its /proc/lock_stat, and nothing of locks for runs that took none', () => {
    const stat = (name: string, waited: number) => ({
      name,
      kind: 'spinlock' as const,
      conBounces: waited ? 2 : 0,
      contentions: waited ? 2 : 0,
      waittimeMin: waited / 2,
      waittimeMax: waited / 2,
      waittimeTotal: waited,
      acqBounces: 3,
      acquisitions: 4,
      holdtimeMin: 300,
      holdtimeMax: 900,
      holdtimeTotal: 2400,
      waitByCpu: [waited, 0],
    });
    const locked: MatrixResult = {
      ...grid,
      cells: grid.cells.map((c, i) => ({ ...c, result: { ...c.result, ...(i === 3 ? { lockStat: { clockHz: 3e9, classes: [stat('vmap_area_lock', 3000), stat('free_vmap_area_lock', 0)] } } : {}) } })),
    };
    const html = renderHtml(locked, { command: 'vmapsim run demo' });
    const spec = /<section class="plot" id="plot-lock-waits"[^]*?<script type="application\/json" class="spec">([^]*?)<\/script>/.exec(html);
    expect(spec, 'a lock-wait plot').to.not.equal(null);
    const json = JSON.parse(spec![1]!) as { data: { values: { kernel: string; cpus: number; lock: string; cycles: number }[] } };
    // bars only where a class waited
    expect(json.data.values).to.deep.equal([{ kernel: 'linux-6.1', version: '6.1', cpus: 8, lock: 'vmap_area_lock', cycles: 3000 }]);
    expect(html).to.contain('<h2 id="lock-stat">Locks (/proc/lock_stat)</h2>');
    expect(html).to.contain('<h3>linux-6.1 (8 CPUs)</h3>');
    expect(html).to.contain('lock_stat version 0.4');
    // 3,000 cycles at 3 GHz: one microsecond in all, two waits of 0.50 us
    expect(html).to.match(/vmap_area_lock:\s+2\s+2\s+0\.50\s+0\.50\s+1\.00\s+0\.50\s+3\s+4\s+0\.10\s+0\.30\s+0\.80\s+0\.20/);
    const none = renderHtml(grid, { command: 'vmapsim run demo' });
    expect(none).to.not.contain('plot-lock-waits');
    expect(none).to.not.contain('lock_stat');
  });

  it('the headline at one CPU count: log axis for the touches, bars for the cost, no overflow, in Chromium', async () => {
    // hover the first bar of the cost plot: the tooltip names the kernel and the value
    const probe = async (page: import('playwright-core').Page) => {
      const bar = page.locator('#plot-cost .vis svg path[aria-roledescription="bar"]').first();
      await bar.hover();
      await page.waitForSelector('#vg-tooltip-element.visible', { timeout: 5000 });
      const tooltip = await page.locator('#vg-tooltip-element').innerText();
      // a click on a legend entry fades the other kernels' bars
      await page.locator('#plot-cost .vis svg .role-legend-symbol path').nth(1).click({ force: true });
      await page.waitForTimeout(200);
      const opacities = await page.locator('#plot-cost .vis svg path[aria-roledescription="bar"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('opacity') ?? e.getAttribute('fill-opacity') ?? '1')));
      return { tooltip, opacities };
    };
    const seen = await openPage(renderHtml(headline, { command: COMMAND }), 'report-headline', probe);
    common(seen);
    expect(seen.plots.map((p) => p.id)).to.deep.equal(['plot-touches', 'plot-cost', 'plot-flush']);
    const [touches, cost, flush] = seen.plots;
    // every series has marks; 200 points per line
    for (const k of KERNELS) expect(touches!.marks.line?.[k], `touches ${k}`).to.equal(200);
    expect(touches!.yScale).to.equal('log');
    expect(Object.keys(cost!.marks)).to.deep.equal(['rect']);
    for (const k of KERNELS) expect(cost!.marks.rect?.[k], `cost ${k}`).to.equal(1);
    expect(cost!.yScale).to.equal('log');
    expect(flush!.marks).to.deep.equal({ rect: { 'IPI send': 4, 'CR4.PGE toggle': 2, INVLPG: 2 } });
    expect(seen.text).to.contain(COMMAND);
    expect(seen.text).to.match(/vmapsim\s+0\.1\.0/);
    expect(seen.text).to.match(/seed\s+1\b/);
    // tick labels read 10, 100, 1k, never 8.76e+3
    expect(touches!.labels).to.include.members(['10', '100', '1k', 'areas touched (log scale)', 'linux-2.6.35', 'linux-6.1']);
    for (const p of seen.plots) for (const l of p.labels) expect(l, p.id).to.not.match(/\de[+-]\d/);
    expect(seen.screenshot).to.match(/out\/test\/report-headline\.png$/);
    const probed = seen.probe as { tooltip: string; opacities: number[] };
    expect(probed.tooltip).to.match(/kernel\s+linux-2\.6\.35/);
    expect(probed.tooltip).to.match(/cycles per op\s+8,760/);
    expect(probed.opacities).to.have.length(4);
    expect(probed.opacities[1]).to.equal(1);
    for (const i of [0, 2, 3]) expect(probed.opacities[i], `bar ${i}`).to.be.below(0.5);
  });

  it('kernels x CPU counts: small multiples, cost against a log2 CPU axis, in Chromium', async () => {
    // opening "Vega-Lite spec with the data" shows the spec, data included, as JSON to copy
    const probe = async (page: import('playwright-core').Page) => {
      await page.locator('#plot-cost details.spec summary').click();
      const pre = page.locator('#plot-cost details.spec pre');
      await pre.waitFor({ state: 'visible' }); // a loaded machine may not have laid it out yet
      return pre.textContent();
    };
    const seen = await openPage(renderHtml(grid, { command: 'vmapsim run demo --kernel linux-2.6.35,linux-6.1 --cpus 1,8 --seed 7' }), 'report-grid', probe);
    const shown = JSON.parse(seen.probe as string) as { $schema: string; data: { values: unknown[] } };
    expect(shown.$schema).to.match(/vega-lite/);
    expect(shown.data.values).to.deep.include({ kernel: 'linux-2.6.35', cpus: 8, cyclesPerOp: 2900 });
    common(seen);
    expect(seen.plots.map((p) => p.id)).to.deep.equal(['plot-touches', 'plot-cost', 'plot-flush']);
    const [touches, cost, flush] = seen.plots;
    // two facets (1 and 8 CPUs) of four points per kernel
    expect(touches!.marks.line).to.deep.equal({ 'linux-2.6.35': 8, 'linux-6.1': 8 });
    expect(touches!.yScale).to.equal('linear');
    expect(cost!.marks.line).to.deep.equal({ 'linux-2.6.35': 2, 'linux-6.1': 2 });
    expect(cost!.marks.symbol).to.deep.equal({ 'linux-2.6.35': 2, 'linux-6.1': 2 });
    expect(cost!.xScale).to.equal('log');
    // 'IPI send' at 1 CPU on linux-2.6.35 is 0: no bar for it
    expect(flush!.marks).to.deep.equal({ rect: { 'CR4.PGE toggle': 2, 'IPI send': 2, INVLPG: 2 } });
    expect(seen.text).to.match(/seed\s+7\b/);
    expect(seen.text).to.contain('a summary line');
    expect(seen.text).to.contain('linux-6.1');
  });

  it('the scale page: log-log lines per version and free mode, flush cost on a log2 CPU axis, in Chromium', async () => {
    const live = [1000, 10000, 100000, 1000000];
    const alloc = (['immediate', 'lazy'] as const).flatMap((free) => [
      ...live.map((n) => ({ version: 'linux-2.6.35', live: n, free, iterations: 10, nsPerAlloc: n, touchesPerAlloc: n })),
      ...live.map((n) => ({ version: 'linux-6.1', live: n, free, iterations: 10, nsPerAlloc: 50, touchesPerAlloc: Math.log2(n) })),
    ]);
    const flush = [1, 2, 4, 8, 16].map((cpus) => ({ era: 'ipi-per-cpu', cpus, purges: 1, ipisPerPurge: cpus - 1, flushCyclesPerPurge: 1000 * cpus, initiatorCyclesPerPurge: 100 }));
    const seen = await openPage(scaleHtml(alloc, flush), 'scale');
    common(seen);
    expect(seen.plots.map((p) => [p.id, p.xScale, p.yScale])).to.deep.equal([
      ['plot-scale-immediate', 'log', 'log'],
      ['plot-scale-lazy', 'log', 'log'],
      ['plot-flush-scale', 'log', 'linear'], // 1,000 to 16,000 cycles: under 100x, linear
    ]);
    expect(seen.plots[0]!.marks.line).to.deep.equal({ 'linux-2.6.35': 4, 'linux-6.1': 4 });
    expect(seen.plots[2]!.marks.line).to.deep.equal({ 'ipi-per-cpu': 5 });
  });
});