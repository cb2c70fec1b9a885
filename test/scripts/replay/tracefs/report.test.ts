// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { join } from 'node:path';
import { replayHtml } from '../../../../scripts/replay/tracefs/report.js';
import { realTracesDir } from '../../../../scripts/lib/paths.js';
import { readText } from '../../../../scripts/lib/read-text.js';
import { parseTracefs } from '../../../../scripts/replay/tracefs/parse.js';
import { replayTracefs } from '../../../../scripts/replay/tracefs/replay.js';
import { parseVmallocinfo } from '../../../../scripts/replay/tracefs/vmallocinfo.js';
import { openPage } from '../../../helpers/browser.js';

describe('the HTML page of a tracefs replay', function () {
  this.timeout(120000);

  it('draws the address agreement and the purges matched of every version, with the table, in Chromium', async () => {
    const base = join(realTracesDir(), 'linux-6.12.c_rand1to64p_pool100.cpu1');
    const trace = parseTracefs(`${base}.trace.gz`, readText(`${base}.trace.gz`));
    const before = parseVmallocinfo(`${base}.vmallocinfo-before.txt`, readText(`${base}.vmallocinfo-before.txt`));
    const r = replayTracefs(trace, before, ['linux-6.12', 'mmotm-2010-vmap-cache-v1'], { cpus: 1 });
    const html = replayHtml('sample', r);
    expect(html).to.not.match(/<script[^>]*\ssrc=/);
    const seen = await openPage(html, 'replay-tracefs');
    expect(seen.errors).to.deep.equal([]);
    expect(seen.requests).to.deep.equal([]);
    expect(seen.tooWide).to.deep.equal([]);
    expect(seen.plots.map((p) => [p.id, p.rendered])).to.deep.equal([
      ['plot-share', 'yes'],
      ['plot-purges', 'yes'],
    ]);
    // linux-6.12 places every allocation where the kernel did (one bar); mmotm does not (two)
    expect(seen.plots[0]!.marks).to.deep.equal({ rect: { 'same address': 2, elsewhere: 1 } });
    expect(seen.plots[1]!.marks.rect?.matched).to.be.greaterThan(0);
    expect(seen.text).to.contain('100.00%');
    expect(seen.text).to.contain('mmotm');
  });
});
