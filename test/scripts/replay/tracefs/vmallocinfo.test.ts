// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { hex } from '../../../../kernel/include/u64.js';
import { InputError } from '../../../../scripts/lib/input-error.js';
import { readText } from '../../../../scripts/lib/read-text.js';
import { parseVmallocinfo } from '../../../../scripts/replay/tracefs/vmallocinfo.js';
import { SAMPLE } from './sample.js';

function inputError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(InputError);
    return (e as Error).message;
  }
  return expect.fail('no InputError');
}

describe('/proc/vmallocinfo parser', () => {
  it('reads the sample snapshots: 86 busy before; 86 busy and 74 unpurged after', () => {
    const b = parseVmallocinfo(SAMPLE.before, readText(SAMPLE.before));
    expect(b.areas).to.have.length(86);
    expect(b.areas.filter((a) => a.kind === 'lazy')).to.have.length(0);
    expect(hex(b.areas[0]!.start)).to.equal('ffffc90000000000');
    expect(b.areas[0]!.caller).to.equal('irq_init_percpu_irqstack+0xf4/0x130');
    const a = parseVmallocinfo(SAMPLE.after, readText(SAMPLE.after));
    expect(a.areas.filter((x) => x.kind !== 'lazy')).to.have.length(86);
    expect(a.areas.filter((x) => x.kind === 'lazy')).to.have.length(74);
  });

  it('reads vm_map_ram and unpurged lines, sorts by address (node by node input)', () => {
    const text = [
      '0xffffc90000010000-0xffffc90000012000    8192 foo+0x1/0x2 pages=1 vmalloc N0=1',
      '0xffffc90000000000-0xffffc90000100000 1048576 vm_map_ram',
      '0xffffc90000200000-0xffffc90000203000   12288 unpurged vm_area',
    ].join('\n');
    // The first two overlap: rejected.
    expect(inputError(() => parseVmallocinfo('v.txt', text))).to.match(/^v\.txt:1: 0xffffc90000010000-0xffffc90000012000 overlaps 0xffffc90000000000-0xffffc90000100000 \(line 2\)/);
    const ok = parseVmallocinfo('v.txt', text.replace('0xffffc90000000000-0xffffc90000100000 1048576', '0xffffc90000100000-0xffffc90000200000 1048576'));
    expect(ok.areas.map((x) => [hex(x.start), x.kind])).to.deep.equal([
      ['ffffc90000010000', 'busy'],
      ['ffffc90000100000', 'vm_map_ram'],
      ['ffffc90000200000', 'lazy'],
    ]);
  });

  it('names the file and line of a malformed line', () => {
    expect(inputError(() => parseVmallocinfo('v.txt', '0xffffc90000000000-0xffffc90000002000 4096 x'))).to.match(/^v\.txt:1: size 4096 is not end - start/);
    expect(inputError(() => parseVmallocinfo('v.txt', '\nhello'))).to.match(/^v\.txt:2: not a vmallocinfo line/);
    expect(inputError(() => parseVmallocinfo('v.txt', '0xffffc90000002000-0xffffc90000001000 4096 x'))).to.match(/^v\.txt:1: end .* is not above start/);
    expect(inputError(() => parseVmallocinfo('v.txt', '0xffffc90000000000-0xffffc90000002000 8192'))).to.match(/^v\.txt:1: no caller/);
  });
});
