// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { InputError } from '../../../scripts/lib/input-error.js';
import { parseGolden } from '../../../scripts/replay/golden-format.js';

const HEADER = [
  '# format: vmap-golden 1',
  '# variant: linux-2.6.39',
  '# source: test',
  '# ncpu: 1',
  '# lazy_max_pages: 2000',
  '# vmalloc_start: ffffc90000000000',
  '# vmalloc_end: ffffe8ffffffffff',
  '# page_size: 1000',
  '# workload: hand',
  '# seed: 1',
  '# nops: 2',
  '# param: 0',
  '# size_includes_guard_page: yes',
];
const BODY = [
  'a 2000 1 ffffc90000000000 ffffe8ffffffffff -> ffffc90000000000',
  '= cache=ffffc90000000000 hole=0 vstart=ffffc90000000000 align=1 lazy=0',
  'l ffffc90000000000',
  '= cache=ffffc90000000000 hole=0 vstart=ffffc90000000000 align=1 lazy=2',
  '# end: ok ops=2',
];

function problem(lines: string[]): { line: number | null; problem: string } {
  try {
    parseGolden('t.trace', lines.join('\n') + '\n');
  } catch (e) {
    if (e instanceof InputError) return { line: e.line, problem: e.problem };
    throw e;
  }
  throw new Error('no InputError');
}

describe('the golden trace parser', () => {
  it('reads a well-formed trace: header, op blocks and the end line', () => {
    const t = parseGolden('t.trace', [...HEADER, ...BODY].join('\n'));
    expect(t.header.variant).to.equal('linux-2.6.39');
    expect(t.header.lazy_max_pages).to.equal(0x2000);
    expect(t.blocks).to.have.length(2);
    expect(t.blocks[1]).to.include({ line: 16, state: 'cache=ffffc90000000000 hole=0 vstart=ffffc90000000000 align=1 lazy=2' });
    expect(t.end).to.deep.equal({ status: 'ok', ops: 2, line: 18 });
  });

  it('names the line of a bad header field', () => {
    const h = [...HEADER];
    h[3] = '# ncpu: two';
    expect(problem([...h, ...BODY])).to.deep.equal({ line: 4, problem: 'ncpu: expected a decimal number, got "two"' });
  });

  it('names a missing header field', () => {
    const h = HEADER.filter((l) => !l.startsWith('# seed'));
    expect(problem([...h, ...BODY]).problem).to.equal('header field "nops" where "seed" was expected');
  });

  it('rejects an unknown op', () => {
    const b = [...BODY];
    b[2] = 'x ffffc90000000000';
    expect(problem([...HEADER, ...b])).to.deep.equal({ line: 16, problem: 'unknown op "x" (expected a, f, l or p)' });
  });

  it('rejects bad hex in a field, naming the field', () => {
    const b = [...BODY];
    b[0] = 'a 2000 1 ffffc9000000zz00 ffffe8ffffffffff -> ffffc90000000000';
    expect(problem([...HEADER, ...b])).to.deep.equal({ line: 14, problem: 'VSTART: bad hex "ffffc9000000zz00"' });
  });

  it('rejects an op without its state line', () => {
    const b = [...BODY];
    b.splice(1, 1);
    expect(problem([...HEADER, ...b]).line).to.equal(15);
  });

  it('reports a trace that stops before its end line as truncated', () => {
    expect(problem([...HEADER, ...BODY.slice(0, 2)]).problem).to.contain('truncated');
  });
});
