// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkCommand, type CheckOptions } from '../../../scripts/check/command.js';
import { goldenTraces } from '../../helpers/golden.js';
import { FROM_SOURCES } from '../../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

function vmapsim(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...FROM_SOURCES, join(ROOT, 'scripts', 'vmapsim.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function opts(over: Partial<CheckOptions>): CheckOptions {
  return { kernel: 'linux-2.6.39', against: 'no-cache', workload: 'all', seed: 1, runs: 3, shard: { index: 0, count: 1 }, jobs: 1, ops: 200, ...over };
}

async function run(over: Partial<CheckOptions>): Promise<{ status: number; out: string; err: string }> {
  const o: string[] = [];
  const e: string[] = [];
  const status = await checkCommand(opts(over), (s) => o.push(s), (s) => e.push(s));
  return { status, out: o.join('\n'), err: e.join('\n') };
}

describe('vmapsim check', function () {
  this.timeout(60000);

  it('exits 0 and says how many operations it tried when nothing diverges', async () => {
    const r = await run({});
    expect(r.status).to.equal(0);
    expect(r.out).to.equal('no divergence: linux-2.6.39 vs linux-2.6.39+no-cache: 600 operations tried in 3 runs (workload all, seeds from 1, runs 3, shard 0/1)');
  });

  it('exits 1 on a divergence with the minimal sequence, both sides, the branches, the address map and both traces', async () => {
    const r = await run({ kernel: 'mmotm-2010-vmap-cache-v1', against: 'linux-2.6.35', workload: 'ioremap-align', ops: 4000, runs: 1 });
    expect(r.status).to.equal(1);
    expect(r.out).to.contain('DIVERGENCE: mmotm-2010-vmap-cache-v1 vs linux-2.6.35: a BUG on one side only');
    expect(r.out).to.contain('shrunk to 4 op(s)');
    expect(r.out).to.contain('! bug alloc_vmap_area:412 first->va_start < addr');
    expect(r.out).to.contain('Branch taken at op 4:\n  mmotm-2010-vmap-cache-v1: cache dropped (size 1000 <= cached_hole_size 2000)');
    expect(r.out).to.contain('Address map before op 4 (mmotm-2010-vmap-cache-v1):');
    expect(r.out).to.contain('--- trace of linux-2.6.35 (golden format');
    expect(r.out).to.match(/divergence found; 92 operations tried in 1 run/);
  });

  it('is deterministic: the same seed gives the same output', async () => {
    const a = await run({ kernel: 'linux-6.1', against: 'first-fit', workload: 'ioremap-align', runs: 2 });
    const b = await run({ kernel: 'linux-6.1', against: 'first-fit', workload: 'ioremap-align', runs: 2 });
    expect(a.out).to.equal(b.out);
  });

  it('writes traces that `vmapsim replay` replays with exit status 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmapsim-check-'));
    const r = await run({ kernel: 'linux-2.6.39', against: 'linux-2.6.35', workload: 'random-mixed', runs: 1, ops: 4000, save: dir, json: true });
    expect(r.status).to.equal(1);
    const j = JSON.parse(r.out) as { saved: string[]; divergences: { ops: string[] }[] };
    expect(j.saved).to.have.length(2);
    expect(j.divergences[0]!.ops).to.have.length(4);
    const rep = vmapsim('replay', ...j.saved);
    expect(rep.status, rep.stderr).to.equal(0);
    expect(readFileSync(j.saved[0]!, 'utf8')).to.match(/^# format: vmap-golden 1\n# variant: linux-2.6.39\n/);
  });

  it('exits 2 with one line naming the parameter and the accepted values', () => {
    const bad = [
      [['check', '--kernel', 'linux-9.9', '--against', 'first-fit'], /--kernel <name>' argument 'linux-9\.9' is invalid\. unknown kernel "linux-9\.9" \(accepted: linux-2\.6\.35, /],
      [['check', '--kernel', 'linux-2.6.35', '--against', 'no-cache'], /--against no-cache: "linux-2\.6\.35" has no free-area cache \(accepted --kernel: mmotm-2010-vmap-cache-v1, linux-2\.6\.39, linux-3\.18\)/],
      [['check', '--kernel', 'linux-2.6.39@wasm', '--against', 'no-cache'], /--against no-cache: "linux-2\.6\.39@wasm" is a wasm core, whose cache cannot be switched off from outside \(use --kernel linux-2\.6\.39\)/],
      [['check', '--kernel', 'linux-6.1', '--against', 'first-fit', '--shard', '3/3'], /--shard <i\/n>' argument '3\/3' is invalid\. expected I\/N with 0 <= I < N/],
      [['check', '--kernel', 'linux-6.1', '--against', 'first-fit', '--workload', 'nope'], /unknown workload "nope" \(accepted: random-mixed, ioremap-align, tiny-window, top-of-space, lazy-churn, fixed-busy-list, random, pool-churn, all\)/],
    ] as const;
    for (const [args, re] of bad) {
      const r = vmapsim(...args);
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
      expect(r.stderr).to.match(re);
    }
  });
});

describe('vmapsim check --against first-fit --check', function () {
  this.timeout(120000);

  it('checks the model beside the port (exit 0 when they agree, 1 when they part), never an exit-2 internal error', async () => {
    const ok = await run({ kernel: 'linux-2.6.39', against: 'first-fit', check: true, runs: 2, ops: 500 });
    expect(ok.err).to.equal('');
    expect(ok.status).to.equal(0);
    expect(ok.out).to.match(/^no divergence: linux-2\.6\.39 vs first-fit\(linux-2\.6\.39\)/);
    const diverged = await run({ kernel: 'linux-2.6.35-nick-v1', against: 'first-fit', check: true, runs: 2, ops: 500 });
    expect(diverged.status).to.equal(1);
    expect(diverged.out).to.contain('DIVERGENCE: linux-2.6.35-nick-v1 vs first-fit(linux-2.6.35-nick-v1)');
    const cli = vmapsim('check', '--kernel', 'linux-2.6.39', '--against', 'first-fit', '--check', '--runs', '1', '--ops', '300', '--jobs', '1');
    expect(cli.stderr).to.equal('');
    expect(cli.status).to.equal(0);
  });

  it('finds a corrupted model through its snapshot rules', async () => {
    const { checkInvariants } = await import('../../../scripts/check/invariants.js');
    const { againstContender } = await import('../../../scripts/check/contenders.js');
    const { nullHooks } = await import('../../../kernel/mm/vmalloc/common.js');
    const a = againstContender('first-fit', 'linux-6.12').create(1, nullHooks());
    a.alloc_vmap_area(0x2000, 1, 0x10000, 0x100000);
    expect(checkInvariants(a)).to.deep.equal([]);
    (a as unknown as { vmap_lazy_nr: number }).vmap_lazy_nr = 3;
    expect(checkInvariants(a)).to.deep.equal(['vmap_lazy_nr is 3, the lazily freed areas hold 0 pages']);
  });

  it('reports bad input as one line and exit 2, anything else as an internal error and exit 3', async () => {
    const { reportError } = await import('../../../scripts/lib/exit.js');
    const { InputError, UsageError } = await import('../../../scripts/lib/input-error.js');
    const lines: string[] = [];
    expect(reportError(new InputError('f.trace', 3, 'bad hex'), (s) => lines.push(s))).to.equal(2);
    expect(reportError(new UsageError('--against no-cache: no cache'), (s) => lines.push(s))).to.equal(2);
    expect(lines).to.deep.equal(['vmapsim: f.trace:3: bad hex', 'vmapsim: --against no-cache: no cache']);
    const internal: string[] = [];
    expect(reportError(new TypeError("Cannot read properties of undefined (reading 'rb_node')"), (s) => internal.push(s))).to.equal(3);
    expect(internal[0]).to.match(/^vmapsim: internal error \(a bug in vmapsim, not in the input\): TypeError: Cannot read properties of undefined/);
  });
});

describe('vmapsim replay --check', function () {
  this.timeout(60000);
  it('checks the invariants after every op and exits 0 when they hold, 1 with a dump when not', () => {
    const good = goldenTraces('linux-6.1').find((f) => f.includes('random-mixed.s1')) as string;
    const wrap = goldenTraces('linux-2.6.35').find((f) => f.includes('top-of-space.s2')) as string;
    const r = vmapsim('replay', '--check', good, wrap);
    expect(r.status).to.equal(1);
    expect(r.stdout).to.contain('invariants hold after each of 4000 ops');
    expect(r.stderr).to.contain('invariant violated after op 32 (linux-2.6.35)');
    expect(r.stderr).to.contain('busy tree: empty or wrapped area [ffffffffffff0000, 0)');
    expect(r.stderr).to.contain('last operations:');
    expect(r.stderr).to.contain('busy tree:\n');
  });
});
