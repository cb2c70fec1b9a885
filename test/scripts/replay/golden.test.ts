// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../../../scripts/lib/input-error.js';
import { parseGolden } from '../../../scripts/replay/golden-format.js';
import { replayGoldenTrace } from '../../../scripts/replay/golden.js';
import { goldenTraces } from '../../helpers/golden.js';

function load(file: string): string {
  return gunzipSync(readFileSync(file)).toString('utf8');
}

describe('golden replay', () => {
  const file = goldenTraces('linux-2.6.39').find((f) => f.includes('random-mixed.s1')) as string;
  const text = load(file);

  it('reports the first divergence with the op, line, expected and actual text', () => {
    const lines = text.split('\n');
    // corrupt the result of the 5th allocation
    let seen = 0;
    const idx = lines.findIndex((l) => l.startsWith('a ') && ++seen === 5);
    lines[idx] = lines[idx]!.replace(/-> [0-9a-f]+$/, '-> ffffc90000abc000');
    const r = replayGoldenTrace(parseGolden('x.trace', lines.join('\n')));
    expect(r.divergence).to.not.equal(null);
    expect(r.divergence).to.include({ what: 'result', line: idx + 1, op: 5 });
    expect(r.divergence?.expected).to.match(/-> ffffc90000abc000$/);
    expect(r.divergence?.actual).to.match(/-> ffffc900001d8000$/);
    expect(r.divergence?.snapshot.areas).to.have.length(5);
  });

  it('reports a state line that differs', () => {
    const changed = text.replace('= cache=ffffc90000161000 hole=0', '= cache=ffffc90000161000 hole=1');
    const r = replayGoldenTrace(parseGolden('x.trace', changed));
    expect(r.divergence).to.include({ what: 'state', op: 2 });
  });

  it('reports an event that the kernel did not produce', () => {
    const lines = text.split('\n');
    const i = lines.findIndex((l) => l === 'p');
    lines.splice(i + 1, 0, '! flush 1000 2000');
    const r = replayGoldenTrace(parseGolden('x.trace', lines.join('\n')));
    expect(r.divergence?.what).to.equal('events');
    expect(r.divergence?.expected).to.equal('! flush 1000 2000');
  });

  it('refuses an unknown version and lists the known ones', () => {
    const t = parseGolden('x.trace', text.replace('# variant: linux-2.6.39', '# variant: linux-9.9'));
    expect(() => replayGoldenTrace(t)).to.throw(InputError, /unknown version "linux-9.9" \(known: linux-2.6.35, .*linux-2.6.39/);
  });
});
