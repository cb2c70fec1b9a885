// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { runCommand } from '../../../scripts/run/command.js';

async function run(words: string[], opts: { json?: boolean; lockStat?: boolean }): Promise<{ status: number; out: string }> {
  let out = '';
  const status = await runCommand('vmalloc-loop', words, { kernel: ['linux-6.1', 'linux-6.12'], cpus: [2], seed: 1, ...opts }, (s) => (out += s + '\n'), () => {});
  return { status, out };
}

const LOOP = ['iterations=300', 'threads=true', 'checker=false'];

describe('scripts/run/command: vmapsim run', () => {
  it('with --lock-stat, prints each run\'s /proc/lock_stat after the table, its global locks contended on two CPUs', async () => {
    const { status, out } = await run(LOOP, { lockStat: true });
    expect(status).to.equal(0);
    const parts = out.split('/proc/lock_stat of ');
    expect(parts.map((p) => p.split(' (')[0])).to.deep.equal([parts[0]!.split(' (')[0], 'linux-6.1 on 2 CPUs', 'linux-6.12 on 2 CPUs']);
    expect(parts[1]).to.contain('lock_stat version 0.4');
    const line = parts[1]!.split('\n').find((l) => l.trimStart().startsWith('free_vmap_area_lock:'));
    expect(line, 'a free_vmap_area_lock line in 6.1\'s table').to.not.equal(undefined);
    const [conBounces, contentions] = line!.split(':')[1]!.trim().split(/\s+/).map(Number);
    expect(contentions).to.be.greaterThan(0);
    expect(conBounces).to.be.at.most(contentions!);
    expect(parts[2]).to.match(/vn->busy\.lock:/);
  });

  it('without --lock-stat, prints no lock_stat; with --json, gives each run its lock classes in cycles and each CPU\'s waits', async () => {
    expect((await run(LOOP, {})).out).to.not.contain('lock_stat');
    const { out } = await run(LOOP, { json: true, lockStat: true });
    const j = JSON.parse(out) as { runs: { lockStat: { clockHz: number; classes: { name: string; contentions: number; waittimeTotal: number; waitByCpu: number[] }[] } }[] };
    expect(out).to.not.contain('lock_stat version');
    for (const r of j.runs) {
      expect(r.lockStat.clockHz).to.equal(3e9);
      for (const c of r.lockStat.classes) {
        expect(c.waitByCpu).to.have.length(2);
        expect(c.waitByCpu[0]! + c.waitByCpu[1]!).to.be.closeTo(c.waittimeTotal, 1e-6);
      }
    }
    expect(j.runs[0]!.lockStat.classes.find((c) => c.name === 'free_vmap_area_lock')!.contentions).to.be.greaterThan(0);
  });
});
