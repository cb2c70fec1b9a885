// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { packageImports } from '../../../scripts/lib/new-variant.js';
import { FROM_SOURCES } from '../../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** vmapsim from its sources, run in `cwd` (an arbitrary folder, not the checkout). */
function vmapsim(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...FROM_SOURCES, join(ROOT, 'scripts', 'vmapsim.ts'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The fit test of linux-6.12's alloc_vmap_area (is_within_this_va): the new area must end within the free block. */
const FIT = '    return ule(nva_start_addr + size, va.va_end);';

describe('vmapsim new-variant and --kernel ./FILE.ts', function () {
  this.timeout(240000);
  const dir = mkdtempSync(join(tmpdir(), 'vmapsim-variant-'));
  const mine = join(dir, 'p', 'mine.ts');

  it('writes a copy whose imports name the package, not paths into the tree', () => {
    const r = vmapsim(dir, 'new-variant', mine, '--from', 'linux-6.12');
    expect(r.status, r.stderr).to.equal(0);
    const text = readFileSync(mine, 'utf8');
    expect(text).to.not.match(/from '\.\.?\//);
    expect(text).to.contain("from 'vmapsim/kernel/mm/vmalloc/common'");
    expect(text).to.contain('export class vmap_allocator extends vmalloc_shims<vmap_area> implements VmapAllocator {');
    expect(text).to.contain("name: 'mine',");
    expect(text).to.contain("export const manifest = deriveManifest('linux-6.12', {");
    expect(text.split(FIT).length - 1).to.equal(1);
    const again = vmapsim(dir, 'new-variant', mine, '--from', 'linux-6.12');
    expect(again.status).to.equal(2);
    expect(again.stderr.trim()).to.equal(`vmapsim: new-variant: ${mine}: exists (give --force to overwrite)`);
  });

  it('unchanged, finds no divergence against its source (exit 0), across worker threads too', () => {
    const r = vmapsim(dir, 'check', '--kernel', mine, '--against', 'linux-6.12', '--runs', '2', '--ops', '400', '--jobs', '2');
    expect(r.stderr).to.equal('');
    expect(r.status).to.equal(0);
    expect(r.stdout.trim()).to.equal('no divergence: mine vs linux-6.12: 800 operations tried in 2 runs (workload all, seeds from 1, runs 2, shard 0/1)');
  });

  it('with one comparison of the fit test changed, finds, shrinks and explains the divergence (exit 1)', () => {
    writeFileSync(mine, readFileSync(mine, 'utf8').replace(FIT, FIT.replace('ule(', 'ult(')));
    const r = vmapsim(dir, 'check', '--kernel', mine, '--against', 'linux-6.12', '--runs', '2', '--ops', '400', '--jobs', '1');
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stdout).to.contain('DIVERGENCE: mine vs linux-6.12: different results');
    expect(r.stdout).to.match(/shrunk to 3 op\(s\)/);
    expect(r.stdout).to.contain('from free block [ffffc90000001000, ffffc90000002000), FL_FIT_TYPE');
  });

  it('runs on the machine as its base kernel does (run --kernel FILE)', () => {
    const r = vmapsim(dir, 'run', 'vmalloc-loop', '--kernel', `linux-6.12,${mine}`, '--cpus', '1', 'iterations=200', '--json');
    expect(r.status, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout) as { runs: { kernel: string }[] };
    expect(j.runs.map((x) => x.kernel)).to.deep.equal(['linux-6.12', 'mine']);
  });

  it('runs from the built CLI too (dist/: the variant transpiled by the user-module hooks)', () => {
    // make test builds first; a missing build is a failure here, not a skipped case.
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'scripts', 'vmapsim.js'), 'run', 'vmalloc-loop', '--kernel', `linux-6.12,${mine}`, '--cpus', '1', 'iterations=200', '--json'], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout) as { runs: { kernel: string }[] };
    expect(j.runs.map((x) => x.kernel)).to.deep.equal(['linux-6.12', 'mine']);
  });

  it('reports a broken file as one line with file:line and exit 2', () => {
    const broken = join(dir, 'broken.ts');
    writeFileSync(broken, readFileSync(mine, 'utf8').replace("name: 'mine'", "name: 'broken'").replace('ult(nva_start_addr + size, va.va_end)', 'ult(nva_start_addr + size, va.va_endx)'));
    const line = readFileSync(broken, 'utf8').split('\n').findIndex((l) => l.includes('va_endx')) + 1;
    const r = vmapsim(dir, 'check', '--kernel', broken, '--against', 'linux-6.12');
    expect(r.status).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.contain(`${broken}:${line}: TS2551: Property 'va_endx' does not exist on type 'vmap_area'`);
    const empty = join(dir, 'empty.ts');
    writeFileSync(empty, 'export const x = 1;\n');
    const e = vmapsim(dir, 'bench', '--kernel', empty);
    expect(e.status).to.equal(2);
    expect(e.stderr.trim()).to.match(/^vmapsim: option '--kernel <list>' argument '.*empty\.ts' is invalid\. .*empty\.ts: exports no manifest/);
  });

  it("walks through the README: 9f531973dff3 applied by hand to a copy of linux-5.2 is found and shrunk", () => {
    const my = join(dir, 'walk', 'my.ts');
    expect(vmapsim(dir, 'new-variant', my, '--from', 'linux-5.2').status).to.equal(0);
    let text = readFileSync(my, 'utf8');
    const edits: [string, string][] = [
      ['  find_vmap_lowest_match(size: ulong, align: ulong, vstart: ulong): vmap_area | null {', '  find_vmap_lowest_match(size: ulong, align: ulong, vstart: ulong, adjust_search_size = true): vmap_area | null {'],
      ['    const length = size + align - 1;', '    const length = adjust_search_size ? size + align - 1 : size;'],
      [
        '    const va = this.find_vmap_lowest_match(size, align, vstart);\n    if (!va) return vend;',
        '    let adjust_search_size = true;\n    if (ule(align, PAGE_SIZE) || (ugt(align, PAGE_SIZE) && vend - vstart === size)) adjust_search_size = false;\n\n    const va = this.find_vmap_lowest_match(size, align, vstart, adjust_search_size);\n    if (!va) return vend;',
      ],
    ];
    for (const [from, to] of edits) {
      expect(text.split(from).length - 1, from).to.equal(1);
      text = text.replace(from, to);
    }
    writeFileSync(my, text);
    const r = vmapsim(join(dir, 'walk'), 'check', '--kernel', './my.ts', '--against', 'linux-5.2', '--workload', 'random', '--runs', '1', '--jobs', '1');
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stdout).to.contain('shrunk to 6 op(s)');
    expect(r.stdout).to.contain('      a 1000 2 ffffc90000000000 ffffe8ffffffffff -> ffffc90000001000');
    expect(r.stdout).to.contain('      a 1000 2 ffffc90000000000 ffffe8ffffffffff -> ffffc90000003000');
  });

  it('rewrites relative imports against the source file', () => {
    const src = join(ROOT, 'kernel', 'mm', 'vmalloc', 'linux-2.6.35.ts');
    expect(packageImports("import { x } from '../../include/u64';\nimport { y } from './common';\n", src)).to.equal(
      "import { x } from 'vmapsim/kernel/include/u64';\nimport { y } from 'vmapsim/kernel/mm/vmalloc/common';\n",
    );
  });

  it('exports the built modules through the package name', () => {
    // make test builds first; a missing build is a failure here, not a skipped case.
    expect(existsSync(join(ROOT, 'dist', 'kernel', 'manifest', 'index.js')), 'dist/ is built (make build)').to.equal(true);
    expect(createRequire(import.meta.url).resolve('vmapsim/kernel/manifest/index')).to.equal(join(ROOT, 'dist', 'kernel', 'manifest', 'index.js'));
  });
});

describe('vmapsim new-variant --from a check variant', () => {
  it('refuses with one line naming the variant and its base, exit 2, and writes nothing', async () => {
    const { newVariantCommand } = await import('../../../scripts/lib/new-variant.js');
    const dir = mkdtempSync(join(tmpdir(), 'vmapsim-variant-from-'));
    const file = join(dir, 'x.ts');
    const out: string[] = [];
    const err: string[] = [];
    const status = newVariantCommand(file, { from: 'linux-2.6.35-nick-v1' }, (s) => out.push(s), (s) => err.push(s));
    expect(status).to.equal(2);
    expect(out).to.deep.equal([]);
    expect(err).to.deep.equal([
      'vmapsim: new-variant --from: linux-2.6.35-nick-v1 is a check variant (a patch on linux-2.6.35): copy its base with --from linux-2.6.35 and apply the patch to the copy',
    ]);
    expect(existsSync(file)).to.equal(false);
  });
});
