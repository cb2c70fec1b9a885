// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { KernelBug } from '../../../../../kernel/include/asm-generic/bug.js';
import { errname, IS_ERR } from '../../../../../kernel/include/linux/errno.js';
import { hex } from '../../../../../kernel/include/u64.js';
import { nullHooks, type vmap_area_common } from '../../../../../kernel/mm/vmalloc/common.js';
import { replayGoldenFile } from '../../../../../scripts/replay/golden.js';
import { goldenTraces, itReplaysEveryGoldenTrace } from '../../../../helpers/golden.js';
import { ALIGNn, allocN, M64, VMALLOC_END_5LEVEL, VMALLOC_START_5LEVEL, wasmCore } from '../../../../helpers/wasm.js';
import { twin } from '../../../../helpers/wasm-pcpu.js';

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

describe('linux-5.2 wasm core (kernel/mm/vmalloc/as/linux-5.2.ts)', () => {
  describe('golden traces, replayed on linux-5.2@wasm', () => itReplaysEveryGoldenTrace('linux-5.2', 18, { wasm: true }));

  it('counts the same touches inside alloc_vmap_area as the TypeScript port, trace by trace', () => {
    const files = goldenTraces('linux-5.2');
    expect(files).to.have.length(18);
    for (const f of files) {
      const port = replayGoldenFile(f);
      const core = replayGoldenFile(f, { wasm: true });
      expect(port.allocTouches, f).to.be.greaterThan(0);
      expect(core.allocTouches, f).to.equal(port.allocTouches);
    }
  });

  // With align 1 the length searched for, size + align - 1, is the size itself.
  it('allocates and frees in the 5-level range exactly as a lowest-fit model over [1, ULONG_MAX) says, for align 1', () => {
    const { c } = wasmCore('linux-5.2', VS, VE);
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
      const want = m.alloc(size, 1n, vstart, VE);
      const p = c.allocU64(size, 1n, vstart, VE);
      expect(c.vaStartU64(p).toString(16), `op ${i}`).to.equal(want.toString(16));
      ptr.set(want, p);
    }
  });

  /*
   * With align = PAGE_SIZE, 5.2's search is not always the lowest fit: it
   * descends for size + align - 1 bytes, so a free block of exactly `size`
   * is passed over for a higher, larger one (5.16 searches for `size` when
   * align <= PAGE_SIZE). The port shows the same; the 4-level range fits
   * the port's signed view.
   */
  it('follows the TypeScript port op by op where align = PAGE_SIZE and 5.2 parts from the lowest fit', () => {
    const place = (name: string): string[] => {
      const { a } = twin(name);
      const V = -0x370000000000;
      const VEND = -0x170000000001;
      let seed = 12345;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      const live = new Map<number, vmap_area_common>();
      const out: string[] = [];
      for (let i = 0; i < 400; i++) {
        const ks = [...live.keys()];
        if (ks.length && rnd(3) === 0) {
          const s = ks[rnd(ks.length)]!;
          a.free_vmap_area(live.get(s)!);
          live.delete(s);
          continue;
        }
        const va = a.alloc_vmap_area((1 + rnd(16)) * 0x1000, 0x1000, V + rnd(4) * 0x10000, VEND);
        if (IS_ERR(va)) out.push(errname(va));
        else {
          live.set(va.va_start, va);
          out.push(hex(va.va_start));
        }
      }
      out.push(`touches ${a.touches}`);
      return out;
    };
    const port = place('linux-5.2');
    expect(place('linux-5.2@wasm')).to.deep.equal(port);
    // The run does reach the case: 6.1 (no widening for align <= PAGE_SIZE) places areas elsewhere.
    expect(place('linux-6.1').slice(0, -1)).to.not.deep.equal(port.slice(0, -1));
  });

  it('aligns to 1 << 62 exactly, the search length size + align - 1 still inside the free block', () => {
    const { c } = wasmCore('linux-5.2', VS, VE);
    const a = 1n << 62n;
    expect(allocN(c, P, a, 1n, M64)).to.equal(ALIGNn(1n, a)); // 0x4000000000000000
  });

  it('refuses a range whose end wraps past ULONG_MAX (nva_start_addr + size < nva_start_addr)', () => {
    const { c } = wasmCore('linux-5.2', VS, VE);
    const top = M64 - 2n * P + 1n; // 0xffffffffffffe000
    expect(allocN(c, 2n * P, P, top, M64)).to.equal(EBUSY); // would end at 2^64: the free tree's last block ends at ULONG_MAX
    expect(allocN(c, P, P, top, M64)).to.equal(top);
    expect(allocN(c, P, P, top, M64)).to.equal(EBUSY); // [..f000, 2^64) wraps
  });

  it('reports a BUG_ON as a KernelBug with version, function, line and condition', () => {
    const { c } = wasmCore('linux-5.2', VS, VE);
    expect(() => c.allocU64(P, 3n, VS, VE))
      .to.throw(KernelBug)
      .that.includes({ version: 'linux-5.2@wasm', func: 'alloc_vmap_area', line: 1041, cond: '!is_power_of_2(align)' });
    expect(() => c.allocU64(P + 1n, P, VS, VE))
      .to.throw(KernelBug)
      .that.includes({ version: 'linux-5.2@wasm', func: 'alloc_vmap_area', line: 1040, cond: 'offset_in_page(size)' });
  });

  it('keeps a lazily freed area in the busy tree, on the purge llist, until the purge returns it to the free tree', () => {
    const { a } = twin('linux-5.2@wasm');
    const V = -0x370000000000;
    const VEND = -0x170000000001;
    const x = a.alloc_vmap_area(0x4000, 0x1000, V, VEND);
    const y = a.alloc_vmap_area(0x2000, 0x1000, V, VEND);
    if (typeof x === 'number' || typeof y === 'number') throw new Error('allocation failed');
    a.free_unmap_vmap_area(x);
    expect(a.vmap_lazy_nr).to.equal(4);
    expect(a.find_vmap_area(V)?.va_start).to.equal(V); // still busy
    expect(a.snapshot().areas).to.deep.equal([
      { start: V, end: V + 0x4000, state: 'lazy' },
      { start: V + 0x4000, end: V + 0x6000, state: 'busy' },
    ]);
    a.purge_vmap_area_lazy();
    expect(a.vmap_lazy_nr).to.equal(0);
    expect(a.find_vmap_area(V)).to.equal(null);
    expect(a.snapshot().areas).to.deep.equal([{ start: V + 0x4000, end: V + 0x6000, state: 'busy' }]);
  });

  it('purges at once, under vmap_area_lock, when a lazy free takes vmap_lazy_nr over lazy_max_pages()', () => {
    const calls: string[] = [];
    const hooks = {
      ...nullHooks(),
      spin_lock: (l: string) => calls.push(`lock ${l}`),
      spin_unlock: (l: string) => calls.push(`unlock ${l}`),
      cond_resched_lock: (l: string) => calls.push(`resched ${l}`),
      flush_tlb_kernel_range: () => calls.push('flush'),
    };
    const { c } = wasmCore('linux-5.2', VS, VE, hooks);
    const size = 0x2000000n + P; // lazy_max_pages() with 1 CPU is 8192 pages: one page more
    const p = c.allocU64(size, P, VS, VE);
    expect(calls).to.deep.equal(['lock vmap_area_lock', 'unlock vmap_area_lock']); // 5.2's alloc_vmap_area takes vmap_area_lock around its search (as the port)
    calls.length = 0;
    c.x.op_free_lazy(p);
    expect(calls).to.deep.equal(['flush', 'lock vmap_area_lock', 'resched vmap_area_lock', 'unlock vmap_area_lock']);
    expect(c.x.get_lazy_nr()).to.equal(0);
    expect(allocN(c, P, P, VS, VE)).to.equal(VS); // the range is free again
  });
});
