// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { benchJson } from '../../../scripts/bench/command.js';

describe('vmapsim bench --json', () => {
  it('prints {version, stream, nsPerOp, touchesPerAlloc} per row, and the same-run C figure where a version has one', () => {
    const parsed = JSON.parse(
      benchJson([
        { version: 'linux-2.6.39', stream: 'lazy-churn', ops: 1e6, nsPerOp: 433, touchesPerAlloc: 28.2, ratio: 4.01, nativeNsPerOp: 108, nativeTouchesPerAlloc: 28.2, here: { nsPerOp: 107, touchesPerAlloc: 28.2, ratio: 4.05 } },
        { version: 'linux-6.12', stream: 'lazy-churn', ops: 1e6, nsPerOp: 537, touchesPerAlloc: 25.6, ratio: null, nativeNsPerOp: null, nativeTouchesPerAlloc: null },
        { version: 'linux-6.1', stream: 'lazy-churn', ops: 1e6, nsPerOp: 442, touchesPerAlloc: 25.5, ratio: 10.5, nativeNsPerOp: 42, nativeTouchesPerAlloc: 25.5, here: { missing: 'gcc not runnable' } },
      ]),
    );
    expect(parsed).to.deep.equal([
      { version: 'linux-2.6.39', stream: 'lazy-churn', nsPerOp: 433, touchesPerAlloc: 28.2, cHere: { nsPerOp: 107, touchesPerAlloc: 28.2, ratio: 4.05 } },
      { version: 'linux-6.12', stream: 'lazy-churn', nsPerOp: 537, touchesPerAlloc: 25.6 },
      { version: 'linux-6.1', stream: 'lazy-churn', nsPerOp: 442, touchesPerAlloc: 25.5, cHere: { missing: 'gcc not runnable' } },
    ]);
  });
});
