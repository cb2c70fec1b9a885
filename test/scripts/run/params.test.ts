// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { ParamError, parseParams } from '../../../scripts/run/params.js';
import type { ParamSpec } from '../../../scripts/run/scenario.js';

const SPECS: ParamSpec[] = [
  { name: 'iterations', kind: 'int', default: 1000, min: 1, description: 'loops' },
  { name: 'api', kind: 'enum', default: 'vmalloc', values: ['vmalloc', 'vmap'], description: 'which API' },
  { name: 'threads', kind: 'bool', default: false, description: 'one loop per CPU' },
];

describe('scenario parameters', () => {
  it('start from the defaults and take name=value overrides', () => {
    expect(parseParams('s', SPECS, [])).to.deep.equal({ iterations: 1000, api: 'vmalloc', threads: false });
    expect(parseParams('s', SPECS, ['iterations=1_000_000', 'api=vmap', 'threads=true'])).to.deep.equal({ iterations: 1000000, api: 'vmap', threads: true });
  });

  it('name the parameter and the accepted values on a bad value', () => {
    expect(() => parseParams('s', SPECS, ['iterations=0'])).to.throw(ParamError, 's: parameter iterations=0: expected a whole number from 1');
    expect(() => parseParams('s', SPECS, ['api=ioremapx'])).to.throw(ParamError, 'expected one of vmalloc, vmap');
    expect(() => parseParams('s', SPECS, ['threads=yes'])).to.throw(ParamError, 'expected true or false');
  });

  it('hold whole numbers to a multiple or a power of two where the spec asks, naming it', () => {
    const specs: ParamSpec[] = [
      { name: 'mib', kind: 'int', default: 16, min: 4, multipleOf: 4, description: 'range' },
      { name: 'align', kind: 'int', default: 8, min: 1, powerOfTwo: true, description: 'alignment' },
    ];
    expect(parseParams('s', specs, ['mib=12', 'align=1024'])).to.deep.equal({ mib: 12, align: 1024 });
    expect(() => parseParams('s', specs, ['mib=6'])).to.throw(ParamError, 's: parameter mib=6: expected a whole number from 4, a multiple of 4');
    expect(() => parseParams('s', specs, ['align=12'])).to.throw(ParamError, 's: parameter align=12: expected a whole number from 1, a power of two');
  });

  it('list the parameters when one is unknown or not written name=value', () => {
    expect(() => parseParams('s', SPECS, ['pages=3'])).to.throw(ParamError, 'unknown parameter "pages" (parameters: iterations, api, threads)');
    expect(() => parseParams('s', SPECS, ['pages'])).to.throw(ParamError, 'write name=value');
  });
});
