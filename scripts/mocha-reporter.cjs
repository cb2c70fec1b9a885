// SPDX-License-Identifier: GPL-2.0-only
// Mocha's dot reporter, closing with the plain line "N passed, N failed, N skipped"
// that CI reads in any language.
'use strict';
const Mocha = require('mocha');
const { Dot } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class DotWithTotals extends Dot {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || this.stats;
      process.stdout.write(`${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
    });
  }
}

module.exports = DotWithTotals;
