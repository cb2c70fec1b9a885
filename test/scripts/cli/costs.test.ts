// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveCostProfile } from '../../../hw/costs.js';
import { flushScaleCell } from '../../../scripts/bench/flush-scale.js';
import { FROM_SOURCES } from '../../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const GOLDEN = join(ROOT, 'data', 'golden', 'linux-2.6.35.fixed-busy-list.s1.trace.gz');
const TRACEFS = join(ROOT, 'data', 'real-traces', 'linux-6.12.a_vmalloc4p.cpu2');

function vmapsim(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...FROM_SOURCES, join(ROOT, 'scripts', 'vmapsim.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A cost file that starts from qemu-tcg and gives one cost a negative value. */
function badFile(): string {
  const f = join(mkdtempSync(join(tmpdir(), 'vmapsim-costs-')), 'bad.json');
  writeFileSync(f, JSON.stringify({ base: 'qemu-tcg', ipiSend: -1 }));
  return f;
}

function expectOneLine(r: { status: number | null; stderr: string }, what: RegExp): void {
  expect(r.status, r.stderr).to.equal(2);
  expect(r.stderr.trim().split('\n')).to.have.length(1);
  expect(r.stderr).to.match(what);
}

describe('--costs NAME|FILE on every command', function () {
  this.timeout(120_000);

  describe('vmapsim replay', () => {
    it('accepts a profile and prints the same summary as without one (the golden replay has no modelled time)', () => {
      const plain = vmapsim('replay', GOLDEN);
      const tcg = vmapsim('replay', GOLDEN, '--costs', 'qemu-tcg');
      expect(tcg.status, tcg.stderr).to.equal(0);
      expect(tcg.stdout).to.equal(plain.stdout);
      expect(tcg.stdout).to.contain('ok linux-2.6.35 fixed-busy-list');
    });

    it('exits 2 with one line for an unknown profile name', () => {
      expectOneLine(vmapsim('replay', GOLDEN, '--costs', 'qemu-kvm'), /unknown cost profile "qemu-kvm" \(known: hardware, qemu-tcg; or a JSON file\)/);
    });
  });

  describe('vmapsim replay tracefs', () => {
    it('exits 2 with one line naming the file and the field of a bad cost file', () => {
      const f = badFile();
      const r = vmapsim('replay', 'tracefs', `${TRACEFS}.trace.gz`, '--before', `${TRACEFS}.vmallocinfo-before.txt`, '--costs', f);
      expectOneLine(r, new RegExp(`cost file ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cost "ipiSend" must be a non-negative number`));
    });

    it('takes a profile by name and goes on to the trace (a missing trace is the error then)', () => {
      expectOneLine(vmapsim('replay', 'tracefs', 'no-such.trace', '--before', 'no-such.txt', '--costs', 'qemu-tcg'), /no-such/);
    });
  });

  describe('vmapsim check', () => {
    it('accepts a profile and reports the same as without one (the allocators run alone)', () => {
      const args = ['check', '--kernel', 'linux-2.6.39', '--against', 'no-cache', '--runs', '1', '--ops', '100', '--jobs', '1'];
      const plain = vmapsim(...args);
      const tcg = vmapsim(...args, '--costs', 'qemu-tcg');
      expect(tcg.status, tcg.stderr).to.equal(0);
      expect(tcg.stdout).to.equal(plain.stdout);
    });

    it('exits 2 with one line for a cost file that cannot be read', () => {
      expectOneLine(vmapsim('check', '--kernel', 'linux-2.6.39', '--against', 'no-cache', '--costs', 'missing/costs.json'), /cannot read cost file missing\/costs\.json: ENOENT/);
    });
  });

  describe('vmapsim bench scale', () => {
    it('exits 2 with one line for an unknown profile name', () => {
      expectOneLine(vmapsim('bench', 'scale', '--costs', 'fast'), /unknown cost profile "fast"/);
    });

    it('prices the flush rows with the profile: qemu-tcg waits 118,800 cycles longer for each IPI delivery at 2 CPUs', () => {
      const hw = flushScaleCell('linux-3.17', 2, 2);
      const tcg = flushScaleCell('linux-3.17', 2, 2, resolveCostProfile('qemu-tcg'));
      expect(tcg.purges).to.equal(hw.purges);
      expect(tcg.ipisPerPurge).to.equal(1);
      // ipiDelivery is 1,200 cycles on hardware and 120,000 under TCG; every other flush cost grows too.
      expect(tcg.initiatorCyclesPerPurge - hw.initiatorCyclesPerPurge).to.be.greaterThan(118_800);
    });
  });
});
