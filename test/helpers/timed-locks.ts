// SPDX-License-Identifier: GPL-2.0-only
/*
 * Specs of the older ports' locks in timed mode (docs/concurrency.md,
 * "Locks and the workqueue"): their vmap_area_lock and their purge locks
 * (purge_lock of 2.6.35-3.18, vmap_purge_lock of 5.2) are taken where the
 * kernel text takes them, so CPUs running side by side wait for each other
 * and only one purge runs at a time. Each era's spec calls these.
 */
import { expect } from 'chai';

// Imported lazily, as the other kernel-booting specs do.
const { bootKernel } = await import('../../kernel/boot.js');

type Kernel = ReturnType<typeof bootKernel>;

/** Two bound tasks, one a CPU, each looping `body` `loops` times, one kernel call a step. */
function runPair(k: Kernel, loops: number, body: (cpu: number) => Generator<void>): void {
  function* loop(cpu: number): Generator<void> {
    for (let i = 0; i < loops; i++) yield* body(cpu);
  }
  k.runTasks([0, 1].map((cpu) => ({ comm: 'loop', pid: 100 + cpu, cpu, bound: true, steps: loop(cpu) })));
}

/**
 * Two CPUs looping vmalloc/vfree side by side: vmap_area_lock is taken by
 * both, `perLoop` times a loop (at `sites`), some acquisitions find it
 * held, and the waits cost cycles.
 */
export function itContendsOnVmapAreaLock(version: string, perLoop: number, sites: string): void {
  it('makes two CPUs allocating at once in timed mode wait for each other on vmap_area_lock', () => {
    const k = bootKernel({ version, cpus: 2, machine: { cpus: 2, checker: false } });
    runPair(k, 300, function* (cpu) {
      const p = k.vmalloc(cpu, 4 * 4096);
      yield;
      k.vfree(cpu, p);
      yield;
    });
    const l = k.locks.all().find((x) => x.name === 'vmap_area_lock');
    expect(l, 'vmap_area_lock was taken').to.not.equal(undefined);
    // 600 loops of 4 pages stay under lazy_max_pages: no purge, so only the sites of vmalloc and vfree.
    expect(l!.acquisitions, sites).to.equal(perLoop * 600);
    expect(l!.contended).to.be.greaterThan(0);
    expect(l!.waitCycles[0]! + l!.waitCycles[1]!).to.be.greaterThan(0);
  });
}

/**
 * Two CPUs that each make their next lazy free purge (set_iounmap_nonlazy,
 * kdump's pattern) and iounmap side by side: while one CPU's purge waits
 * for its flush, the other's try_purge_vmap_area_lazy finds the purge lock
 * taken and gives up, so fewer purges run than iounmaps asked for.
 */
export function itLetsOneTryPurgeRunAtATime(version: string, lock: string): void {
  it(`lets only one purge run at a time: a try_purge that finds ${lock} taken gives up`, () => {
    const k = bootKernel({ version, cpus: 2, machine: { cpus: 2, checker: false } });
    const loops = 50;
    runPair(k, loops, function* (cpu) {
      const p = k.ioremap(cpu, 0xfee00000 + cpu * 0x1000, 4096);
      yield;
      expect(k.set_iounmap_nonlazy(cpu)).to.equal(true);
      k.iounmap(cpu, p);
      yield;
    });
    const l = k.locks.all().find((x) => x.name === lock);
    expect(l, `${lock} was taken`).to.not.equal(undefined);
    expect(l!.trylockFailed).to.be.greaterThan(0);
    expect(k.purges.length).to.be.lessThan(2 * loops);
    expect(k.purges.length + l!.trylockFailed).to.be.at.most(2 * loops);
  });
}

/**
 * Two CPUs mapping and unmapping 4 pages with vm_map_ram side by side: the
 * vmap-block layer takes each block's vb->lock (vb_alloc, vb_free), its
 * CPU's vbq->lock when a block joins its queue, and vmap_block_tree_lock
 * around the block tree, as the kernel text does.
 */
export function itTakesTheVmapBlockLocks(version: string): void {
  it('takes vb->lock, vbq->lock and vmap_block_tree_lock in vm_map_ram and vm_unmap_ram in timed mode', () => {
    const k = bootKernel({ version, cpus: 2, machine: { cpus: 2, checker: false } });
    const pages = [k.alloc_pages(4), k.alloc_pages(4)];
    const loops = 100;
    runPair(k, loops, function* (cpu) {
      const mem = k.vm_map_ram(cpu, pages[cpu]!);
      yield;
      k.vm_unmap_ram(cpu, mem, 4);
      yield;
    });
    const byClass = (c: string) => k.locks.all().filter((l) => l.name === c || l.name.startsWith(`${c}#`));
    const sum = (c: string) => byClass(c).reduce((a, l) => a + l.acquisitions, 0);
    // One block per CPU serves all 100 loops of 4 pages (a block has far more): vb_alloc and vb_free take its lock once each.
    expect(sum('vb->lock')).to.equal(2 * 2 * loops);
    expect(byClass('vb->lock').length).to.equal(2);
    // new_vmap_block: the block joins its CPU's queue, and the block tree.
    expect(sum('vbq->lock')).to.equal(2);
    expect(sum('vmap_block_tree_lock')).to.equal(2);
  });
}

/**
 * pcpu_get_vm_areas() holds vmap_area_lock from its search to the insert
 * of the last area, as the kernel text of 2.6.35 to 5.2 does. Recorded
 * through the hooks of the allocator alone (one chunk, no purge).
 */
export function itHoldsVmapAreaLockInPcpuGetVmAreas(version: string): void {
  it('holds vmap_area_lock across pcpu_get_vm_areas() from the search to the insert', async () => {
    const { createAllocator } = await import('../../kernel/mm/vmalloc/index.js');
    const { defaultEnv, nullHooks } = await import('../../kernel/mm/vmalloc/common.js');
    const calls: string[] = [];
    const a = createAllocator(version, defaultEnv({ hooks: { ...nullHooks(), spin_lock: (l) => calls.push(`lock ${l}`), spin_unlock: (l) => calls.push(`unlock ${l}`) } }));
    const U = 0x200000; // one 2 MiB unit, 2 MiB aligned
    const vas = a.pcpu_get_vm_areas!([0], [U], 1, U);
    expect(vas).to.have.length(1);
    expect(calls).to.deep.equal(['lock vmap_area_lock', 'unlock vmap_area_lock']);
  });
}

/** What the 6.x vmap-block layer takes in itTakesTheVmapBlockLocksOf6x, derived by hand from the kernel text. */
export interface vmap_block_lock_counts {
  /** vm_map_ram/vm_unmap_ram loop, both CPUs: vb->lock, vbq->lock acquisitions. */
  readonly loop: { readonly vb: number; readonly vbq: number };
  /** The vm_unmap_aliases call after it. */
  readonly aliases: { readonly vb: number; readonly vbq: number };
  /** Which sites, for the failure message. */
  readonly sites: string;
}

/**
 * The 6.1 API layer (also 5.2's) and its 6.12/7.3 overrides: two CPUs map
 * and unmap 4 pages with vm_map_ram 100 times each, then CPU 0 calls
 * vm_unmap_aliases. A block is 256 pages (VMAP_BBMAP_BITS at NR_CPUS 8192),
 * so each CPU fills one block in 64 loops (taken off its queue when full,
 * freed by the 64th vb_free) and leaves a second one with 112 pages never
 * handed out and 144 dirty. Each block lock is an instance of vb->lock
 * (vb->lock#N), each queue's of vbq->lock.
 */
export function itTakesTheVmapBlockLocksOf6x(version: string, n: vmap_block_lock_counts): void {
  it('takes vb->lock and vbq->lock where the kernel text does, in vm_map_ram, vm_unmap_ram and vm_unmap_aliases in timed mode', () => {
    const k = bootKernel({ version, cpus: 2, machine: { cpus: 2, checker: false } });
    const pages = [k.alloc_pages(4), k.alloc_pages(4)];
    const loops = 100;
    runPair(k, loops, function* (cpu) {
      const mem = k.vm_map_ram(cpu, pages[cpu]!);
      yield;
      k.vm_unmap_ram(cpu, mem, 4);
      yield;
    });
    const byClass = (c: string) => k.locks.all().filter((l) => l.name === c || l.name.startsWith(`${c}#`));
    const sum = (c: string) => byClass(c).reduce((a, l) => a + l.acquisitions, 0);
    expect({ vb: sum('vb->lock'), vbq: sum('vbq->lock') }, n.sites).to.deep.equal(n.loop);
    // Two blocks a CPU, one queue a CPU.
    expect(byClass('vb->lock').length).to.equal(4);
    expect(byClass('vbq->lock').length).to.equal(2);

    const before = { vb: sum('vb->lock'), vbq: sum('vbq->lock') };
    function* once(): Generator<void> {
      k.vm_unmap_aliases(0);
      yield;
    }
    k.runTasks([{ comm: 'aliases', pid: 200, cpu: 0, bound: true, steps: once() }]);
    expect({ vb: sum('vb->lock') - before.vb, vbq: sum('vbq->lock') - before.vbq }, n.sites).to.deep.equal(n.aliases);
  });
}

/**
 * The order of the 6.x vmap-block locks, one CPU in timed mode: the
 * vm_map_ram that fills a 256-page block (64 of 4 pages) takes vbq->lock
 * inside vb->lock to take the block off its queue; the vm_unmap_ram that
 * makes it all dirty drops vb->lock (after `vbFreeHolds` holds of it)
 * before free_vmap_block() frees the area, whose locks (`freeBlockLocks`,
 * from the version's text) follow.
 */
export function itNestsAndOrdersTheVmapBlockLocks(version: string, vbFreeHolds: number, freeBlockLocks: readonly string[]): void {
  it('takes vbq->lock inside vb->lock when a block fills, and drops vb->lock before free_vmap_block()', () => {
    const k = bootKernel({ version, cpus: 1, machine: { cpus: 1, checker: false } });
    const seq: string[] = [];
    const base = (l: string | { name: string }) => (typeof l === 'string' ? l : l.name).replace(/#\d+$/, '');
    const lock = k.locks.spin_lock.bind(k.locks);
    const unlock = k.locks.spin_unlock.bind(k.locks);
    k.locks.spin_lock = (l) => (seq.push(`+${base(l)}`), lock(l));
    k.locks.spin_unlock = (l) => (seq.push(`-${base(l)}`), unlock(l));
    const pages = k.alloc_pages(4);
    const calls: string[][] = [];
    function* steps(): Generator<void> {
      const ms: number[] = [];
      for (let i = 0; i < 64; i++) {
        seq.length = 0;
        ms.push(k.vm_map_ram(0, pages));
        calls.push(seq.splice(0));
        yield;
      }
      for (const m of ms) {
        k.vm_unmap_ram(0, m, 4);
        calls.push(seq.splice(0));
        yield;
      }
    }
    k.runTasks([{ comm: 'order', pid: 300, cpu: 0, bound: true, steps: steps() }]);
    // The 64th vm_map_ram: the block is full.
    expect(calls[63]).to.deep.equal(['+vb->lock', '+vbq->lock', '-vbq->lock', '-vb->lock']);
    // The 64th vm_unmap_ram: the block is all dirty and freed after its lock is dropped.
    const last = calls[127]!;
    const holds = Array.from({ length: vbFreeHolds }, () => ['+vb->lock', '-vb->lock']).flat();
    expect(last.slice(0, holds.length)).to.deep.equal(holds);
    expect(last.slice(holds.length), 'free_vmap_block()').to.deep.equal(freeBlockLocks);
  });
}
