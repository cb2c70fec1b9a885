// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { renderHtml } from '../../../scripts/run/html';
import { MatrixResult } from '../../../scripts/run/runner';
import { RunResult } from '../../../scripts/run/scenario';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

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

describe('the HTML report', function () {
  this.timeout(60000);

  const m: MatrixResult = {
    scenario: 'demo',
    description: 'a hand-made matrix <with> markup & quotes "',
    seed: 1,
    params: { iterations: 10 },
    cells: [
      cell('linux-2.6.35', 1, [1, 5, 9, 14], 900, { 'IPI send': 0, 'CR4.PGE toggle': 500 }),
      cell('linux-2.6.35', 8, [1, 5, 9, 14], 2900, { 'IPI send': 700, 'CR4.PGE toggle': 4000 }),
      cell('linux-6.1', 1, [3, 3, 3, 3], 400, { INVLPG: 40 }),
      cell('linux-6.1', 8, [3, 3, 3, 3], 800, { INVLPG: 320, 'IPI send': 700 }),
    ],
    summary: ['a summary line'],
  };

  it('is one page with no script and no external resource', () => {
    const html = renderHtml(m);
    expect(html).to.not.match(/<script|src=|href="http/);
    expect(html).to.contain('a hand-made matrix &#60;with&#62; markup &#38; quotes &#34;');
  });

  it('renders every plot with data and logs no error in headless Chromium', async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: make test installs Debian's chromium package`);
    const dir = mkdtempSync(join(tmpdir(), 'vmapsim-html-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(m));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(file).href);
      const plots = await page.$$eval('svg.plot', (els) =>
        els.map((e) => ({ id: e.id, points: Number(e.getAttribute('data-points')), box: e.getBoundingClientRect().height, marks: e.querySelectorAll('path,rect,circle').length })),
      );
      expect(plots.map((p) => p.id)).to.deep.equal(['plot-touches', 'plot-cost', 'plot-flush']);
      for (const p of plots) {
        expect(p.points, p.id).to.be.greaterThan(0);
        expect(p.box, p.id).to.be.greaterThan(100);
        expect(p.marks, p.id).to.be.greaterThan(2);
      }
      expect(await page.$$eval('#figures tbody tr', (rows) => rows.length)).to.equal(4);
      expect(errors).to.deep.equal([]);
    } finally {
      await browser.close();
    }
  });
});
