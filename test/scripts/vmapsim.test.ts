// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FLUSH_ERAS } from '../../kernel/arch/x86/mm/tlb.js';
import { API_ERAS } from '../../kernel/mm/vmalloc/api/index.js';
import { VERSIONS } from '../../kernel/mm/vmalloc/index.js';
import { goldenTraces } from '../helpers/golden.js';
import { FROM_SOURCES } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Folders of some machine: a product's output never names one. */
const MACHINE_PATH = /\/tmp\/|\/work\/|\/root\/|\/home\/|\/ref\//;

function vmapsim(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...FROM_SOURCES, join(ROOT, 'scripts', 'vmapsim.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the vmapsim command', function () {
  this.timeout(60000);
  const tmp = mkdtempSync(join(tmpdir(), 'vmapsim-'));
  const good = goldenTraces('linux-2.6.35').find((f) => f.includes('tiny-window.s1')) as string;

  it('replays a golden trace with one summary line and exit status 0', () => {
    const r = vmapsim('replay', good);
    expect(r.status).to.equal(0);
    expect(r.stdout.trim().split('\n')).to.have.length(1);
    expect(r.stdout).to.contain('ok linux-2.6.35 tiny-window: 4000 ops');
  });

  it('exits 1 on a divergence and prints the file, op and line, expected and actual', () => {
    const text = gunzipSync(readFileSync(good)).toString('utf8').replace(/lazy=0\n/, 'lazy=5\n');
    const f = join(tmp, 'bad.trace');
    writeFileSync(f, text);
    const r = vmapsim('replay', f);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/bad\.trace:15: divergence at op 1 \(state\)/);
    expect(r.stderr).to.contain('expected: = lazy=5');
    expect(r.stderr).to.contain('actual:   = lazy=0');
  });

  it('exits 2 with one line and no stack trace for truncated gzip data', () => {
    const f = join(tmp, 'cut.trace.gz');
    const buf = readFileSync(good);
    writeFileSync(f, buf.subarray(0, buf.length >> 1));
    const r = vmapsim('replay', f);
    expect(r.status).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/cut\.trace\.gz: truncated or corrupt gzip data/);
    expect(r.stderr).to.not.contain('    at ');
  });

  it('exits 2 for a missing file', () => {
    const r = vmapsim('replay', join(tmp, 'nope.trace'));
    expect(r.status).to.equal(2);
    expect(r.stderr.trim()).to.equal(`vmapsim: ${join(tmp, 'nope.trace')}: no such file`);
  });

  it('exits 2 for an unknown kernel and lists the known ones', () => {
    const r = vmapsim('bench', '--kernel', 'linux-9.9');
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('unknown kernel "linux-9.9" (known: linux-2.6.35');
  });

  it('exits 2 with one line for a zero loop count or CPU count of bench gfs2', () => {
    for (const [opt, msg] of [
      ['--iterations', "option '--iterations <n>' argument '0' is invalid. must be a whole number of at least 1"],
      ['--cpus', "option '--cpus <n>' argument '0' is invalid. must be a whole number from 1 to 512"],
    ] as [string, string][]) {
      const r = vmapsim('bench', 'gfs2', opt, '0');
      expect(r.status).to.equal(2);
      expect(r.stderr.trim()).to.equal(`vmapsim: ${msg}`);
    }
  });

  it('exits 2 with one line when an output file cannot be written', () => {
    const notDir = join(tmp, 'a-file');
    writeFileSync(notDir, '');
    const r = vmapsim('run', 'ne-split-failslab', '--kernel', 'linux-6.1', '--html', join(notDir, 'report.html'), 'allocs=1');
    expect(r.status).to.equal(2);
    expect(r.stderr.trim()).to.match(/^vmapsim: .*a-file\/report\.html: cannot write \(ENOTDIR\)$/);
  });

  it('lists the versions with their sources', () => {
    const r = vmapsim('list');
    expect(r.status).to.equal(0);
    expect(r.stdout).to.contain('linux-2.6.39');
    expect(r.stdout).to.contain('89699605fe7c');
  });

  it('prints no machine path in list, list --json or the help of the commands that read data/', function () {
    this.timeout(240_000); // six CLI starts from the sources; a loaded host takes 10-20 s each
    for (const args of [['list'], ['list', '--json'], ['bench', '--help'], ['main', '--help'], ['replay', '--help']]) {
      const r = vmapsim(...args);
      expect(r.status, args.join(' ')).to.equal(0);
      expect(r.stdout.length, args.join(' ')).to.be.greaterThan(100);
      expect(r.stdout, args.join(' ')).to.not.match(MACHINE_PATH);
      expect(r.stdout, args.join(' ')).to.not.contain(ROOT);
    }
    expect(vmapsim('main', '--help').stdout).to.match(/default: \$VMAPSIM_GOLDEN,\s+else data\/golden/);
  });

  it('names every ported text by a public source or a docs/sources.md anchor, never a machine path', () => {
    const sources = [...VERSIONS.map((v) => v.source), ...API_ERAS.map((e) => e.source), ...FLUSH_ERAS.map((e) => e.source)];
    expect(sources.length).to.be.greaterThan(15);
    for (const s of sources) expect(s).to.not.match(MACHINE_PATH);
    const anchors = sources.flatMap((s) => [...s.matchAll(/docs\/sources\.md#([\w.+-]+)/g)].map((m) => m[1]));
    expect(anchors).to.include.members(['text-linux-2.6.35', 'text-linux-3.18', 'text-linux-6.1', 'text-linux-6.12', 'text-linux-7.3']);
    const doc = readFileSync(join(ROOT, 'docs', 'sources.md'), 'utf8');
    for (const a of anchors) expect(doc, a).to.contain(`<a id="${a}"></a>`);
  });

  it('lists the kernels a machine scenario boots and the check variants', () => {
    const r = vmapsim('list');
    expect(r.stdout).to.match(/linux-2\.6\.35-02b709df\s+linux-2\.6\.35 \+ linux-2\.6\.35-02b709df API \+ linux-2\.6 flushes/);
    expect(r.stdout).to.match(/linux-6\.1\+fc1e0d980037\s+linux-6\.1 \+ linux-6\.1\+fc1e0d980037 API/);
    expect(r.stdout).to.match(/linux-3\.18-liu-purged\s+linux-3\.18 with Liu Song's/);
    expect(r.stdout).to.match(/linux-7\.3\s+linux-7\.3 \+ linux-7\.3 API \+ linux-6\.15 flushes/);
    expect(r.stdout).to.match(/text: Debian linux-source-7\.3 7\.3\.4-1~bpo13\+1, mm\/vmalloc\.c \(text not committed; docs\/sources\.md#text-linux-7\.3\)/);
  });
});
