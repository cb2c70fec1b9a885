// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { ParamError, parseParams } from '../../../scripts/run/params.js';
import { runMatrix } from '../../../scripts/run/runner.js';
import { toJson } from '../../../scripts/report/table.js';
import { areaPages, dirtyBitmapBytes, kvmDirtyLog, MIGRATION_SLOT_PAGES } from '../../../scripts/scenarios/kvm-dirty-log.js';

const matrix = (kernels: string[], cpus: number[], words: string[], seed = 1) =>
  runMatrix(kvmDirtyLog, { kernels, cpus, seed, params: parseParams(kvmDirtyLog.name, kvmDirtyLog.params, ['boot=false', 'checker=false', ...words]) });
const cell = (kernel: string, cpus: number, words: string[]) => matrix([kernel], [cpus], words).cells[0]!.result;

describe('the kvm-dirty-log scenario', () => {
  it('sizes a 16 MiB VGA slot bitmap at 512 bytes (2-page area) and a 4 GiB slot at 128 KiB (33 pages)', () => {
    expect([dirtyBitmapBytes(4096), areaPages(dirtyBitmapBytes(4096))]).to.deep.equal([512, 2]);
    expect([dirtyBitmapBytes(MIGRATION_SLOT_PAGES), areaPages(dirtyBitmapBytes(MIGRATION_SLOT_PAGES))]).to.deep.equal([131072, 33]);
  });

  it('purges at the 4097th VGA ioctl on one CPU (8194 lazy pages > 8192), not before', () => {
    expect(cell('linux-2.6.35', 1, ['ioctls=4096']).figures.purges).to.equal(0);
    const r = cell('linux-2.6.35', 1, ['ioctls=4097']);
    expect(r.figures.purges).to.equal(1);
    expect(r.notes?.some((n) => n.includes('up to 4096 stale bitmap areas between purges'))).to.equal(true);
  });

  it('purges every 249 ioctls of a 4 GiB migration slot on one CPU (249 x 33 = 8217 > 8192)', () => {
    expect(cell('linux-2.6.39', 1, ['slot_pages=1048576', 'ioctls=248']).figures.purges).to.equal(0);
    const r = cell('linux-2.6.39', 1, ['slot_pages=1048576', 'ioctls=498']);
    expect(r.figures.purges).to.equal(2);
    expect(r.notes?.some((n) => n.includes('2 purges, the first at dirty ioctl 249, then every 249;'))).to.equal(true);
  });

  it('sends one IPI to each other CPU per purge on 4 CPUs and none per ioctl in between', () => {
    const r = cell('linux-6.1', 4, ['slot_pages=1048576', 'ioctls=800']);
    expect(r.figures.purges).to.equal(1);
    expect(r.figures.ipisSent).to.equal(3);
    expect(r.notes?.find((n) => n.startsWith('per ioctl:'))).to.match(/^per ioctl: 0\.004 IPIs, [\d.]+ flush\/IPI cycles \(modelled\); per purge: 3\.0 IPIs, \d+ flush\/IPI cycles$/);
  });

  it('makes no vmalloc, purge or flush per ioctl with the pre-allocated bitmap', () => {
    const r = cell('linux-2.6.35', 4, ['slot_pages=1048576', 'ioctls=800', 'prealloc=true', 'migration=true']);
    expect(r.figures.allocations).to.equal(2);
    expect(r.figures.purges).to.equal(0);
    expect(r.figures.ipisSent).to.equal(0);
  });

  it('swaps only the bitmaps an ioctl finds dirty', () => {
    const r = cell('linux-6.1', 1, ['ioctls=200', 'dirty_percent=25']);
    const swaps = Number(/(\d+) found dirty/.exec(r.notes?.join('\n') ?? '')?.[1]);
    expect(swaps).to.be.within(30, 70);
    expect(r.figures.allocations).to.equal(1 + swaps);
  });

  it('gives byte-identical JSON for the same seed', () => {
    const w = ['ioctls=100', 'dirty_percent=50', 'migration=true'];
    expect(JSON.stringify(toJson(matrix(['linux-6.1'], [2], w)))).to.equal(JSON.stringify(toJson(matrix(['linux-6.1'], [2], w))));
  });

  it('rejects a bad parameter with one line naming it and the accepted values', () => {
    expect(() => parseParams('kvm-dirty-log', kvmDirtyLog.params, ['dirty_percent=150'])).to.throw(ParamError, 'kvm-dirty-log: parameter dirty_percent=150: expected a whole number from 0 to 100');
  });
});
