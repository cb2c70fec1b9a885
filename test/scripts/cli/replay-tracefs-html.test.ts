// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { join } from 'node:path';
import { replayHtml } from '../../../scripts/cli/replay-tracefs';
import { realTracesDir } from '../../../scripts/lib/paths';
import { readText } from '../../../scripts/lib/read-text';
import { parseTracefs } from '../../../scripts/tracefs/parse';
import { replayTracefs } from '../../../scripts/tracefs/replay';
import { parseVmallocinfo } from '../../../scripts/tracefs/vmallocinfo';

describe('the HTML page of a tracefs replay', function () {
  this.timeout(60000);

  it('draws the address agreement and the purges matched of every version, with the table', () => {
    const base = join(realTracesDir(), 'linux-6.12.c_rand1to64p_pool100.cpu1');
    const trace = parseTracefs(`${base}.trace.gz`, readText(`${base}.trace.gz`));
    const before = parseVmallocinfo(`${base}.vmallocinfo-before.txt`, readText(`${base}.vmallocinfo-before.txt`));
    const r = replayTracefs(trace, before, ['linux-6.12', 'mmotm-2010-vmap-cache-v1'], { cpus: 1 });
    const html = replayHtml('sample', r);
    // two bars per version on the share plot where both parts are non-zero
    expect(html).to.match(/id="plot-share" class="plot" data-points="3"/);
    expect(html).to.match(/id="plot-purges" class="plot" data-points="2"/);
    expect(html).to.contain('>mmotm<');
    expect(html).to.contain('100.00%');
    expect(html).to.not.match(/<script/);
  });
});
