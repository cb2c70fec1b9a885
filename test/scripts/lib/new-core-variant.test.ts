// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FROM_SOURCES } from '../../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'vmapsim', 'wasm');

/** vmapsim from its sources, run in `cwd` (an arbitrary folder, not the checkout). */
function vmapsim(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...FROM_SOURCES, join(ROOT, 'scripts', 'vmapsim.ts'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The fit test of the 6.1 core (is_within_this_va): the new area must end within the free block. */
const FIT = '  return nva_start_addr + size <= va.va_end;';

/** Line and column (1-based) of the first occurrence of `what` in a file. */
function position(file: string, what: string): [number, number] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(what));
  return [i + 1, lines[i]!.indexOf(what) + 1];
}

/** A run's JSON rows without the kernel's name. */
function runsOf(stdout: string): Record<string, unknown>[] {
  return (JSON.parse(stdout) as { runs: Record<string, unknown>[] }).runs.map(({ kernel: _k, ...rest }) => rest);
}

describe('vmapsim new-variant FILE.as.ts --from KERNEL@wasm and --kernel ./FILE.as.ts (a wasm core of your own)', function () {
  this.timeout(600000);
  const dir = mkdtempSync(join(tmpdir(), 'vmapsim-core-'));
  const mine = join(dir, 'p', 'mine.as.ts');
  const core = readFileSync(join(ROOT, 'kernel', 'mm', 'vmalloc', 'as', 'linux-6.1.ts'), 'utf8');

  it('writes the core\'s allocator file under a header that names the core, and nothing else', () => {
    const r = vmapsim(dir, 'new-variant', mine, '--from', 'linux-6.1@wasm');
    expect(r.status, r.stderr).to.equal(0);
    const text = readFileSync(mine, 'utf8');
    const lines = text.split('\n');
    expect(lines[0]).to.equal('// SPDX-License-Identifier: GPL-2.0-only');
    expect(lines).to.include('// vmapsim-from: linux-6.1@wasm');
    // Below the header, the core itself, imports untouched.
    expect(text.endsWith(core.slice(core.indexOf('\n') + 1))).to.equal(true);
    expect(text.split(FIT).length - 1).to.equal(1);
    expect(readdirSync(join(dir, 'p'))).to.deep.equal(['mine.as.ts']);
    const again = vmapsim(dir, 'new-variant', mine, '--from', 'linux-6.1@wasm');
    expect(again.status).to.equal(2);
    expect(again.stderr.trim()).to.equal(`vmapsim: new-variant: ${mine}: exists (give --force to overwrite)`);
  });

  it('refuses a .as.ts copy of a TypeScript port and a .ts copy of a core, one line each (exit 2)', () => {
    const a = vmapsim(dir, 'new-variant', join(dir, 'x.as.ts'), '--from', 'linux-6.1');
    expect(a.status).to.equal(2);
    expect(a.stderr.trim().split('\n')).to.have.length(1);
    expect(a.stderr).to.contain('give --from linux-6.1@wasm');
    const b = vmapsim(dir, 'new-variant', join(dir, 'x.ts'), '--from', 'linux-6.1@wasm');
    expect(b.status).to.equal(2);
    expect(b.stderr.trim()).to.equal(`vmapsim: new-variant: ${join(dir, 'x.ts')}: a copy of a wasm core is AssemblyScript: the file must end in .as.ts`);
  });

  it('unchanged, is compiled when loaded and finds no divergence against its kernel (exit 0), across worker threads too, its .wasm cached outside the tree', () => {
    const r = vmapsim(dir, 'check', '--kernel', mine, '--against', 'linux-6.1', '--runs', '2', '--ops', '400', '--jobs', '2');
    expect(r.stderr).to.equal('');
    expect(r.status).to.equal(0);
    expect(r.stdout.trim()).to.equal('no divergence: mine vs linux-6.1: 800 operations tried in 2 runs (workload all, seeds from 1, runs 2, shard 0/1)');
    expect(readdirSync(CACHE).filter((f) => f.endsWith('.wasm')).length).to.be.greaterThan(0);
    expect(existsSync(join(dir, 'p', 'mine.wasm'))).to.equal(false);
  });

  it('with `<=` made `<` in the fit test, finds, shrinks and explains the divergence (exit 1); put back, checks clean again with no manual step', () => {
    const text = readFileSync(mine, 'utf8');
    writeFileSync(mine, text.replace(FIT, FIT.replace('<=', '<')));
    const r = vmapsim(dir, 'check', '--kernel', mine, '--against', 'linux-6.1', '--runs', '2', '--ops', '400', '--jobs', '1');
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stdout).to.contain('DIVERGENCE: mine vs linux-6.1: different results');
    expect(r.stdout).to.match(/shrunk to 3 op\(s\)/);
    expect(r.stdout).to.contain('from free block [ffffc90000001000, ffffc90000002000), FL_FIT_TYPE');
    writeFileSync(mine, text);
    const back = vmapsim(dir, 'check', '--kernel', mine, '--against', 'linux-6.1', '--runs', '1', '--ops', '400', '--jobs', '1');
    expect(back.status, back.stdout).to.equal(0);
  });

  it('reports a syntax error as one line FILE:LINE:COL: message (exit 2)', () => {
    const broken = join(dir, 'syntax.as.ts');
    writeFileSync(broken, readFileSync(mine, 'utf8').replace(FIT, '  return nva_start_addr + size <= ;'));
    // The expression is missing where the semicolon stands.
    const [line, col] = position(broken, '<= ;');
    const r = vmapsim(dir, 'check', '--kernel', broken, '--against', 'linux-6.1');
    expect(r.status).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.contain(`${broken}:${line}:${col + 3}: TS1109: Expression expected.`);
  });

  it('reports a type error as one line FILE:LINE:COL: message (exit 2), for run as for check', () => {
    const broken = join(dir, 'typo.as.ts');
    writeFileSync(broken, readFileSync(mine, 'utf8').replace(FIT, FIT.replace('va.va_end', 'va.va_endx')));
    const [line, col] = position(broken, 'va_endx');
    for (const args of [['check', '--kernel', broken, '--against', 'linux-6.1'], ['run', 'vmalloc-loop', '--kernel', broken]]) {
      const r = vmapsim(dir, ...args);
      expect(r.status, args[0]).to.equal(2);
      expect(r.stderr.trim().split('\n'), args[0]).to.have.length(1);
      expect(r.stderr, args[0]).to.contain(`${broken}:${line}:${col}: TS2339: Property 'va_endx' does not exist on type`);
    }
  });

  it('names the core\'s boundary when the copy no longer exports what it calls', () => {
    const broken = join(dir, 'unexported.as.ts');
    writeFileSync(broken, readFileSync(mine, 'utf8').replace('export function find_vmap_area(', 'function find_vmap_area('));
    const r = vmapsim(dir, 'check', '--kernel', broken, '--against', 'linux-6.1');
    expect(r.status).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/kernel\/mm\/vmalloc\/as\/linux-6\.1\.exports\.ts:\d+:\d+: TS2305: Module 'kernel\/mm\/vmalloc\/as\/linux-6\.1' has no exported member 'find_vmap_area'\. \(compiling .*unexported\.as\.ts as the core of linux-6\.1\)/);
  });

  it('checks from the built CLI too (dist/)', () => {
    // make test builds first; a missing build is a failure here, not a skipped case.
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'scripts', 'vmapsim.js'), 'check', '--kernel', mine, '--against', 'linux-6.1', '--runs', '1', '--ops', '200', '--jobs', '1'], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal('no divergence: mine vs linux-6.1: 200 operations tried in 1 run (workload all, seeds from 1, runs 1, shard 0/1)');
  });

  it('runs on the machine with the figures of its kernel (run --kernel linux-6.1,FILE)', () => {
    const r = vmapsim(dir, 'run', 'vmalloc-loop', '--kernel', `linux-6.1,${mine}`, '--cpus', '1', 'iterations=200', '--json');
    expect(r.status, r.stderr).to.equal(0);
    expect((JSON.parse(r.stdout) as { runs: { kernel: string }[] }).runs.map((x) => x.kernel)).to.deep.equal(['linux-6.1', 'mine']);
    const [port, copy] = runsOf(r.stdout);
    expect(copy).to.deep.equal(port);
  });

  it('runs on a 5-level machine in the 5-level vmalloc range of linux-6.1@wasm, with its figures (run paging=5)', () => {
    const r = vmapsim(dir, 'run', 'vmalloc-loop', '--kernel', `linux-6.1@wasm,${mine}`, '--cpus', '1', 'iterations=200', 'paging=5', '--json');
    expect(r.status, r.stderr).to.equal(0);
    const [core, copy] = runsOf(r.stdout);
    expect(copy!.notes).to.include('5-level paging; vmalloc range 0xffa0000000000000..0xffd1ffffffffffff');
    expect(copy).to.deep.equal(core);
  });

  it('replays a real kernel trace as linux-6.1@wasm does (replay tracefs --kernel FILE)', () => {
    const t = join(ROOT, 'data', 'real-traces', 'linux-6.12.c_rand1to64p_pool100.cpu1');
    const r = vmapsim(dir, 'replay', 'tracefs', `${t}.trace.gz`, '--before', `${t}.vmallocinfo-before.txt`, '--kernel', `linux-6.1@wasm,${mine}`, '--json');
    expect(r.status, r.stderr).to.equal(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows).to.have.length(2);
    const strip = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([k, v]) => !['kernel', 'version', 'name'].includes(k) && v !== 'linux-6.1@wasm' && v !== 'mine'));
    expect(strip(rows[1]!)).to.deep.equal(strip(rows[0]!));
  });

  it('is timed by bench with the touch counts of linux-6.1@wasm', () => {
    const r = vmapsim(dir, 'bench', '--kernel', `linux-6.1@wasm,${mine}`, '--stream', 'lazy-churn', '--json');
    expect(r.status, r.stderr).to.equal(0);
    const rows = JSON.parse(r.stdout) as { version: string; touchesPerAlloc: number }[];
    expect(rows.map((x) => x.version)).to.deep.equal(['linux-6.1@wasm', 'mine']);
    expect(rows[1]!.touchesPerAlloc).to.equal(rows[0]!.touchesPerAlloc);
  });

  it('copies a cache-era core too: linux-2.6.39@wasm, unchanged, checks clean against linux-2.6.39', () => {
    const old = join(dir, 'old.as.ts');
    expect(vmapsim(dir, 'new-variant', old, '--from', 'linux-2.6.39@wasm').status).to.equal(0);
    const r = vmapsim(dir, 'check', '--kernel', old, '--against', 'linux-2.6.39', '--runs', '1', '--ops', '400', '--jobs', '1', '--compare-state');
    expect(r.stderr).to.equal('');
    expect(r.stdout.trim()).to.match(/^no divergence: old vs linux-2\.6\.39: 400 operations tried in 1 run/);
    expect(r.status).to.equal(0);
  });

  // Every version's core boots now; a check variant's core has no machine of its own.
  it('does not boot a copy of a core that does not (linux-2.6.35-nick-v1@wasm, a check variant): run says so (exit 2)', () => {
    const nb = join(dir, 'noboot.as.ts');
    expect(vmapsim(dir, 'new-variant', nb, '--from', 'linux-2.6.35-nick-v1@wasm').status).to.equal(0);
    const r = vmapsim(dir, 'run', 'vmalloc-loop', '--kernel', nb);
    expect(r.status).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.contain('the kernel "noboot" it defines cannot be used here');
  });
});
