// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { dataDir, displayPath, goldenDir, realTracesDir, repoRoot } from '../../../scripts/lib/paths.js';

/** The checkout this spec file is in. */
const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** Run f with the environment variables set (undefined: unset), then put them back. */
function withEnv<T>(vars: Record<string, string | undefined>, f: () => T): T {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(vars)) saved[k] = process.env[k];
  const put = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) if (x === undefined) delete process.env[k];
    else process.env[k] = x;
  };
  put(vars);
  try {
    return f();
  } finally {
    put(saved);
  }
}

const inside = (dir: string, root: string): boolean => {
  const r = relative(root, dir);
  return r !== '' && !r.startsWith(`..${sep}`) && r !== '..' && !r.startsWith(sep);
};

describe('scripts/lib/paths: the reference data of the checkout', () => {
  const unset = { VMAPSIM_GOLDEN: undefined, VMAPSIM_REAL_TRACES: undefined };

  it('finds the checkout root', () => {
    expect(repoRoot()).to.equal(ROOT);
    expect(existsSync(join(repoRoot(), 'package.json'))).to.equal(true);
  });

  it('defaults goldenDir() to data/golden inside the checkout', () => {
    withEnv(unset, () => {
      expect(goldenDir()).to.equal(join(ROOT, 'data', 'golden'));
      expect(inside(goldenDir(), ROOT)).to.equal(true);
      expect(inside(dataDir(), ROOT)).to.equal(true);
    });
  });

  it('defaults realTracesDir() to data/real-traces inside the checkout', () => {
    withEnv(unset, () => {
      expect(realTracesDir()).to.equal(join(ROOT, 'data', 'real-traces'));
      expect(inside(realTracesDir(), ROOT)).to.equal(true);
    });
  });

  it('holds the golden traces, both bench streams and FORMAT.md there', () => {
    withEnv(unset, () => {
      const files = readdirSync(goldenDir());
      expect(files).to.include('FORMAT.md');
      expect(files).to.include.members(['bench-lazy-churn.ops.gz', 'bench-random-mixed.ops.gz']);
      expect(files.filter((f) => f.endsWith('.trace.gz'))).to.have.length(108);
      expect(readFileSync(join(goldenDir(), 'FORMAT.md'), 'utf8')).to.match(/^# Golden vmap-allocator traces/);
    });
  });

  it('holds the real-kernel traces, their vmallocinfo snapshots and README.md there', () => {
    withEnv(unset, () => {
      const files = readdirSync(realTracesDir());
      expect(files).to.include('README.md');
      const traces = files.filter((f) => f.endsWith('.trace.gz'));
      expect(traces).to.have.length(4);
      for (const t of traces) {
        const base = t.slice(0, -'.trace.gz'.length);
        expect(files).to.include.members([`${base}.vmallocinfo-before.txt`, `${base}.vmallocinfo-after.txt`]);
        expect(statSync(join(realTracesDir(), t)).size).to.be.greaterThan(1000);
      }
    });
  });

  it('takes $VMAPSIM_GOLDEN and $VMAPSIM_REAL_TRACES as overrides, resolved; empty means unset', () => {
    withEnv({ VMAPSIM_GOLDEN: '/elsewhere/g', VMAPSIM_REAL_TRACES: 'rel/rt' }, () => {
      expect(goldenDir()).to.equal(resolve('/elsewhere/g'));
      expect(realTracesDir()).to.equal(resolve('rel/rt'));
    });
    withEnv({ VMAPSIM_GOLDEN: '', VMAPSIM_REAL_TRACES: '' }, () => {
      expect(goldenDir()).to.equal(join(ROOT, 'data', 'golden'));
      expect(realTracesDir()).to.equal(join(ROOT, 'data', 'real-traces'));
    });
  });

  it('names a folder relative to the working folder when inside it, else as given', () => {
    expect(displayPath(join(ROOT, 'data', 'golden'), ROOT)).to.equal(join('data', 'golden'));
    expect(displayPath(ROOT, ROOT)).to.equal('.');
    expect(displayPath('/elsewhere/g', ROOT)).to.equal('/elsewhere/g');
    expect(displayPath(join(ROOT, '..dots'), ROOT)).to.equal('..dots');
  });
});

describe('no reader looks outside the checkout for its data', () => {
  /** Every .ts file under the folders, recursively. */
  function sources(dir: string): string[] {
    const out: string[] = [];
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) out.push(...sources(p));
      else if (e.name.endsWith('.ts')) out.push(p);
    }
    return out;
  }
  const files = ['scripts', 'kernel', 'hw', 'test'].flatMap((d) => sources(join(ROOT, d)));

  it('has no ../shared path and no \'shared\' path segment in any source', () => {
    expect(files.length).to.be.greaterThan(50);
    const bad: string[] = [];
    const self = resolve(import.meta.filename);
    for (const f of files) {
      if (resolve(f) === self) continue;
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/\.\.\/shared|['"]shared['"]|(^|[\s(`'"])shared\/(golden|real-traces|reference)/.test(line)) bad.push(`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(bad).to.deep.equal([]);
  });

  it('reads $VMAPSIM_GOLDEN and $VMAPSIM_REAL_TRACES only in scripts/lib/paths.ts', () => {
    const readers = files
      .filter((f) => resolve(f) !== resolve(import.meta.filename))
      .filter((f) => /process\.env(\.|\[')VMAPSIM_(GOLDEN|REAL_TRACES)|fromEnv\('VMAPSIM_/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    expect(readers).to.deep.equal([join('scripts', 'lib', 'paths.ts')]);
  });
});
