// SPDX-License-Identifier: GPL-2.0-only
/*
 * Open one of vmapsim's HTML pages in Debian's headless Chromium (playwright-
 * core) at a laptop's 1280x800, with every request but the page itself
 * refused, and report what a person would see: each plot's marks per series,
 * its scale types, console errors and warnings, requests tried, elements
 * wider than the viewport; and a screenshot in out/test/ of the checkout.
 */

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const VIEWPORT = { width: 1280, height: 800 };
/** Where the screenshots land (gitignored: /out/). */
export const SHOT_DIR = resolve(import.meta.dirname, '..', '..', 'out', 'test');

export interface PlotSeen {
  id: string;
  rendered: string | null;
  /** Every text drawn in the plot: titles, tick labels, legend entries. */
  labels: string[];
  /** Per mark type (line, symbol, rect, ...): items with finite coordinates per value of the plot's series field. */
  marks: Record<string, Record<string, number>>;
  /** The type of the y (and x) scale, null when the view has none by that name. */
  yScale: string | null;
  xScale: string | null;
  width: number;
  height: number;
}

export interface PageSeen {
  plots: PlotSeen[];
  errors: string[];
  requests: string[];
  /** Elements whose right edge passes the viewport, as tag#id.class (width). */
  tooWide: string[];
  scrollWidth: number;
  text: string;
  screenshot: string;
  /** What the probe returned. */
  probe: unknown;
}

/* Run in the page (plain JavaScript: the project's TypeScript has no DOM types). */
const SEE_PLOTS = `(() => {
  const views = window.vmapsimViews || {};
  return [...document.querySelectorAll('section.plot')].map((sec) => {
    const field = sec.getAttribute('data-series-field') || '';
    const view = views[sec.id];
    const marks = {};
    const walk = (node, type) => {
      const t = node.marktype || type;
      if (node.datum && field in node.datum && Number.isFinite(node.x) && Number.isFinite(node.y) && t && t !== 'group' && t !== 'text') {
        const k = String(node.datum[field]);
        marks[t] = marks[t] || {};
        marks[t][k] = (marks[t][k] || 0) + 1;
      }
      for (const c of node.items || []) walk(c, t);
    };
    if (view) walk(view.scenegraph().root, null);
    const scaleType = (n) => { try { const s = view && view.scale(n); return (s && s.type) || null; } catch (e) { return null; } };
    const svg = sec.querySelector('.vis svg');
    const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    const labels = [...sec.querySelectorAll('.vis svg text')].map((t) => t.textContent || '');
    return { id: sec.id, rendered: sec.getAttribute('data-rendered'), labels, marks, yScale: scaleType('y'), xScale: scaleType('x'), width: box.width, height: box.height };
  });
})()`;

const SEE_WIDTH = `(() => {
  const vw = window.innerWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > vw + 0.5 || r.left < -0.5) {
      const cls = typeof el.className === 'string' && el.className ? '.' + el.className.split(' ')[0] : '';
      wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls + ' (' + Math.round(r.left) + '..' + Math.round(r.right) + ')');
    }
  }
  return { tooWide: wide, scrollWidth: document.documentElement.scrollWidth, text: document.body.innerText };
})()`;

/** Open the page; `probe`, when given, acts on it (hover, click) after the plots are drawn and the screenshot is taken. */
export async function openPage(html: string, name: string, probe?: (page: Page) => Promise<unknown>): Promise<PageSeen> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: make test installs Debian's chromium package`);
  mkdirSync(SHOT_DIR, { recursive: true });
  const file = join(SHOT_DIR, `${name}.html`);
  writeFileSync(file, html);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: VIEWPORT });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') errors.push(`${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    const self = pathToFileURL(file).href;
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url === self) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto(self);
    await page.waitForFunction("document.body.getAttribute('data-plots') === 'done' || document.querySelectorAll('section.plot').length === 0", null, { timeout: 30000 });
    const plots = (await page.evaluate(SEE_PLOTS)) as PlotSeen[];
    const { tooWide, scrollWidth, text } = (await page.evaluate(SEE_WIDTH)) as { tooWide: string[]; scrollWidth: number; text: string };
    const screenshot = join(SHOT_DIR, `${name}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });
    const probed = probe ? await probe(page) : undefined;
    return { plots, errors, requests, tooWide, scrollWidth, text, screenshot, probe: probed };
  } finally {
    await browser.close();
  }
}
