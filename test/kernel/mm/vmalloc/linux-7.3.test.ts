// SPDX-License-Identifier: GPL-2.0-only
/*
 * linux-7.3's allocator against values derived by hand from the 7.3.4 text
 * (mm/vmalloc.c): the error values of the search, the non-blocking path and
 * decay_va_pool_node(); and its agreement with linux-6.12 where the text did
 * not change.
 */
import { expect } from 'chai';
import { errname, IS_ERR, IS_ERR_VALUE } from '../../../../kernel/include/linux/errno.js';
import { hex, type ulong } from '../../../../kernel/include/u64.js';
import { defaultEnv, nullHooks, type VmallocHooks, type VmapAllocator } from '../../../../kernel/mm/vmalloc/common.js';
import { linux_6_12 } from '../../../../kernel/manifest/linux-6.12.js';
import { linux_7_3 } from '../../../../kernel/manifest/linux-7.3.js';
import { GFP_ATOMIC, GFP_KERNEL_7_3, GFP_NOWAIT, vmap_area } from '../../../../kernel/mm/vmalloc/linux-7.3.js';

const P = 0x1000;
const V = -0x370000000000; // VMALLOC_START 0xffffc90000000000
const VE = -0x170000000001; // VMALLOC_END 0xffffe8ffffffffff
const TOP = 'ffffffffffffffff';
const v = (off: number) => hex(V + off);

function tracer(): { hooks: VmallocHooks; events: string[] } {
  const events: string[] = [];
  const hooks = nullHooks();
  hooks.flush_tlb_kernel_range = (s, e) => events.push(`flush ${hex(s)} ${hex(e)}`);
  hooks.purged = (n) => events.push(`purged ${n}`);
  hooks.warn = (w) => events.push(`warn ${w.func}:${w.line}`);
  hooks.trace_alloc_vmap_area = (addr, size, align, vs, ve, failed) =>
    events.push(`alloc ${hex(addr)} ${hex(size)} ${hex(align)} ${hex(vs)} ${hex(ve)} failed=${failed}`);
  hooks.trace_free_vmap_area_noflush = (s, nr, max) => events.push(`free ${hex(s)} nr_lazy=${nr} nr_lazy_max=${max}`);
  hooks.trace_purge_vmap_area_lazy = (s, e, n) => events.push(`purge ${hex(s)} ${hex(e)} ${n}`);
  return { hooks, events };
}

function mk(ncpu = 1): { a: linux_7_3; events: string[] } {
  const { hooks, events } = tracer();
  return { a: new linux_7_3(defaultEnv({ ncpu, hooks })), events };
}

function ok(a: linux_7_3 | linux_6_12, size: number, align = 1, vstart = V, vend = VE, gfp?: number): vmap_area {
  const va = a.alloc_vmap_area(size, align, vstart, vend, -1, gfp);
  if (IS_ERR(va)) throw new Error(`alloc failed: ${errname(va)}`);
  return va as vmap_area;
}

function freeBlocks(a: VmapAllocator): string[] {
  return (a.snapshot().free ?? []).map((f) => `${hex(f.start)}-${hex(f.end)}`);
}

function lazy(a: VmapAllocator, addr: ulong): void {
  const va = a.find_vmap_area(addr);
  if (!va) throw new Error(`no area at ${hex(addr)}`);
  a.free_unmap_vmap_area(va);
}

describe('linux-7.3 alloc_vmap_area (6.12 plus the 6.16 and 6.19 changes)', () => {
  it('IS_ERR_VALUE: the last 4095 values of the unsigned long range, no others', () => {
    // (unsigned long)-1 .. (unsigned long)-4095 are -1 .. -4095 in the signed view.
    expect([-1, -2, -34, -4095].map(IS_ERR_VALUE)).to.deep.equal([true, true, true, true]);
    expect([-4096, 0, 1, V, VE].map(IS_ERR_VALUE)).to.deep.equal([false, false, false, false, false]);
  });

  describe('error values instead of vend', () => {
    /*
     * Window [V, V+4P) with [V, V+3P) busy. The lowest block holding 2P at
     * or above V is [V+3P, ULONG_MAX): va_alloc() computes V+3P, and
     * V+5P > vend gives -ERANGE; the event prints (unsigned long)-34 =
     * 0xffffffffffffffde (6.12 printed vend, V+4P). A blocking caller then
     * purges (nothing lazy: start ULONG_MAX, end 0, 0 purged), retries once,
     * and gets -EBUSY.
     */
    it('a fit past vend is -ERANGE in the event; blocking: reclaim, retry, -EBUSY', () => {
      const { a, events } = mk();
      ok(a, 3 * P, 1, V, V + 4 * P);
      events.length = 0;
      const r = a.alloc_vmap_area(2 * P, 1, V, V + 4 * P);
      expect(IS_ERR(r) && errname(r)).to.equal('EBUSY');
      const fail = `alloc ffffffffffffffde 2000 1 ${v(0)} ${v(4 * P)} failed=1`;
      expect(events).to.deep.equal([fail, `purge ${TOP} 0 0`, fail]);
    });

    /*
     * One CPU, nothing allocated: the free blocks are [1, ULONG_MAX). A
     * request of 2^63 bytes fits no block: find_vmap_lowest_match() finds
     * nothing and the event prints (unsigned long)-ENOENT = 0xff..fe.
     */
    it('no block large enough is -ENOENT in the event', () => {
      const { a, events } = mk();
      const r = a.alloc_vmap_area(2 ** 62, 1, V, VE);
      expect(IS_ERR(r) && errname(r)).to.equal('EBUSY');
      expect(events[0]).to.equal(`alloc fffffffffffffffe 4000000000000000 1 ${v(0)} ${hex(VE)} failed=1`);
    });
  });

  describe('non-blocking gfp (6.19)', () => {
    /*
     * [V, V+3P) allocated and freed lazily (nr_lazy 3, below 8192: no
     * purge). A GFP_NOWAIT request for 2P in [V, V+4P): the search fails
     * (-ERANGE, as above) and, without __GFP_DIRECT_RECLAIM, the call fails
     * at once: one failed event, no flush, no purge; the lazy area stays.
     * 6.12 reclaims here and places the request at V.
     */
    for (const [name, gfp] of [
      ['GFP_NOWAIT', GFP_NOWAIT],
      ['GFP_ATOMIC', GFP_ATOMIC],
    ] as const) {
      it(`${name} fails without purging where a blocking caller purges and succeeds`, () => {
        const { a, events } = mk();
        ok(a, 3 * P, 1, V, V + 4 * P);
        lazy(a, V);
        events.length = 0;
        const r = a.alloc_vmap_area(2 * P, 1, V, V + 4 * P, -1, gfp);
        expect(IS_ERR(r) && errname(r)).to.equal('EBUSY');
        expect(events).to.deep.equal([`alloc ffffffffffffffde 2000 1 ${v(0)} ${v(4 * P)} failed=1`]);
        expect(a.vmap_lazy_nr).to.equal(3);

        events.length = 0;
        const va = ok(a, 2 * P, 1, V, V + 4 * P, GFP_KERNEL_7_3);
        expect(hex(va.va_start)).to.equal(v(0));
        expect(events).to.deep.equal([
          `alloc ffffffffffffffde 2000 1 ${v(0)} ${v(4 * P)} failed=1`,
          `flush ${v(0)} ${v(3 * P)}`,
          'purged 1',
          `purge ${v(0)} ${v(3 * P)} 1`,
          `alloc ${v(0)} 2000 1 ${v(0)} ${v(4 * P)} failed=0`,
        ]);
      });
    }

    it('linux-6.12 purges and succeeds for the same GFP_NOWAIT request', () => {
      const a = new linux_6_12(defaultEnv({ ncpu: 1, hooks: nullHooks() }));
      ok(a, 3 * P, 1, V, V + 4 * P);
      lazy(a, V);
      const va = ok(a, 2 * P, 1, V, V + 4 * P, GFP_NOWAIT);
      expect(hex(va.va_start)).to.equal(v(0));
      expect(a.vmap_lazy_nr).to.equal(0);
    });

    it('a non-blocking request that fits is served as before', () => {
      const { a } = mk();
      expect(hex(ok(a, 2 * P, 1, V, VE, GFP_NOWAIT).va_start)).to.equal(v(0));
    });
  });

  describe('decay_va_pool_node (6.16)', () => {
    /*
     * Four CPUs, four nodes. One 1-page area lazily freed and drained goes to
     * node 0's pool[0] (len 1). The next non-full purge decays len >> 2 = 0
     * areas: the pool stays (6.12 emptied it: its n_decay wrapped). Only the
     * reclaim (full decay) empties it.
     */
    it('a pool of fewer than 4 areas survives a non-full purge; full decay empties it', () => {
      const { a } = mk(4);
      const x = ok(a, P);
      ok(a, P); // a barrier at V+P
      lazy(a, x.va_start);
      a.drain_vmap_area_work();
      expect(a.vmap_nodes[0]!.pool[0]!.len).to.equal(1);
      a.drain_vmap_area_work(); // nothing lazy: only the decay
      a.drain_vmap_area_work();
      expect(a.vmap_nodes[0]!.pool[0]!.len).to.equal(1);
      expect(freeBlocks(a)).to.deep.equal([`1-${v(0)}`, `${v(2 * P)}-${TOP}`]);
      a.purge_vmap_area_lazy(); // reclaim_and_purge_vmap_areas(): full decay
      expect(a.vmap_nodes[0]!.pool[0]!.len).to.equal(0);
      expect(freeBlocks(a)).to.deep.equal([`1-${v(P)}`, `${v(2 * P)}-${TOP}`]);
    });

    /*
     * Pools of 1, 2 and 3 areas are kept whole; from 4 on a quarter goes
     * (rounded down), taken from the head (the most recently pooled).
     * Areas V .. V+7P, a barrier at V+8P; with n lazily freed and drained
     * (address order, each list_add'ed at the head), the next drain leaves
     * n - floor(n / 4): 1, 2, 3, 3, 4, 5, 6, 6.
     */
    it('keeps n - floor(n/4) of a pool of n at each non-full purge', () => {
      const left: number[] = [];
      for (let n = 1; n <= 8; n++) {
        const { a } = mk(4);
        const vas = Array.from({ length: 8 }, () => ok(a, P));
        ok(a, P);
        for (const x of vas.slice(0, n)) lazy(a, x.va_start);
        a.drain_vmap_area_work();
        expect(a.vmap_nodes[0]!.pool[0]!.len).to.equal(n);
        a.drain_vmap_area_work();
        left.push(a.vmap_nodes[0]!.pool[0]!.len);
      }
      expect(left).to.deep.equal([1, 2, 3, 3, 4, 5, 6, 6]);
    });

    /*
     * The observable effect: A [V, V+2P), B [V+2P, V+4P), C [V+4P, V+5P).
     * A and B lazily freed and drained: pool[1] of node 0 holds B, A (B at
     * the head). A second drain (the next threshold purge, nothing new
     * lazy) keeps both. Two 2-page vmalloc-range requests take B then A
     * from the pool. 6.12's second drain returned both to the free tree,
     * where the lowest fit gives A's V first.
     */
    it('after a non-full purge the next same-size request reuses the pooled address, not the lowest fit', () => {
      const order = (a: linux_7_3 | linux_6_12): string[] => {
        ok(a, 2 * P);
        ok(a, 2 * P);
        ok(a, P);
        lazy(a, V);
        lazy(a, V + 2 * P);
        a.drain_vmap_area_work();
        a.drain_vmap_area_work();
        return [ok(a, 2 * P), ok(a, 2 * P)].map((x) => hex(x.va_start));
      };
      expect(order(mk(2).a)).to.deep.equal([v(2 * P), v(0)]);
      expect(order(new linux_6_12(defaultEnv({ ncpu: 2, hooks: nullHooks() })))).to.deep.equal([v(0), v(2 * P)]);
    });
  });

  describe('node walk', () => {
    /*
     * Four nodes, zones of 16 pages. X [V+15P, V+18P) lives in node 0 (its
     * start's zone) and spans into zone 1. find_vmap_area(V+16P) starts at
     * node 1 and walks down: node 0 is next (6.12 walked up, 2, 3, 0).
     */
    it('finds an area spanning zones from any of its addresses, walking the nodes downwards', () => {
      const { a } = mk(4);
      ok(a, 15 * P);
      const x = ok(a, 3 * P);
      expect(hex(x.va_start)).to.equal(v(15 * P));
      const t0 = a.touches;
      expect(a.find_vmap_area(V + 16 * P)).to.equal(x);
      const t73 = a.touches - t0;
      const b = new linux_6_12(defaultEnv({ ncpu: 4, hooks: nullHooks() }));
      ok(b, 15 * P);
      ok(b, 3 * P);
      const t1 = b.touches;
      b.find_vmap_area(V + 16 * P);
      // 6.12 visits the empty nodes 1, 2, 3 before 0, 7.3 nodes 1 and 0:
      // the same node-0 search, so the same number of entries touched.
      expect(b.touches - t1).to.equal(t73);
    });
  });

  describe('one CPU: what did not change', () => {
    it('allocates at VMALLOC_START, lazy frees below the threshold, purges strictly above it', () => {
      const { a, events } = mk();
      const x = ok(a, 8192 * P);
      const y = ok(a, P);
      expect([hex(x.va_start), hex(y.va_start)]).to.deep.equal([v(0), v(8192 * P)]);
      lazy(a, x.va_start);
      expect(events.filter((e) => e.startsWith('purge '))).to.deep.equal([]);
      lazy(a, y.va_start);
      expect(events.filter((e) => e.startsWith('purge '))).to.deep.equal([`purge ${v(0)} ${v(8193 * P)} 2`]);
    });
  });
});
