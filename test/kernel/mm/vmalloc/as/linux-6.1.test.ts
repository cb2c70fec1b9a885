// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { KernelBug } from '../../../../../kernel/include/asm-generic/bug.js';
import { IS_ERR } from '../../../../../kernel/include/linux/errno.js';
import { nullHooks, type vmap_area_common } from '../../../../../kernel/mm/vmalloc/common.js';
import { linux_6_1 } from '../../../../../kernel/manifest/linux-6.1.js';
import type { vmap_area } from '../../../../../kernel/mm/vmalloc/linux-6.1.js';
import { wasm_allocator } from '../../../../../kernel/mm/vmalloc/wasm/binding.js';
import { readText } from '../../../../../scripts/lib/read-text.js';
import { parseTracefs } from '../../../../../scripts/replay/tracefs/parse.js';
import { replayTracefs, seedAreas } from '../../../../../scripts/replay/tracefs/replay.js';
import { parseVmallocinfo } from '../../../../../scripts/replay/tracefs/vmallocinfo.js';
import { SAMPLE } from '../../../../scripts/replay/tracefs/sample.js';
import { twin } from '../../../../helpers/wasm-pcpu.js';
import { itReplaysEveryGoldenTrace } from '../../../../helpers/golden.js';
import { ALIGNn, allocN, M64, VMALLOC_END_5LEVEL, VMALLOC_START_5LEVEL, wasmCore } from '../../../../helpers/wasm.js';

const P = 0x1000n;
const EBUSY = -16n;
const VS = VMALLOC_START_5LEVEL;
const VE = VMALLOC_END_5LEVEL;

/*
 * The model, in exact BigInt arithmetic: free space is [1, ULONG_MAX)
 * minus the areas; an allocation (align <= PAGE_SIZE) takes the lowest
 * aligned address at or above vstart inside one free block; a free gives
 * the range back.
 */
class FreeSpace {
  busy: [bigint, bigint][] = [];
  alloc(size: bigint, align: bigint, vstart: bigint, vend: bigint): bigint {
    const sorted = [...this.busy].sort((p, q) => (p[0] < q[0] ? -1 : 1));
    let lo = 1n;
    for (const [s, e] of [...sorted, [M64, M64] as [bigint, bigint]]) {
      const nva = ALIGNn(lo > vstart ? lo : vstart, align);
      if (nva >= vstart && nva + size <= s && nva + size <= M64) {
        if (nva + size > vend) return EBUSY;
        this.busy.push([nva, nva + size]);
        return nva;
      }
      lo = e;
    }
    return EBUSY;
  }
  free(start: bigint): void {
    this.busy = this.busy.filter(([s]) => s !== start);
  }
}

describe('linux-6.1 wasm core (kernel/mm/vmalloc/as/linux-6.1.ts)', () => {
  describe('golden traces, replayed on linux-6.1@wasm', () => itReplaysEveryGoldenTrace('linux-6.1', 18, { wasm: true }));

  it('allocates and frees in the 5-level range exactly as a lowest-fit model over [1, ULONG_MAX) says', () => {
    const { c } = wasmCore('linux-6.1', VS, VE);
    const m = new FreeSpace();
    const ptr = new Map<bigint, number>();
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 400; i++) {
      const live = [...ptr.keys()];
      if (live.length && rnd(3) === 0) {
        const start = live[rnd(live.length)]!;
        c.x.op_free(ptr.get(start) as number);
        ptr.delete(start);
        m.free(start);
        continue;
      }
      const size = BigInt(1 + rnd(16)) * P;
      const vstart = VS + BigInt(rnd(4)) * 0x10000n;
      const want = m.alloc(size, P, vstart, VE);
      const p = c.allocU64(size, P, vstart, VE);
      expect(c.vaStartU64(p).toString(16), `op ${i}`).to.equal(want.toString(16));
      ptr.set(want, p);
    }
  });

  it('aligns to 1 << 63 exactly (ALIGN over the whole [1, ULONG_MAX) space)', () => {
    const { c } = wasmCore('linux-6.1', VS, VE);
    const a = 1n << 63n;
    expect(allocN(c, P, a, 1n, M64)).to.equal(ALIGNn(1n, a)); // 0x8000000000000000
  });

  it('refuses a range whose end wraps past ULONG_MAX (nva_start_addr + size < nva_start_addr)', () => {
    const { c } = wasmCore('linux-6.1', VS, VE);
    const top = M64 - 2n * P + 1n; // 0xffffffffffffe000
    expect(allocN(c, 2n * P, P, top, M64)).to.equal(EBUSY); // would end at 2^64: the free tree's last block ends at ULONG_MAX
    expect(allocN(c, P, P, top, M64)).to.equal(top);
    expect(allocN(c, P, P, top, M64)).to.equal(EBUSY); // [..f000, 2^64) wraps
  });

  it('reports a BUG_ON as a KernelBug with version, function, line and condition', () => {
    const { c } = wasmCore('linux-6.1', VS, VE);
    expect(() => c.allocU64(P, 3n, VS, VE))
      .to.throw(KernelBug)
      .that.includes({ version: 'linux-6.1@wasm', func: 'alloc_vmap_area', line: 1668, cond: '!is_power_of_2(align)' });
  });

  it('takes and drops its locks in the kernel\'s order through the lock hooks', () => {
    const calls: string[] = [];
    const hooks = { ...nullHooks(), spin_lock: (l: string) => calls.push(`lock ${l}`), spin_unlock: (l: string) => calls.push(`unlock ${l}`) };
    const { c } = wasmCore('linux-6.1', VS, VE, hooks);
    c.allocU64(P, P, VS, VE);
    expect(calls).to.deep.equal(['lock free_vmap_area_lock', 'unlock free_vmap_area_lock', 'lock vmap_area_lock', 'unlock vmap_area_lock']);
  });

  it('queues the drain work through schedule_work and purges when the environment runs it', () => {
    const queued: (() => void)[] = [];
    const flushes: string[] = [];
    const hooks = { ...nullHooks(), schedule_work: (fn: () => void) => queued.push(fn), flush_tlb_kernel_range: (s: number, e: number) => flushes.push(`${s} ${e}`) };
    const { c } = wasmCore('linux-6.1', VS, VE, hooks);
    const size = 0x2000000n + P; // lazy_max_pages() with 1 CPU is 8192 pages: one page more
    const p = c.allocU64(size, P, VS, VE);
    c.x.op_free_lazy(p);
    expect(queued).to.have.length(1);
    expect(c.x.get_lazy_nr()).to.equal(8193);
    expect(flushes).to.have.length(0);
    queued[0]!();
    expect(c.x.get_lazy_nr()).to.equal(0);
    expect(flushes).to.have.length(1);
    expect(allocN(c, P, P, VS, VE)).to.equal(VS); // the range is free again
  });

  it('finds the first area ending above an address (find_vmap_area_exceed_addr) as the TypeScript port does, with the same touches', () => {
    const port = twin('linux-6.1').a as linux_6_1;
    const core = twin('linux-6.1@wasm').a as wasm_allocator;
    const V = -0x370000000000;
    const VEND = -0x170000000001;
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const live: [vmap_area, vmap_area_common][] = [];
    for (let i = 0; i < 300; i++) {
      if (live.length && rnd(3) === 0) {
        const [x, y] = live.splice(rnd(live.length), 1)[0]!;
        port.free_vmap_area(x);
        core.free_vmap_area(y);
        continue;
      }
      const size = (1 + rnd(8)) * 0x1000;
      const vstart = V + rnd(64) * 0x1000;
      const x = port.alloc_vmap_area(size, 0x1000, vstart, VEND);
      const y = core.alloc_vmap_area(size, 0x1000, vstart, VEND);
      if (!IS_ERR(x) && !IS_ERR(y)) live.push([x as vmap_area, y]);
    }
    const find = core.find_vmap_area_exceed_addr as NonNullable<wasm_allocator['find_vmap_area_exceed_addr']>;
    let found = 0;
    for (let k = 0; k < 400; k++) {
      const addr = V - 0x2000 + k * 0x800;
      const want = port.find_vmap_area_exceed_addr(addr);
      const got = find(addr);
      expect(got && [got.va_start, got.va_end], `addr ${addr}`).to.deep.equal(want && [want.va_start, want.va_end]);
      if (got) found++;
    }
    expect(found).to.be.greaterThan(0);
    expect(core.touches).to.equal(port.touches);
    expect(find(VEND)).to.equal(null); // nothing ends above the end of the range
  });

  it('is seeded from a real /proc/vmallocinfo snapshot as the TypeScript port is, and refuses a second seeding', () => {
    const before = parseVmallocinfo(SAMPLE.before, readText(SAMPLE.before));
    const areas = seedAreas(before);
    expect(areas.length).to.be.greaterThan(50);
    const port = twin('linux-6.1').a as linux_6_1;
    const core = twin('linux-6.1@wasm').a as wasm_allocator;
    port.seed_areas(areas);
    (core.seed_areas as NonNullable<wasm_allocator['seed_areas']>)(areas);
    expect(core.snapshot()).to.deep.equal(port.snapshot());
    expect(core.touches).to.equal(port.touches); // seeding counts nothing: what construction counted
    expect(() => (core.seed_areas as NonNullable<wasm_allocator['seed_areas']>)(areas)).to.throw(/not fresh/);
  });

  it('replays a real tracefs trace from its /proc/vmallocinfo snapshot exactly as the TypeScript port does', () => {
    const trace = parseTracefs(SAMPLE.trace, readText(SAMPLE.trace));
    const before = parseVmallocinfo(SAMPLE.before, readText(SAMPLE.before));
    const after = parseVmallocinfo(SAMPLE.after, readText(SAMPLE.after));
    const r = replayTracefs(trace, before, ['linux-6.1', 'linux-6.1@wasm'], { cpus: 1, after });
    const [port, core] = r.versions;
    expect(port!.error).to.equal(null);
    expect(port!.allocations).to.equal(5000);
    expect(core!.seededEqualsBefore).to.equal(true);
    expect({ ...core!, kernel: 'linux-6.1' }).to.deep.equal(port);
  });
});

