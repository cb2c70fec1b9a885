// SPDX-License-Identifier: GPL-2.0-only
/*
 * The divergence reports of `vmapsim check`, byte for byte. The expected
 * texts under reports/ were printed by the check harness as it stood
 * before it compared outcomes by numbers and built op lines and state
 * lines only when read (commit ab17459, `vmapsim check ARGS --jobs 1`,
 * standard output), so they hold the cheaper comparison to the old one.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkCommand, type CheckOptions } from '../../../scripts/check/command.js';

const REPORTS = join(import.meta.dirname, 'reports');

async function check(over: Partial<CheckOptions>): Promise<{ status: number; out: string }> {
  const o: string[] = [];
  const opts: CheckOptions = { kernel: '', against: '', workload: 'all', seed: 1, runs: 1, shard: { index: 0, count: 1 }, jobs: 1, ...over };
  const status = await checkCommand(opts, (s) => o.push(s), () => {});
  return { status, out: o.map((s) => `${s}\n`).join('') };
}

function expected(name: string): string {
  return readFileSync(join(REPORTS, name), 'utf8');
}

describe('the report of a known divergence', function () {
  this.timeout(300000);

  it('is unchanged for two wasm cores that give different results (nick-v1 against 2.6.35)', async () => {
    const r = await check({ kernel: 'linux-2.6.35-nick-v1@wasm', against: 'linux-2.6.35@wasm', runs: 10 });
    expect(r.status).to.equal(1);
    expect(r.out).to.equal(expected('nick-v1-wasm.txt'));
  });

  it('is unchanged for a core against a port with --keep-going (liu-purged against 3.18)', async () => {
    const r = await check({ kernel: 'linux-3.18-liu-purged@wasm', against: 'linux-3.18', runs: 10, keepGoing: true });
    expect(r.status).to.equal(1);
    expect(r.out).to.equal(expected('liu-purged-wasm-keep-going.txt'));
  });

  it('is unchanged for two ports compared with --compare-state (6.1 against 5.2)', async () => {
    const r = await check({ kernel: 'linux-6.1', against: 'linux-5.2', runs: 6, compareState: true });
    expect(r.status).to.equal(1);
    expect(r.out).to.equal(expected('linux-6.1-vs-5.2-state.txt'));
  });

  it('is unchanged when the state lines are what differs (mmotm against itself without its cache)', async () => {
    const r = await check({ kernel: 'mmotm-2010-vmap-cache-v1', against: 'no-cache', runs: 2, ops: 300, compareState: true });
    expect(r.status).to.equal(1);
    expect(r.out).to.contain('different state lines');
    expect(r.out).to.equal(expected('mmotm-no-cache-state.txt'));
  });
});
