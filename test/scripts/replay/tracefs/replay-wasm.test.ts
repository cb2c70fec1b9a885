// SPDX-License-Identifier: GPL-2.0-only
/*
 * The real 6.12.95 and 7.3.4 captures (data/real-traces) replayed on the
 * wasm cores of linux-6.12 and linux-7.3 (`--kernel linux-6.12@wasm`):
 * the core, not the port, is what runs (its seeding, pools and deferred
 * drain work are the core's boundary), and it places every allocation
 * where the port does. The oracle is the capture itself: the recorded
 * addresses and purge lines (counted from the trace file, not from a
 * run), and the port replayed in the same test.
 */
import { expect } from 'chai';
import { resolve } from 'node:path';
import { hex } from '../../../../kernel/include/u64.js';
import { defaultEnv } from '../../../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../../../kernel/mm/vmalloc/index.js';
import { wasm_allocator_6_12 } from '../../../../kernel/mm/vmalloc/wasm/eras.js';
import { readText } from '../../../../scripts/lib/read-text.js';
import { realTracesDir } from '../../../../scripts/lib/paths.js';
import { parseTracefs } from '../../../../scripts/replay/tracefs/parse.js';
import { compareWithInfo, replayTracefs, type VersionReplay } from '../../../../scripts/replay/tracefs/replay.js';
import { parseVmallocinfo } from '../../../../scripts/replay/tracefs/vmallocinfo.js';

/** Each capture, with the share of its allocations the port is held to (test/scripts/replay/tracefs/replay-*.test.ts). */
const CAPTURES = [
  { version: 'linux-6.12', base: 'linux-6.12.c_rand1to64p_pool100.cpu1', all: true },
  { version: 'linux-6.12', base: 'linux-6.12.a_vmalloc4p.cpu2', all: false },
  { version: 'linux-7.3', base: 'linux-7.3.c_rand1to64p_pool100.cpu1', all: true },
  { version: 'linux-7.3', base: 'linux-7.3.a_vmalloc4p.cpu2', all: false },
] as const;

describe('tracefs replay of the real captures on the vmap-node wasm cores', function () {
  this.timeout(600000);

  it('runs the core for <version>@wasm: the registry builds a wasm_allocator_6_12 with seeding, pools and deferred work', () => {
    for (const v of ['linux-6.12@wasm', 'linux-7.3@wasm']) {
      const a = getVersion(v).create(defaultEnv({ ncpu: 2 }));
      expect(a).to.be.instanceOf(wasm_allocator_6_12);
      const w = a as wasm_allocator_6_12;
      expect(w.nr_vmap_nodes).to.equal(2);
      expect(typeof w.seed_areas).to.equal('function');
      expect(w.run_pending_work()).to.equal(false);
    }
  });

  for (const c of CAPTURES) {
    it(`places the allocations of ${c.base} where ${c.version} does on ${c.version}@wasm, purges and the after snapshot included${c.all ? ', every one at the recorded address' : ''}`, () => {
      const base = resolve(realTracesDir(), c.base);
      const trace = parseTracefs(`${base}.trace.gz`, readText(`${base}.trace.gz`));
      const before = parseVmallocinfo(`${base}.vmallocinfo-before.txt`, readText(`${base}.vmallocinfo-before.txt`));
      const after = parseVmallocinfo(`${base}.vmallocinfo-after.txt`, readText(`${base}.vmallocinfo-after.txt`));
      const r = replayTracefs(trace, before, [c.version, `${c.version}@wasm`], { cpus: trace.cpus ?? 1, after, matching: c.version });
      const [port, core] = r.versions as [VersionReplay, VersionReplay];
      expect([core.kernel, core.error]).to.deep.equal([`${c.version}@wasm`, null]);
      const allocs = trace.events.filter((e) => e.kind === 'alloc_vmap_area').length;
      const recorded = trace.events.filter((e) => e.kind === 'purge_vmap_area_lazy');
      expect(core.allocations).to.equal(allocs);
      if (c.all) expect(core.sameAddress).to.equal(allocs);
      else expect(core.sameAddress).to.be.at.least(Math.ceil(0.95 * allocs));
      expect(core.purgesMatched).to.equal(recorded.length);
      expect(core.emulatedPurges.map((p) => `${hex(p.start)}-${hex(p.end)} ${p.num_purged}`)).to.deep.equal(
        recorded.map((e) => (e.kind === 'purge_vmap_area_lazy' ? `${hex(e.start)}-${hex(e.end)} ${e.num_purged}` : '')),
      );
      // The port, replayed in the same run: the same figures, the same final state.
      expect([core.sameAddress, core.nrLazyMatched, core.touchesPerAlloc, core.flushPagesTotal]).to.deep.equal([port.sameAddress, port.nrLazyMatched, port.touchesPerAlloc, port.flushPagesTotal]);
      expect(core.final).to.deep.equal(port.final);
      const cmp = compareWithInfo(core.final!, after);
      const pcmp = compareWithInfo(port.final!, after);
      expect([cmp.busy, cmp.lazy]).to.deep.equal([pcmp.busy, pcmp.lazy]);
    });
  }
});
