// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { Prng } from '../../../../hw/prng.js';
import { IS_ERR } from '../../../../kernel/include/linux/errno.js';
import { hex, ult } from '../../../../kernel/include/u64.js';
import { vmap_area } from '../../../../kernel/mm/vmalloc/linux-5.2.js';
import { linux_5_2 } from '../../../../kernel/manifest/linux-5.2.js';
import { alloc, allocator, allocOk, itReplaysEveryGoldenTrace } from '../../../helpers/golden.js';
import { defaultEnv, nullHooks } from '../../../../kernel/mm/vmalloc/common.js';
import { describePcpuGetVmAreas } from '../../../helpers/pcpu.js';
import { itHoldsVmapAreaLockInPcpuGetVmAreas, itContendsOnVmapAreaLock, itLetsOneTryPurgeRunAtATime } from '../../../helpers/timed-locks.js';

const P = 0x1000;
const M16 = 0x1000000;
const V = -0x370000000000; // VMALLOC_START 0xffffc90000000000
const VE = -0x170000000001; // VMALLOC_END 0xffffe8ffffffffff
const TOP = 'ffffffffffffffff';
const v = (off: number) => hex(V + off);

function mk(): { a: linux_5_2; events: string[] } {
  const { a, events } = allocator('linux-5.2');
  return { a: a as linux_5_2, events };
}

/** alloc_vmap_area that must succeed, as this version's vmap_area. */
const ok = (a: linux_5_2, size: number, align: number, vstart: number, vend: number) => allocOk(a, size, align, vstart, vend) as vmap_area;

/** The free list as "start-end" strings. */
function freeBlocks(a: linux_5_2): string[] {
  return (a.snapshot().free ?? []).map((f) => `${hex(f.start)}-${hex(f.end)}`);
}

describe('linux-5.2 alloc_vmap_area (augmented free tree, reconstructed)', () => {
  describe('golden traces', () => itReplaysEveryGoldenTrace('linux-5.2'));

  it('starts with one free block [1, ULONG_MAX)', () => {
    const { a } = mk();
    expect(freeBlocks(a)).to.deep.equal([`1-${TOP}`]);
    expect(a.augment_tree_propagate_check()).to.deep.equal([]);
  });

  /*
   * The one free block [1, ffffffffffffffff) holds [V, V+P) strictly inside:
   * no-edge fit. A second node, allocated with GFP_NOWAIT (5.2 has no
   * per-CPU preload yet), becomes the left remainder:
   *   free [1, V)   busy [V, V+P)   free [V+P, ffffffffffffffff)
   * Touches: lowest match 1 (root); augment_tree_propagate_from(va) 1; link
   * the new node from va: find_va_links 1, link_va 1; propagate from it 1 +
   * its parent 1 + get_subtree_max_size of the parent's left child 1; the
   * busy insert into an empty tree 0. Seven in all.
   */
  it('splits a block with no common edge (NE) with a node allocated on the spot', () => {
    const { a } = mk();
    const t0 = a.touches;
    expect(hex(ok(a, P, 1, V, VE).va_start)).to.equal(v(0));
    expect(a.touches - t0).to.equal(7);
    expect(freeBlocks(a)).to.deep.equal([`1-${v(0)}`, `${v(P)}-${TOP}`]);
  });

  /*
   * After the NE split the tree is [V+P, top) over [1, V) on its left. A
   * 3-page request from V: the left subtree is big enough and V < V+P, so
   * go left to [1, V): V + 3P does not fit below V, no right child, climb
   * to the root: start V+P > V, V+4P fits. It starts at the block's start:
   * left-edge fit, the block becomes [V+4P, top).
   */
  it('cuts a left edge (LE) when the request starts at the block start', () => {
    const { a } = mk();
    ok(a, P, 1, V, VE);
    expect(hex(ok(a, 3 * P, 1, V, VE).va_start)).to.equal(v(P));
    expect(freeBlocks(a)).to.deep.equal([`1-${v(0)}`, `${v(4 * P)}-${TOP}`]);
  });

  /*
   * A [V, V+3P), B [V+3P, V+6P), C [V+6P, V+7P); free B: it touches no free
   * block, so it is inserted under [1, V) on the right and the rebalance
   * makes it the root:
   *        Y [V+3P, V+6P)
   *       /              \
   *   X [1, V)      Z [V+7P, top)
   * Two pages aligned to 2P from V (length size + align - 1 = 4P-1): left to
   * X (V < V+3P), no fit, climb to Y: ALIGN(V+3P, 2P) = V+4P, V+6P fits and
   * ends at Y's end: right-edge fit, Y becomes [V+3P, V+4P).
   */
  it('cuts a right edge (RE) when the aligned request ends at the block end', () => {
    const { a } = mk();
    ok(a, 3 * P, 1, V, VE);
    const b = ok(a, 3 * P, 1, V, VE);
    ok(a, P, 1, V, VE);
    a.free_vmap_area(b);
    expect(freeBlocks(a)).to.deep.equal([`1-${v(0)}`, `${v(3 * P)}-${v(6 * P)}`, `${v(7 * P)}-${TOP}`]);
    expect(hex(ok(a, 2 * P, 2 * P, V, VE).va_start)).to.equal(v(4 * P));
    expect(freeBlocks(a)).to.deep.equal([`1-${v(0)}`, `${v(3 * P)}-${v(4 * P)}`, `${v(7 * P)}-${TOP}`]);
  });

  /*
   * Continuing: Y is [V+3P, V+4P), one page. A one-page request from V goes
   * left to X, does not fit, climbs to Y: V+3P..V+4P is Y exactly: full fit,
   * Y leaves the free tree.
   */
  it('takes a whole block (FL) when the request is exactly its size', () => {
    const { a } = mk();
    ok(a, 3 * P, 1, V, VE);
    const b = ok(a, 3 * P, 1, V, VE);
    ok(a, P, 1, V, VE);
    a.free_vmap_area(b);
    ok(a, 2 * P, 2 * P, V, VE); // [V+4P, V+6P), RE
    expect(hex(ok(a, P, 1, V, VE).va_start)).to.equal(v(3 * P));
    expect(freeBlocks(a)).to.deep.equal([`1-${v(0)}`, `${v(7 * P)}-${TOP}`]);
    expect(a.augment_tree_propagate_check()).to.deep.equal([]);
  });

  /*
   * A [V, V+P), B [V+P, V+2P), C [V+2P, V+3P), D [V+3P, V+4P); free B (a
   * block of its own), free D (merges into the next block: [V+3P, top)),
   * then free C: the next block starts at C's end (it grows down to C's
   * start and is propagated), and the previous one ends at C's start (it
   * grows up to top, is propagated, and the next block leaves the tree):
   *   free [1, V)  busy A  free [V+P, top)
   */
  it('merges a freed area with both free neighbours', () => {
    const { a } = mk();
    ok(a, P, 1, V, VE);
    const b = ok(a, P, 1, V, VE);
    const c = ok(a, P, 1, V, VE);
    const d = ok(a, P, 1, V, VE);
    a.free_vmap_area(b);
    a.free_vmap_area(d);
    expect(freeBlocks(a)).to.deep.equal([`1-${v(0)}`, `${v(P)}-${v(2 * P)}`, `${v(3 * P)}-${TOP}`]);
    a.free_vmap_area(c);
    expect(freeBlocks(a)).to.deep.equal([`1-${v(0)}`, `${v(P)}-${TOP}`]);
    expect(a.augment_tree_propagate_check()).to.deep.equal([]);
  });

  /*
   * Reference section 7 item 9. A1 [V, V+P), A2 [V+P, V+2P), A3 [V+2P, V+4P),
   * B [V+4P, W+16M) with W = V+4P, C [W+16M, W+16M+P). Free A2: Q [V+P, V+2P)
   * becomes the root over X [1, V) and R [W+16M+P, top). Free B: Y [W,
   * W+16M) touches nothing and hangs left of R; the recolouring keeps Q at
   * the root:
   *            Q
   *          /   \
   *         X     R
   *              /
   *             Y  (exactly 16 MiB, start aligned to 2P)
   * 16 MiB aligned to 2P in [W, W+16M): 5.2 always searches for
   * size + align - 1 = 16M + 0x1fff. At Q: not left (W > Q.start), Q does
   * not fit, right (R's subtree is big); at R: Y's max 16M < length, so not
   * left; R itself fits at ALIGN(R.start, 2P), which ends past vend: vend
   * is returned, the purge finds nothing (no events), the retry fails the
   * same way: EBUSY although Y is exactly free. (5.16 fixed this.)
   */
  it('fails an exact-range request with alignment > PAGE_SIZE (fixed in v5.16)', () => {
    const { a, events } = mk();
    ok(a, P, 1, V, VE);
    const a2 = ok(a, P, 1, V, VE);
    ok(a, 2 * P, 1, V, VE);
    const b = ok(a, M16, 1, V, VE);
    ok(a, P, 1, V, VE);
    const W = V + 4 * P;
    expect(b.va_start).to.equal(W);
    a.free_vmap_area(a2);
    a.free_vmap_area(b);
    const q = a.free_vmap_area_root.rb_node as vmap_area;
    expect(hex(q.va_start)).to.equal(v(P));
    expect(hex((q.rb_right?.rb_left as vmap_area).va_start)).to.equal(hex(W));
    expect(alloc(a, M16, 2 * P, W, W + M16)).to.equal('EBUSY');
    expect(events).to.deep.equal([]);
    expect(freeBlocks(a)).to.deep.equal([`1-${v(0)}`, `${v(P)}-${v(2 * P)}`, `${hex(W)}-${hex(W + M16)}`, `${hex(W + M16 + P)}-${TOP}`]);
    // Even align = PAGE_SIZE searches for 16M + 0xfff; only align 1 searches
    // for exactly 16M, goes left at R and takes Y whole.
    expect(alloc(a, M16, P, W, W + M16)).to.equal('EBUSY');
    expect(hex(ok(a, M16, 1, W, W + M16).va_start)).to.equal(hex(W));
  });

  /*
   * A [V, V+2P), B [V+2P, V+4P) freed lazily: both stay in the busy tree
   * (find_vmap_area still finds them) and are pushed on vmap_purge_list.
   * Their range stays blocked: a new 2-page area C goes to V+4P. An explicit
   * purge flushes [V, V+4P), reports 2 areas, and frees them newest first:
   * B becomes a free block of its own [V+2P, V+4P); then A merges with it
   * (next) and with [1, V) (previous):
   *   free [1, V+4P)  busy C [V+4P, V+6P)  free [V+6P, top)
   */
  it('keeps lazily freed areas in the busy tree until the purge frees them, newest first', () => {
    const { a, events } = mk();
    const A = ok(a, 2 * P, 1, V, VE);
    const B = ok(a, 2 * P, 1, V, VE);
    a.free_unmap_vmap_area(A);
    a.free_unmap_vmap_area(B);
    expect(a.find_vmap_area(V)).to.equal(A);
    expect(a.vmap_lazy_nr).to.equal(4);
    expect(a.vmap_purge_list.first?.owner).to.equal(B);
    expect(a.snapshot().areas.map((x) => `${hex(x.start)}-${hex(x.end)} ${x.state}`)).to.deep.equal([
      `${v(0)}-${v(2 * P)} lazy`,
      `${v(2 * P)}-${v(4 * P)} lazy`,
    ]);
    expect(hex(ok(a, 2 * P, 1, V, VE).va_start)).to.equal(v(4 * P));
    a.purge_vmap_area_lazy();
    expect(events).to.deep.equal([`flush ${v(0)} ${v(4 * P)}`, 'purged 2']);
    expect(a.find_vmap_area(V)).to.equal(null);
    expect(freeBlocks(a)).to.deep.equal([`1-${v(4 * P)}`, `${v(6 * P)}-${TOP}`]);
    expect(a.golden_state()).to.match(/ lazy=0$/);
  });

  /*
   * With one CPU lazy_max_pages() = 8192. Lazily freeing 8193 one-page
   * areas pushes vmap_lazy_nr over it on the last one, which tries the
   * purge itself (try_purge_vmap_area_lazy) and frees everything.
   */
  it('purges inside the lazy free that crosses lazy_max_pages()', () => {
    const { a, events } = mk();
    const areas = [];
    for (let i = 0; i < 8193; i++) areas.push(ok(a, P, 1, V, VE));
    for (let i = 0; i < 8192; i++) a.free_unmap_vmap_area(areas[i]!);
    expect(events).to.deep.equal([]);
    a.free_unmap_vmap_area(areas[8192]!);
    expect(events).to.deep.equal([`flush ${v(0)} ${v(8193 * P)}`, 'purged 8193']);
    expect(a.vmap_lazy_nr).to.equal(0);
  });

  /*
   * 7c9b3c4119eb (v5.1): the purge gives vmap_area_lock a chance to be
   * dropped after each area only while vmap_lazy_nr is under twice
   * lazy_max_pages() (16384 pages with one CPU). Other CPUs' lazy frees
   * raise the counter while the purge flushes; here the flush hook adds
   * them. Three one-page areas: with 16383 pages added the counter reads
   * 16385, 16384, 16383 after each area, so only the last one reschedules;
   * with 16384 added, none does.
   */
  for (const [added, expected] of [
    [16383, ['flush', 'lock vmap_area_lock', 'resched vmap_area_lock', 'unlock vmap_area_lock']],
    [16384, ['flush', 'lock vmap_area_lock', 'unlock vmap_area_lock']],
  ] as const) {
    it(`reschedules inside the purge only under twice lazy_max_pages(): ${added} pages freed meanwhile`, () => {
      const calls: string[] = [];
      let a: linux_5_2 | undefined;
      const hooks = {
        ...nullHooks(),
        spin_lock: (l: string) => calls.push(`lock ${l}`),
        spin_unlock: (l: string) => calls.push(`unlock ${l}`),
        cond_resched_lock: (l: string) => calls.push(`resched ${l}`),
        flush_tlb_kernel_range: () => {
          calls.push('flush');
          a!.vmap_lazy_nr += added;
        },
      };
      a = new linux_5_2(defaultEnv({ hooks }));
      const areas = [ok(a, P, 1, V, VE), ok(a, P, 1, V, VE), ok(a, P, 1, V, VE)];
      for (const x of areas) a.free_unmap_vmap_area(x);
      // Each alloc_vmap_area takes vmap_area_lock around its search; the lazy frees take no lock.
      expect(calls).to.deep.equal(Array(3).fill(['lock vmap_area_lock', 'unlock vmap_area_lock']).flat());
      calls.length = 0;
      a.purge_vmap_area_lazy();
      expect(calls).to.deep.equal([...expected]);
      expect(a.vmap_lazy_nr).to.equal(added);
    });
  }

  /*
   * A request no block can hold: purge (nothing pending, no events),
   * retry, the notifier chain frees nothing: -EBUSY.
   */
  it('fails with EBUSY after one purge-and-retry', () => {
    const { a, events } = mk();
    ok(a, 4 * P, 1, V, V + 4 * P);
    expect(alloc(a, P, 1, V, V + 4 * P)).to.equal('EBUSY');
    expect(events).to.deep.equal([]);
  });

  it('keeps the augmented tree and the lowest match exact through a random sequence', () => {
    const { a } = mk();
    const rng = new Prng(52);
    const live: vmap_area[] = [];
    for (let op = 0; op < 3000; op++) {
      const r = rng.below(100);
      if (live.length === 0 || r < 50) {
        const pages = 1 + rng.below(rng.below(10) < 9 ? 64 : 1024);
        const align = rng.below(100) < 80 ? 1 : 1 << (13 + rng.below(7));
        const vstart = rng.below(10) < 8 ? V : V + rng.below(256) * P;
        const va = a.alloc_vmap_area((pages + 1) * P, align, vstart, VE);
        if (!IS_ERR(va)) live.push(va as vmap_area);
      } else if (r < 80) {
        const i = rng.below(live.length);
        a.free_vmap_area(live[i]!);
        live[i] = live[live.length - 1]!;
        live.pop();
      } else if (r < 98) {
        const i = rng.below(live.length);
        a.free_unmap_vmap_area(live[i]!);
        live[i] = live[live.length - 1]!;
        live.pop();
      } else a.purge_vmap_area_lazy();

      expect(a.augment_tree_propagate_check(), `after op ${op}`).to.deep.equal([]);
      const size = (1 + rng.below(64)) * P;
      expect(a.find_vmap_lowest_match_check(size, rng.nextU32()), `after op ${op}`).to.equal(null);
    }
    // Free blocks sorted and coalesced: each ends strictly below the next.
    const free = a.snapshot().free ?? [];
    for (let i = 1; i < free.length; i++) expect(ult(free[i - 1]!.end, free[i]!.start), `block ${i}`).to.equal(true);
  });
});

describePcpuGetVmAreas('linux-5.2', 'fails');

describe('linux-5.2 locks in timed mode', () => {
  describe('linux-5.2', () => {
    itContendsOnVmapAreaLock('linux-5.2', 4, 'alloc_vmap_area; setup_vmalloc_vm; find_vmap_area in __vunmap and in remove_vm_area');
    itHoldsVmapAreaLockInPcpuGetVmAreas('linux-5.2');
    itLetsOneTryPurgeRunAtATime('linux-5.2', 'vmap_purge_lock');
  });
  describe('linux-5.2@wasm', () => {
    itContendsOnVmapAreaLock('linux-5.2@wasm', 4, 'alloc_vmap_area; setup_vmalloc_vm; find_vmap_area in __vunmap and in remove_vm_area');
    itHoldsVmapAreaLockInPcpuGetVmAreas('linux-5.2@wasm');
    itLetsOneTryPurgeRunAtATime('linux-5.2@wasm', 'vmap_purge_lock');
  });
});
