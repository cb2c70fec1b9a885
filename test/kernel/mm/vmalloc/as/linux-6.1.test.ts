// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { KernelBug } from '../../../../../kernel/include/asm-generic/bug.js';
import { nullHooks } from '../../../../../kernel/mm/vmalloc/common.js';
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
});
