// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { IS_ERR, errname } from '../../../../kernel/include/linux/errno.js';
import { hex, type ulong } from '../../../../kernel/include/u64.js';
import { defaultEnv, nullHooks, type VmallocHooks, type VmapAllocator } from '../../../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../../../kernel/mm/vmalloc/index.js';
import { __GFP_NOWARN, GFP_KERNEL_6_12, GFP_NOWAIT, vmap_area } from '../../../../kernel/mm/vmalloc/linux-6.12.js';
import { linux_6_12 } from '../../../../kernel/manifest/linux-6.12.js';
import { readText } from '../../../../scripts/lib/read-text.js';
import { goldenDir } from '../../../../scripts/lib/paths.js';
import { replayGoldenTrace } from '../../../../scripts/replay/golden.js';
import { type GoldenTrace, parseGolden } from '../../../../scripts/replay/golden-format.js';
import { describePcpuGetVmAreas } from '../../../helpers/pcpu.js';
import { parseVmallocinfo } from '../../../../scripts/replay/tracefs/vmallocinfo.js';
import { SAMPLE } from '../../../scripts/replay/tracefs/sample.js';

const P = 0x1000;
const V = -0x370000000000; // VMALLOC_START 0xffffc90000000000
const VE = -0x170000000001; // VMALLOC_END 0xffffe8ffffffffff
const TOP = 'ffffffffffffffff';
const v = (off: number) => hex(V + off);

/** Hooks recording flushes, purges and the three trace events, in tracefs words. */
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

function mk(ncpu = 1): { a: linux_6_12; events: string[] } {
  const { hooks, events } = tracer();
  return { a: new linux_6_12(defaultEnv({ ncpu, hooks })), events };
}

function ok(a: linux_6_12, size: number, align = 1, vstart = V, vend = VE): vmap_area {
  const va = a.alloc_vmap_area(size, align, vstart, vend);
  if (IS_ERR(va)) throw new Error(`alloc failed: ${errname(va)}`);
  return va;
}

function freeBlocks(a: VmapAllocator): string[] {
  return (a.snapshot().free ?? []).map((f) => `${hex(f.start)}-${hex(f.end)}`);
}

function areas(a: VmapAllocator): string[] {
  return a.snapshot().areas.map((x) => `${hex(x.start)}-${hex(x.end)} ${x.state}`);
}

/** Lazy free as the interface callers do it: look up, then free_unmap_vmap_area. */
function lazy(a: VmapAllocator, addr: ulong): void {
  const va = a.find_vmap_area(addr);
  if (!va) throw new Error(`no area at ${hex(addr)}`);
  a.free_unmap_vmap_area(va);
}

describe('linux-6.12 alloc_vmap_area (vmap nodes, unmerged lazy trees, node pools, trace events)', () => {
  describe('boot state', () => {
    it('one CPU: one node, zone of one byte, one free block [1, ULONG_MAX)', () => {
      const { a } = mk();
      expect(a.nr_vmap_nodes).to.equal(1);
      expect(a.vmap_zone_size).to.equal(1);
      expect(freeBlocks(a)).to.deep.equal([`1-${TOP}`]);
      expect(a.lazy_max_pages()).to.equal(8192);
      expect(a.augment_tree_propagate_check()).to.deep.equal([]);
    });

    it('four CPUs: four nodes in zones of 16 pages, lazy_max_pages = fls(4) * 8192', () => {
      const { a } = mk(4);
      expect(a.nr_vmap_nodes).to.equal(4);
      expect(a.vmap_zone_size).to.equal(16 * P);
      expect(a.lazy_max_pages()).to.equal(3 * 8192);
      // V = 0xffffc90000000000: (2^64 + V) / 0x10000 = 0xffffc9000000, = 0 mod 4.
      expect(a.addr_to_node_id(V)).to.equal(0);
      expect(a.addr_to_node_id(V + 15 * P)).to.equal(0);
      expect(a.addr_to_node_id(V + 16 * P)).to.equal(1);
      expect(a.addr_to_node_id(V + 3 * 16 * P)).to.equal(3);
      expect(a.addr_to_node_id(V + 4 * 16 * P)).to.equal(0);
      // 0x10000 / 0x10000 = 1: node 1; ULONG_MAX: (2^48 - 1) mod 4 = 3.
      expect(a.addr_to_node_id(0x10000)).to.equal(1);
      expect(a.addr_to_node_id(-1)).to.equal(3);
    });

    it('128 CPUs at most become nodes', () => {
      expect(mk(200).a.nr_vmap_nodes).to.equal(128);
    });
  });

  describe('one CPU', () => {
    /*
     * [1, top) holds [V, V+2P) strictly inside: NE split with the spare area.
     *   free [1, V)  A [V, V+2P)  free [V+2P, top)
     * The trace point fires once, with failed=0, before the busy insert.
     */
    it('allocates at VMALLOC_START and fires alloc_vmap_area', () => {
      const { a, events } = mk();
      const t0 = a.touches;
      const va = ok(a, 2 * P);
      expect(hex(va.va_start)).to.equal(v(0));
      expect(a.touches - t0).to.equal(7); // as in 6.1: the same search, split and propagation
      expect(va.flags).to.equal(0); // one node: no node id
      expect(events).to.deep.equal([`alloc ${v(0)} 2000 1 ${v(0)} ${hex(VE)} failed=0`]);
      expect(freeBlocks(a)).to.deep.equal([`1-${v(0)}`, `${v(2 * P)}-${TOP}`]);
    });

    /*
     *   A [V, V+2P)  B [V+2P, V+5P)  C [V+5P, V+6P)
     * Lazy-free A then B: 6.12 inserts each into the lazy tree as it is
     * (6.1 would merge them into one [V, V+5P) purge-tree entry). nr_lazy
     * counts pages with the guard: 2, then 5.
     */
    it('keeps lazily freed neighbours as separate lazy entries and traces each free', () => {
      const { a, events } = mk();
      ok(a, 2 * P);
      ok(a, 3 * P);
      ok(a, P);
      events.length = 0;
      lazy(a, V);
      lazy(a, V + 2 * P);
      expect(events).to.deep.equal([`free ${v(0)} nr_lazy=2 nr_lazy_max=8192`, `free ${v(2 * P)} nr_lazy=5 nr_lazy_max=8192`]);
      expect(areas(a)).to.deep.equal([`${v(0)}-${v(2 * P)} lazy`, `${v(2 * P)}-${v(5 * P)} lazy`, `${v(5 * P)}-${v(6 * P)} busy`]);
      expect(a.vmap_lazy_nr).to.equal(5);
      // The lazily freed range is not free yet: the next page comes after C.
      expect(hex(ok(a, P).va_start)).to.equal(v(6 * P));
      // A lazy area is no longer found.
      expect(a.find_vmap_area(V)).to.equal(null);
    });

    /*
     * 8193 pages in one area: its lazy free crosses lazy_max_pages() (8192,
     * strictly greater triggers) and the drain work runs right after the
     * trace point: flush [V, V+8193P), purged 1, then the purge event.
     * Afterwards everything is free again: [1, top) in one block.
     */
    it('purges inline right after the free that crosses the threshold (strict >)', () => {
      const { a, events } = mk();
      ok(a, 8192 * P);
      events.length = 0;
      lazy(a, V);
      expect(events).to.deep.equal([`free ${v(0)} nr_lazy=8192 nr_lazy_max=8192`]);
      ok(a, P); // at V + 8192P
      events.length = 0;
      lazy(a, V + 8192 * P);
      expect(events).to.deep.equal([
        `free ${v(8192 * P)} nr_lazy=8193 nr_lazy_max=8192`,
        `flush ${v(0)} ${v(8193 * P)}`,
        'purged 2',
        `purge ${v(0)} ${v(8193 * P)} 2`,
      ]);
      expect(a.vmap_lazy_nr).to.equal(0);
      expect(freeBlocks(a)).to.deep.equal([`1-${TOP}`]);
    });

    it('a purge with nothing pending flushes nothing and traces start=ULONG_MAX end=0 num_purged=0', () => {
      const { a, events } = mk();
      a.purge_vmap_area_lazy();
      expect(events).to.deep.equal([`purge ${TOP} 0 0`]);
    });

    /*
     * A window of 4 pages [V, V+4P): 3 pages fit at V; the next 2 pages do
     * not fit: failed=1, reclaim_and_purge (nothing pending: the empty purge
     * event), retry, failed=1 again, -EBUSY.
     */
    it('on failure traces failed=1, reclaims, retries once, then -EBUSY', () => {
      const { a, events } = mk();
      ok(a, 3 * P, 1, V, V + 4 * P);
      events.length = 0;
      const r = a.alloc_vmap_area(2 * P, 1, V, V + 4 * P);
      expect(IS_ERR(r) && errname(r)).to.equal('EBUSY');
      const fail = `alloc ${v(4 * P)} 2000 1 ${v(0)} ${v(4 * P)} failed=1`;
      expect(events).to.deep.equal([fail, `purge ${TOP} 0 0`, fail]);
    });

    /*
     * The same window with the 3-page area freed lazily: the failing request
     * purges it (flush [V, V+3P), purged 1) and the retry succeeds at V.
     */
    it('the reclaim on failure makes lazily freed space usable for the retry', () => {
      const { a, events } = mk();
      ok(a, 3 * P, 1, V, V + 4 * P);
      lazy(a, V);
      events.length = 0;
      const va = ok(a, 2 * P, 1, V, V + 4 * P);
      expect(hex(va.va_start)).to.equal(v(0));
      expect(events).to.deep.equal([
        `alloc ${v(4 * P)} 2000 1 ${v(0)} ${v(4 * P)} failed=1`,
        `flush ${v(0)} ${v(3 * P)}`,
        'purged 1',
        `purge ${v(0)} ${v(3 * P)} 1`,
        `alloc ${v(0)} 2000 1 ${v(0)} ${v(4 * P)} failed=0`,
      ]);
    });

    it('rejects a zero, unaligned or non-power-of-two request with -EINVAL (6.1 had BUG_ON)', () => {
      const { a, events } = mk();
      for (const [size, align] of [
        [0, 1],
        [P + 1, 1],
        [P, 3],
      ] as [number, number][]) {
        const r = a.alloc_vmap_area(size, align, V, VE);
        expect(IS_ERR(r) && errname(r)).to.equal('EINVAL');
      }
      expect(events).to.deep.equal([]);
    });

    /*
     * Purged areas reach the free tree one by one (6.12 never merged them in
     * the lazy tree), highest first (purge_vmap_node gathers them with
     * list_add), and coalesce there: A, B, C lazily freed, D busy:
     *   A [V, V+P)  B [V+P, V+3P)  C [V+3P, V+4P)  D [V+4P, V+5P)
     * After the purge [1, V+4P) is one block again.
     */
    it('returns purged areas to the free tree, coalesced', () => {
      const { a, events } = mk();
      ok(a, P);
      ok(a, 2 * P);
      ok(a, P);
      ok(a, P);
      lazy(a, V);
      lazy(a, V + P);
      lazy(a, V + 3 * P);
      events.length = 0;
      a.purge_vmap_area_lazy();
      expect(events).to.deep.equal([`flush ${v(0)} ${v(4 * P)}`, 'purged 3', `purge ${v(0)} ${v(4 * P)} 3`]);
      expect(freeBlocks(a)).to.deep.equal([`1-${v(4 * P)}`, `${v(5 * P)}-${TOP}`]);
      expect(a.augment_tree_propagate_check()).to.deep.equal([]);
      expect(a.golden_state()).to.match(/^free=2 low=1 sum=[0-9a-f]{16} lazy=0$/);
    });
  });

  describe('several CPUs: nodes and pools', () => {
    /*
     * Four CPUs, four nodes, zones of 16 pages.
     *   A [V, V+2P) node 0   B [V+2P, V+4P) node 0   C [V+4P, V+5P) node 0
     * Every full-range request carries node id 0 of CPU 0, encoded 0x100.
     * B lazily freed, then the drain work (no full decay): B goes to node
     * 0's pool of 2-page areas, not to the free tree. A freed at once
     * merges into [1, V+2P). A 2-page request then takes B from the pool at
     * V+2P, although [V, V+2P) is free and lower (6.1 would return V).
     */
    it('reuses a pooled area for a same-size vmalloc-range request before a lower free hole', () => {
      const { a, events } = mk(4);
      const A = ok(a, 2 * P);
      const B = ok(a, 2 * P);
      ok(a, P);
      expect([A.flags, B.flags]).to.deep.equal([0x100, 0x100]);
      lazy(a, V + 2 * P);
      events.length = 0;
      a.drain_vmap_area_work();
      expect(events).to.deep.equal([`flush ${v(2 * P)} ${v(4 * P)}`, 'purged 1', `purge ${v(2 * P)} ${v(4 * P)} 1`]);
      expect(a.vmap_nodes[0]!.pool[1]!.len).to.equal(1);
      expect(freeBlocks(a)).to.deep.equal([`1-${v(0)}`, `${v(5 * P)}-${TOP}`]);
      a.free_vmap_area(a.find_vmap_area(V) as vmap_area);
      expect(freeBlocks(a)).to.deep.equal([`1-${v(2 * P)}`, `${v(5 * P)}-${TOP}`]);
      events.length = 0;
      const again = ok(a, 2 * P);
      expect(again).to.equal(B); // the very object, from the pool
      expect(hex(again.va_start)).to.equal(v(2 * P));
      expect(events).to.deep.equal([`alloc ${v(2 * P)} 2000 1 ${v(0)} ${hex(VE)} failed=0`]);
      expect(a.vmap_nodes[0]!.pool[1]!.len).to.equal(0);
      // A 3-page request has no pool entry: the global heap, lowest fit.
      expect(hex(ok(a, 3 * P).va_start)).to.equal(v(5 * P));
      // The lower hole is still there for another size.
      expect(hex(ok(a, P).va_start)).to.equal(v(0));
    });

    /*
     * A pool with fewer than 4 entries decays whole at the next purge:
     * n_decay = len >> 2 = 0 and the unsigned pre-decrement wraps, so the
     * loop never breaks. With 4 entries one (the most recent) goes.
     */
    it('decays a pool that another CPU emptied between its list_empty() test and the pool lock (nothing to give back, no crash)', () => {
      const { a } = mk(4);
      const va = ok(a, P);
      ok(a, P); // a barrier
      lazy(a, va.va_start);
      a.drain_vmap_area_work();
      const pool = a.vmap_nodes[0]!.pool[0]!;
      expect(pool.len).to.equal(1);
      // At the pool lock, "another CPU" takes the pooled area (node_pool_del_va), as in timed mode.
      let taken: vmap_area | null = null;
      let once = false;
      a.env.hooks.spin_lock = (lock) => {
        if (lock !== 'vn->pool_lock' || once) return;
        once = true;
        taken = a.node_pool_del_va(a.vmap_nodes[0]!, P, 1, V, VE);
      };
      a.drain_vmap_area_work();
      expect(taken).to.equal(va);
      expect(pool.len).to.equal(0);
      expect(a.vmap_lazy_nr).to.equal(0);
    });

    it('decays small pools whole and large ones by a quarter at each purge', () => {
      const { a } = mk(4);
      const vas = [0, 1, 2, 3, 4].map(() => ok(a, P)); // V, V+P, ... V+4P
      ok(a, P); // V+5P, a barrier
      lazy(a, vas[0]!.va_start);
      a.drain_vmap_area_work();
      expect(a.vmap_nodes[0]!.pool[0]!.len).to.equal(1);
      a.drain_vmap_area_work(); // nothing lazy: only the decay
      expect(a.vmap_nodes[0]!.pool[0]!.len).to.equal(0);
      expect(freeBlocks(a)[0]).to.equal(`1-${v(P)}`);

      for (const x of vas.slice(1)) lazy(a, x.va_start);
      a.drain_vmap_area_work();
      // Purged in address order, each list_add'ed at the head: V+4P first.
      const pool = a.vmap_nodes[0]!.pool[0]!;
      expect(pool.len).to.equal(4);
      a.drain_vmap_area_work();
      expect(pool.len).to.equal(3);
      // The head (V+4P) went back to the free tree.
      expect(freeBlocks(a)).to.include(`${v(4 * P)}-${v(5 * P)}`);
    });

    it('reclaim (the failure path and the golden p) empties the pools and skips populating them', () => {
      const { a } = mk(4);
      ok(a, P);
      ok(a, P);
      lazy(a, V);
      a.drain_vmap_area_work();
      expect(a.vmap_node_shrink_count()).to.equal(1);
      lazy(a, V + P);
      a.purge_vmap_area_lazy();
      expect(a.vmap_node_shrink_count()).to.equal(0);
      expect(freeBlocks(a)).to.deep.equal([`1-${TOP}`]);
    });

    /*
     * Busy areas live in the node of their start: X [V+15P, V+18P) in node 0
     * spans the zone boundary at V+16P. find_vmap_area(V+16P) starts at
     * node 1 and goes round to node 0.
     */
    it('finds an area spanning zones from any of its addresses', () => {
      const { a } = mk(4);
      ok(a, 15 * P);
      const X = ok(a, 3 * P);
      expect(hex(X.va_start)).to.equal(v(15 * P));
      expect(a.vmap_nodes[0]!.busy.root.rb_node).to.not.equal(null);
      expect(a.find_vmap_area(V + 16 * P)).to.equal(X);
      expect(a.find_vmap_area(V + 17 * P)).to.equal(X);
      const Y = ok(a, P); // V+18P: node 1
      expect(a.addr_to_node(Y.va_start)).to.equal(a.vmap_nodes[1]);
      expect(a.find_unlink_vmap_area(V + 18 * P)).to.equal(Y);
      expect(a.find_vmap_area(V + 18 * P)).to.equal(null);
    });

    it('requests outside the vmalloc range bypass the pools (no node id)', () => {
      const { a } = mk(4);
      const va = ok(a, P, 1, V + 0x100000, V + 0x200000);
      expect(va.flags).to.equal(0);
    });
  });

  describe('differential against linux-6.1', () => {
    const files = readdirSync(goldenDir())
      .filter((f) => f.startsWith('linux-6.1.') && f.endsWith('.trace.gz'))
      .sort()
      .map((f) => join(goldenDir(), f));

    /*
     * With every request at align 1 and one CPU the two must agree exactly:
     * one node, so node_alloc() always falls back to the global heap and no
     * area carries a node id: the pools stay empty (purge_vmap_node sends
     * every area back to the free tree). The free tree then holds the same
     * set of blocks in both (6.1 merges lazily freed neighbours before the
     * purge, 6.12 after, in another order: the tree shape differs, the set
     * does not), and for align <= PAGE_SIZE find_vmap_lowest_match() returns
     * the lowest fitting block whatever the shape. The purge points are the
     * same (strict nr_lazy > lazy_max_pages(), inline drain; 6.12's drain
     * runs one purge, 6.1's loops while over the threshold, which after a
     * full purge is never), and so are the flush spans and purge counts.
     */
    for (const f of files.filter((x) => x.includes('lazy-churn'))) {
      it(`replays the align-1 golden trace ${f.slice(f.lastIndexOf('/') + 1)} exactly (results, events, state lines)`, () => {
        const t = parseGolden(f, readText(f));
        (t.header as { variant: string }).variant = 'linux-6.12';
        const r = replayGoldenTrace(t);
        expect(r.divergence, r.divergence ? `${r.divergence.what} at op ${r.divergence.op}` : '').to.equal(null);
        expect(r.ops).to.equal(6000);
      });
    }

    /*
     * Every other golden op stream, with the requests of align > PAGE_SIZE
     * (and the frees of their areas) left out: the rest must agree op for op
     * (result, flush/purged events, state line), run side by side.
     */
    for (const f of files) {
      it(`agrees op for op on the align <= PAGE_SIZE part of ${f.slice(f.lastIndexOf('/') + 1)}`, () => {
        const t = parseGolden(f, readText(f));
        const d = sideBySide(t);
        expect(d.mismatch, d.mismatch ?? '').to.equal(null);
        expect(d.ops).to.be.greaterThan(500);
      });
    }

    /*
     * With align > PAGE_SIZE the search is not an exact lowest fit and the
     * tree shape decides: there 6.12 may part from 6.1. Replaying the whole
     * 6.1 traces under 6.12, every first divergence is a result, at a request
     * with align > PAGE_SIZE, after identical states up to it.
     */
    it('parts from the 6.1 golden traces only at requests with align > PAGE_SIZE', () => {
      for (const f of files) {
        const t = parseGolden(f, readText(f));
        (t.header as { variant: string }).variant = 'linux-6.12';
        const r = replayGoldenTrace(t);
        if (!r.divergence) continue;
        const b = t.blocks[r.divergence.op - 1]!;
        expect(r.divergence.what, f).to.equal('result');
        expect(b.op.kind === 'a' && b.op.align > P, `${f} op ${r.divergence.op}`).to.equal(true);
      }
    });

    /*
     * The shrunk counterexample of `vmapsim check --kernel linux-6.12 --against
     * linux-6.1` (random-mixed seed 1, 17 ops). Before the last request both
     * hold the same free blocks, [1, V), [V+2000, V+12000), [V+20000, V+21000)
     * and [V+31000, top), but 6.1's tree has [V+2000, V+12000) at the root and
     * 6.12's (whose purge merged the lazy areas in another order) has
     * [V+20000, V+21000). A page aligned to 0x10000 is searched for with
     * length size + align - 1 = 0x10fff. 6.1: the root's left subtree is big
     * enough, go left to [1, V) (no fit, nothing right of it), climb back to
     * the root: ALIGN(V+2000, 0x10000) = V+10000 fits. 6.12: from the root go
     * left to [1, V); its right child [V+2000, V+12000) has subtree_max_size
     * 0x10000 < 0x10fff and is pruned; climb to the root, where V+20000
     * fits. The lowest fit, V+10000, is missed.
     */
    it('can place an aligned request higher than linux-6.1 with the same free blocks: the tree shape decides', () => {
      type Op = ['a', number, number] | ['f' | 'l', number] | ['p'];
      const ops: Op[] = [
        ['a', 0x1000, 1], ['a', 0x2000, 1], ['l', 0], ['a', 0xb000, 1], ['a', 0x3000, 1], ['a', 0x1000, 0x10000],
        ['l', 5], ['a', 0x10000, 1], ['a', 0xc000, 0x2000], ['l', 7], ['a', 0x2000, 1], ['f', 0], ['a', 0x1000, 1],
        ['f', 0], ['p'], ['a', 0x1000, 1],
      ];
      const run = (name: string) => {
        const a = getVersion(name).create(defaultEnv()) as VmapAllocator & { free_vmap_area_root: { rb_node: vmap_area | null } };
        const live: ReturnType<VmapAllocator['alloc_vmap_area']>[] = [];
        for (const op of ops) {
          if (op[0] === 'a') {
            const va = a.alloc_vmap_area(op[1], op[2], V, VE);
            if (!IS_ERR(va)) live.push(va);
          } else if (op[0] === 'p') a.purge_vmap_area_lazy();
          else {
            const va = live.splice(op[1] % live.length, 1)[0] as vmap_area;
            if (op[0] === 'f') a.free_vmap_area(va);
            else a.free_unmap_vmap_area(va);
          }
        }
        const r = a.free_vmap_area_root.rb_node as vmap_area;
        const root = `${hex(r.va_start)}-${hex(r.va_end)}`;
        const free = (a.snapshot().free ?? []).map((b) => `${hex(b.start)}-${hex(b.end)}`);
        const va = a.alloc_vmap_area(P, 0x10000, V, VE);
        return { root, free, placed: IS_ERR(va) ? errname(va) : hex(va.va_start) };
      };
      const old = run('linux-6.1');
      const now = run('linux-6.12');
      expect(now.free).to.deep.equal(old.free);
      expect(old.free).to.deep.equal([`1-${v(0)}`, `${v(0x2000)}-${v(0x12000)}`, `${v(0x20000)}-${v(0x21000)}`, `${v(0x31000)}-${TOP}`]);
      expect([old.root, now.root]).to.deep.equal([`${v(0x2000)}-${v(0x12000)}`, `${v(0x20000)}-${v(0x21000)}`]);
      expect([old.placed, now.placed]).to.deep.equal([v(0x10000), v(0x20000)]);
    });

    it('with two CPUs the pools make 6.12 part from 6.1 on align-1 requests', () => {
      const f = files.find((x) => x.includes('lazy-churn.s1')) as string;
      const t = parseGolden(f, readText(f));
      const d = sideBySide(t, 2, true);
      expect(d.mismatch).to.not.equal(null);
    });
  });
});

/** Run the align <= PAGE_SIZE requests of a golden op stream on 6.1 and 6.12 side by side. */
function sideBySide(t: GoldenTrace, ncpu = 1, allAligns = false): { ops: number; mismatch: string | null } {
  const mkv = (name: string) => {
    const ev: string[] = [];
    const hooks = nullHooks();
    hooks.flush_tlb_kernel_range = (s, e) => ev.push(`flush ${hex(s)} ${hex(e)}`);
    hooks.purged = (n) => ev.push(`purged ${n}`);
    return { a: getVersion(name).create(defaultEnv({ ncpu, hooks })), ev, byIdx: new Map<number, ulong>() };
  };
  const x = mkv('linux-6.1');
  const y = mkv('linux-6.12');
  const golden = new Map<string, number>(); // live golden address -> alloc index
  let idx = 0;
  let ops = 0;
  for (const b of t.blocks) {
    const op = b.op;
    if (op.kind === 'a' && op.result === 'BUG') break;
    const outs: string[] = [];
    for (const s of [x, y]) {
      s.ev.length = 0;
      let res = '';
      if (op.kind === 'a') {
        if (!allAligns && op.align > P) continue;
        const va = s.a.alloc_vmap_area(op.size, op.align, op.vstart, op.vend);
        res = IS_ERR(va) ? errname(va) : hex(va.va_start);
        if (!IS_ERR(va)) s.byIdx.set(idx, va.va_start);
      } else if (op.kind === 'f' || op.kind === 'l') {
        const k = golden.get(hex(op.addr));
        const addr = k === undefined ? undefined : s.byIdx.get(k);
        if (addr === undefined) continue;
        const va = s.a.find_vmap_area(addr);
        if (!va) return { ops, mismatch: `${t.file}:${b.line}: ${s.a.version} lost ${hex(addr)}` };
        if (op.kind === 'f') s.a.free_vmap_area(va);
        else s.a.free_unmap_vmap_area(va);
        s.byIdx.delete(k as number);
      } else s.a.purge_vmap_area_lazy();
      outs.push(`${res} ${s.ev.join(',')} ${s.a.golden_state()}`);
    }
    if (op.kind === 'a') {
      if (typeof op.result === 'object') golden.set(hex(op.result.addr), idx);
      idx++;
    } else if (op.kind === 'f' || op.kind === 'l') golden.delete(hex(op.addr));
    if (outs.length === 2) {
      ops++;
      if (outs[0] !== outs[1]) return { ops, mismatch: `${t.file}:${b.line}: ${b.text}\n  6.1:  ${outs[0]}\n  6.12: ${outs[1]}` };
    }
  }
  return { ops, mismatch: null };
}

describePcpuGetVmAreas('linux-6.12', 'fits');

describe('linux-6.12 pcpu_get_vm_areas against the real 6.12 kernel', () => {
  it('puts a one-CPU 2 MiB percpu chunk where the real kernel\'s /proc/vmallocinfo shows it: the top 2 MiB below VMALLOC_END', () => {
    const info = parseVmallocinfo(SAMPLE.before, readText(SAMPLE.before));
    const chunk = info.areas.filter((x) => x.caller.startsWith('pcpu_get_vm_areas'));
    expect(chunk.map((x) => `${hex(x.start)}-${hex(x.end)}`)).to.deep.equal(['ffffe8ffffc00000-ffffe8ffffe00000']);
    // Every other area of the snapshot seeded busy, then the chunk asked for.
    const a = getVersion('linux-6.12').create(defaultEnv()) as linux_6_12;
    a.seed_areas(info.areas.filter((x) => x !== chunk[0]).map((x) => ({ start: x.start, end: x.end, state: 'busy' as const })));
    const vas = a.pcpu_get_vm_areas([0], [chunk[0]!.end - chunk[0]!.start], 1, 0x200000);
    expect(vas?.map((v) => `${hex(v.va_start)}-${hex(v.va_end)}`)).to.deep.equal(['ffffe8ffffc00000-ffffe8ffffe00000']);
  });
});

describe('linux-6.12 gfp bits', () => {
  /* include/linux/gfp_types.h of 6.12: bit 9 unused, DIRECT_RECLAIM 10, KSWAPD_RECLAIM 11, NOWARN 13. */
  it('GFP_NOWAIT is __GFP_KSWAPD_RECLAIM | __GFP_NOWARN, without __GFP_DIRECT_RECLAIM', () => {
    expect(GFP_NOWAIT).to.equal(0x2800);
    expect(GFP_NOWAIT & 0x400).to.equal(0);
  });
  it('GFP_KERNEL is 0xcc0, the value the API layers pass, and carries no __GFP_NOWARN', () => {
    expect(GFP_KERNEL_6_12).to.equal(0xcc0);
    expect(GFP_KERNEL_6_12 & __GFP_NOWARN).to.equal(0);
    expect(__GFP_NOWARN).to.equal(0x2000);
  });
});
