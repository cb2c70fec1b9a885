// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { PAGE_SIZE } from '../../../kernel/include/asm/page.js';
import { defaultEnv, type VmapAllocator } from '../../../kernel/mm/vmalloc/common.js';
import { versionNames } from '../../../kernel/mm/vmalloc/index.js';
import { linux_2_6_35 } from '../../../kernel/manifest/linux-2.6.35.js';
import { linux_3_18 } from '../../../kernel/manifest/linux-3.18.js';
import { linux_5_2 } from '../../../kernel/manifest/linux-5.2.js';
import { linux_6_1 } from '../../../kernel/manifest/linux-6.1.js';
import { list_del_rcu } from '../../../kernel/include/linux/list.js';
import { rb_erase } from '../../../kernel/lib/rbtree/linux-2.6.35.js';
import { RB_CLEAR_NODE, RB_RED } from '../../../kernel/include/linux/rbtree.js';
import { kernelContender } from '../../../scripts/check/contenders.js';
import { assertInvariants, checkInvariants, InvariantViolation, type MachineInvariant } from '../../../scripts/check/invariants.js';
import { type CheckOp, VE, VS } from '../../../scripts/check/ops.js';
import { type Contender, Side } from '../../../scripts/check/side.js';
import { makeGenerator, WORKLOADS } from '../../../scripts/check/workloads.js';

/** Run a workload on a side, checking after every op; returns the first violation or null. */
function firstViolation(c: Contender, w: (typeof WORKLOADS)[number], seed: number, nops: number): string | null {
  const g = makeGenerator(w, seed);
  const side = new Side(c, g.ncpu, false);
  for (let n = 0; n < nops; n++) {
    const op = g.next();
    const o = side.apply(op);
    if (op.k === 'a') g.allocated(o.result !== 'EBUSY' && o.result !== 'BUG');
    if (side.bug) return null;
    const v = checkInvariants(side.alloc);
    if (v.length) return `${w} s${seed} op ${n + 1}: ${v.join('; ')}`;
  }
  return null;
}

function custom(variant: string, create: () => VmapAllocator): Contender {
  return { variant, source: 'test', replayable: false, create };
}

const A = (size: number, vstart = VS): CheckOp => ({ k: 'a', size, align: 1, vstart, vend: VE });

describe('the invariant checker', () => {
  for (const v of versionNames())
    it(`finds every invariant holding after every op of long ${v} runs (every workload but top-of-space)`, function () {
      this.timeout(30000);
      const c = kernelContender(v)!;
      for (const w of WORKLOADS.filter((x) => x !== 'top-of-space')) {
        const n = v === 'linux-5.2' || v === 'linux-6.1' ? 700 : 1500;
        expect(firstViolation(c, w, 3, n)).to.equal(null);
      }
    });

  it('checks a wasm core by its snapshot (its trees are in linear memory), and still catches the area that ends at 2^64', () => {
    for (const v of ['linux-2.6.35@wasm', 'linux-2.6.35-minchan@wasm', 'linux-6.1@wasm', 'linux-6.12@wasm'])
      for (const w of ['random-mixed', 'lazy-churn'] as const) expect(firstViolation(kernelContender(v)!, w, 3, 600), v).to.equal(null);
    expect(firstViolation(kernelContender('linux-2.6.35@wasm')!, 'top-of-space', 2, 4000)).to.match(/op 32: area \[ffffffffffff0000, 0\) is empty or wraps/);
  });

  it('catches the 2.6.x area that ends at 2^64 (addr + size == 0) on the top-of-space workload', () => {
    expect(firstViolation(kernelContender('linux-2.6.35')!, 'top-of-space', 2, 4000)).to.match(
      /op 32: busy tree: empty or wrapped area \[ffffffffffff0000, 0\)/,
    );
    expect(firstViolation(kernelContender('linux-3.18')!, 'top-of-space', 2, 4000)).to.equal(null);
  });

  it('catches a version that forgets list_del on free (in-order no longer equals vmap_area_list)', () => {
    class NoListDel extends linux_2_6_35 {
      __free_vmap_area(va: Parameters<linux_2_6_35['__free_vmap_area']>[0]): void {
        rb_erase(va, this.vmap_area_root);
        RB_CLEAR_NODE(va);
      }
    }
    const side = new Side(custom('no-list-del', () => new NoListDel(defaultEnv())), 1);
    side.apply(A(2 * PAGE_SIZE));
    side.apply(A(PAGE_SIZE));
    side.apply({ k: 'f', i: 0 });
    expect(checkInvariants(side.alloc)).to.deep.equal(['vmap_area_list: the list has 2 entries, the tree 1', 'vmap_area_list: list entry 0 is [ffffc90000000000, ffffc90000002000), the tree\'s in-order [ffffc90000003000, ffffc90000004000)']);
  });

  it('catches a corrupted subtree_max_size and a broken lowest match in the free tree', () => {
    for (const Ctor of [linux_5_2, linux_6_1]) {
      const a = new Ctor(defaultEnv());
      for (let i = 0; i < 6; i++) a.alloc_vmap_area(PAGE_SIZE * (i + 1), 1, VS, VE);
      const head = a.free_vmap_area_list;
      for (let l = head.next; l !== head; l = l.next) (l.owner as { subtree_max_size: number }).subtree_max_size = 0x1000;
      const v = checkInvariants(a);
      expect(v.some((m) => m.startsWith('free tree: subtree_max_size of'))).to.equal(true);
    }
    class BrokenSearch extends linux_6_1 {
      find_vmap_lowest_match(..._x: Parameters<linux_6_1['find_vmap_lowest_match']>): null {
        return null;
      }
    }
    const b = new BrokenSearch(defaultEnv());
    expect(checkInvariants(b)[0]).to.equal('lowest match for size 1000 at vstart ffffc90000000000: the tree finds none, a linear scan [1, ffffffffffffffff)');
  });

  it('leaves the touch counter alone while probing the lowest match', () => {
    const a = new linux_6_1(defaultEnv());
    a.alloc_vmap_area(PAGE_SIZE, 1, VS, VE);
    const t = a.touches;
    expect(checkInvariants(a)).to.deep.equal([]);
    expect(a.touches).to.equal(t);
  });

  it('catches a free_vmap_cache left pointing at a freed area, a wrong vmap_lazy_nr and a red root', () => {
    class StaleCache extends linux_3_18 {
      __free_vmap_area(va: Parameters<linux_3_18['__free_vmap_area']>[0]): void {
        const keep = this.free_vmap_cache;
        super.__free_vmap_area(va);
        this.free_vmap_cache = keep;
      }
    }
    const side = new Side(custom('stale-cache', () => new StaleCache(defaultEnv())), 1);
    side.apply(A(PAGE_SIZE));
    side.apply(A(PAGE_SIZE));
    side.apply({ k: 'f', i: 1 });
    expect(checkInvariants(side.alloc)).to.deep.equal(['free_vmap_cache names [ffffc90000001000, ffffc90000002000), which is not in the busy tree']);
    const b = new linux_2_6_35(defaultEnv());
    b.alloc_vmap_area(PAGE_SIZE, 1, VS, VE);
    b.vmap_lazy_nr = 3;
    (b.vmap_area_root.rb_node as { __rb_color: number }).__rb_color = RB_RED;
    expect(checkInvariants(b)).to.deep.equal([
      'busy tree: the root [ffffc90000000000, ffffc90000001000) is red',
      'vmap_lazy_nr is 3, the lazily freed areas hold 0 pages',
    ]);
  });

  it('catches lost space in the free tree (a free block unlinked from the list and tree)', () => {
    const a = new linux_6_1(defaultEnv());
    const va = a.alloc_vmap_area(PAGE_SIZE, 1, VS, VE) as Parameters<linux_6_1['free_vmap_area']>[0];
    a.unlink_va(va, a.vmap_area_root); // dropped on the floor: neither busy nor free
    expect(checkInvariants(a)).to.deep.equal(['space lost: [ffffc90000000000, ffffc90000001000) is neither free, busy nor lazy']);
  });

  it('dumps the trees and the last operations when asserting', () => {
    const b = new linux_2_6_35(defaultEnv());
    b.alloc_vmap_area(PAGE_SIZE, 1, VS, VE);
    b.vmap_lazy_nr = 1;
    try {
      assertInvariants(b, ['a 1000 1 ffffc90000000000 ffffe8ffffffffff -> ffffc90000000000']);
      expect.fail('no violation raised');
    } catch (e) {
      expect(e).to.be.instanceOf(InvariantViolation);
      const m = (e as Error).message;
      expect(m).to.contain('vmap_lazy_nr is 1');
      expect(m).to.contain('last operations:\n  a 1000 1');
      expect(m).to.contain('busy tree:\n    B [ffffc90000000000, ffffc90000001000)');
    }
  });

  it('runs machine-level checks passed in through the extension point', () => {
    const probe: MachineInvariant = { name: 'pte', check: () => ['PTE of ffffc90000000000 not present'] };
    expect(checkInvariants(new linux_2_6_35(defaultEnv()), { machine: [probe] })).to.deep.equal(['pte: PTE of ffffc90000000000 not present']);
  });

  it('catches a lazily freed area kept off the count (5.2 purge list)', () => {
    const a = new linux_5_2(defaultEnv());
    const va = a.alloc_vmap_area(2 * PAGE_SIZE, 1, VS, VE) as Parameters<linux_5_2['free_unmap_vmap_area']>[0];
    a.free_unmap_vmap_area(va);
    a.vmap_lazy_nr = 0;
    expect(checkInvariants(a)).to.deep.equal(['vmap_lazy_nr is 0, the lazily freed areas hold 2 pages']);
    void list_del_rcu;
  });
});
