// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { Kernel } from '../../../../../kernel/boot.js';
import { isKernelBug, KernelBug } from '../../../../../kernel/include/asm-generic/bug.js';
import { runMatrix } from '../../../../../scripts/run/runner.js';
import { toJson } from '../../../../../scripts/report/table.js';
import { gfs2VmallocLoop } from '../../../../../scripts/scenarios/gfs2-vmalloc-loop.js';
import { vmallocLoop } from '../../../../../scripts/scenarios/vmalloc-loop.js';
import { testVmalloc } from '../../../../../scripts/scenarios/test-vmalloc.js';
import { DEFAULT_COSTS, resolveCostProfile } from '../../../../../hw/costs.js';
import { PAGE_SIZE } from '../../../../../kernel/mm/pgtable.js';

/*
 * The oracle is the TypeScript port of the same version, an independent
 * implementation of the same kernel text: a run on `<version>@wasm` must
 * print what the run on `<version>` prints, figure for figure, and the
 * figures the published measurements pin (Minchan Kim's 5535 steps) hold
 * on the core too.
 */

/** A matrix's JSON runs keyed by kernel (with @wasm dropped) and CPUs, without the kernel name. */
function runsOf(m: ReturnType<typeof runMatrix>): Map<string, Record<string, unknown>[]> {
  const out = new Map<string, Record<string, unknown>[]>();
  for (const r of (toJson(m) as { runs: Record<string, unknown>[] }).runs) {
    const { kernel, ...rest } = r;
    const key = `${String(kernel).replace('@wasm', '')} ${String(r.cpus)}`;
    out.set(key, [...(out.get(key) ?? []), rest]);
  }
  return out;
}

function expectSameRuns(m: ReturnType<typeof runMatrix>): void {
  const runs = runsOf(m);
  expect(runs.size).to.be.greaterThan(0);
  for (const [key, pair] of runs) {
    expect(pair, key).to.have.length(2);
    expect(pair[1], key).to.deep.equal(pair[0]);
  }
}

describe('the API layers over a wasm core (kernel/mm/vmalloc/wasm/eras.ts)', function () {
  this.timeout(300000);

  it('boots linux-2.6.35@wasm, mmotm-2010-vmap-cache-v1@wasm, linux-2.6.39@wasm, linux-3.18@wasm, linux-5.2@wasm, linux-6.1@wasm, linux-6.12@wasm and linux-7.3@wasm on the machine with their version\'s API layer', () => {
    for (const [v, era] of [['linux-2.6.35', 'linux-2.6.35'], ['mmotm-2010-vmap-cache-v1', 'linux-2.6.35'], ['linux-2.6.39', 'linux-2.6.39'], ['linux-3.18', 'linux-3.18'], ['linux-5.2', 'linux-6.1'], ['linux-6.1', 'linux-6.1'], ['linux-6.12', 'linux-6.12'], ['linux-7.3', 'linux-7.3']] as const) {
      const k = new Kernel({ version: `${v}@wasm`, cpus: 2 });
      expect(k.api.era).to.equal(era);
      expect(k.version).to.equal(`${v}@wasm`);
    }
  });

  describe('gfs2-vmalloc-loop on 2 CPUs, 12000 iterations', () => {
    let m: ReturnType<typeof runMatrix>;
    before(() => {
      m = runMatrix(gfs2VmallocLoop, {
        kernels: ['linux-2.6.35', 'linux-2.6.35@wasm', 'linux-2.6.39', 'linux-2.6.39@wasm', 'linux-3.18', 'linux-3.18@wasm', 'linux-5.2', 'linux-5.2@wasm', 'linux-6.1', 'linux-6.1@wasm', 'linux-6.12', 'linux-6.12@wasm', 'linux-7.3', 'linux-7.3@wasm'],
        cpus: [2],
        seed: 1,
        params: { iterations: 12000, size: 8192, cpu: 0, checker: true },
      });
    });

    it('prints the same figures on each core as on its TypeScript port: touches, purges, flushes, IPIs, TLB misses, cycles', () => {
      expectSameRuns(m);
    });

    it('makes linux-2.6.35@wasm walk thousands of stale areas per search, as Minchan Kim measured (5535 steps), and purge twice', () => {
      const f = m.cells.find((c) => c.kernel === 'linux-2.6.35@wasm')?.result.figures;
      expect(f?.touchesPerAlloc.max).to.be.within(5400, 5600);
      expect(f?.purges).to.equal(2);
      expect(f?.checkerReports).to.equal(0);
    });
  });

  for (const api of ['vmalloc', 'vm_map_ram', 'vmap', 'ioremap']) {
    it(`runs vmalloc-loop api=${api} with a pool and vm_unmap_aliases() on 1 and 4 CPUs as the ports do`, () => {
      const m = runMatrix(vmallocLoop, {
        kernels: ['linux-2.6.35', 'linux-2.6.35@wasm', 'linux-2.6.39', 'linux-2.6.39@wasm', 'linux-3.18', 'linux-3.18@wasm', 'linux-5.2', 'linux-5.2@wasm', 'linux-6.1', 'linux-6.1@wasm', 'linux-6.12', 'linux-6.12@wasm', 'linux-7.3', 'linux-7.3@wasm'],
        cpus: [1, 4],
        seed: 3,
        params: { api, pages: 8, iterations: 1500, pool: 40, busy: 0, unmap_aliases_every: 300, threads: false, boot: true, checker: true },
      });
      expectSameRuns(m);
    });
  }

  it('runs vmalloc-loop with one loop per CPU in modelled time (locks, kworkers, IPIs) as the ports do', () => {
    const m = runMatrix(vmallocLoop, {
      kernels: ['linux-2.6.35', 'linux-2.6.35@wasm', 'linux-2.6.39', 'linux-2.6.39@wasm', 'linux-3.18', 'linux-3.18@wasm', 'linux-5.2', 'linux-5.2@wasm', 'linux-6.1', 'linux-6.1@wasm', 'linux-6.12', 'linux-6.12@wasm', 'linux-7.3', 'linux-7.3@wasm'],
      cpus: [4],
      seed: 1,
      params: { api: 'vmalloc', pages: 8, iterations: 1500, pool: 20, busy: 0, unmap_aliases_every: 0, threads: true, boot: true, checker: true },
    });
    expectSameRuns(m);
    const purges = m.cells.map((c) => c.result.figures.purges);
    expect(purges.every((p) => p > 0)).to.equal(true);
  });

  /*
   * In 2.6.35 to 3.18, __purge_vmap_area_lazy() writes LIST_HEAD(valist) and
   * its caller writes start/end before spin_trylock(&purge_lock). A free on
   * another CPU that runs while a purge waits for its flush's ACKs writes
   * them too; when they were static in the cores, that emptied the waiting
   * purge's list and the 2.6.35 core never returned (docs/wasm.md). The
   * costs are pinned: this interleaving is what the run must contain.
   */
  it('keeps a purge\'s list whole when a free on another CPU meets it waiting for its ACKs (2.6.35 to 3.18)', () => {
    const costs = Object.freeze({ ...DEFAULT_COSTS, apiCall: 215, pageAlloc: 130, pageFree: 86, pteWrite: 13, pteClear: 13 });
    const m = runMatrix(vmallocLoop, {
      kernels: ['linux-2.6.35', 'linux-2.6.35@wasm', 'linux-2.6.39', 'linux-2.6.39@wasm', 'linux-3.18', 'linux-3.18@wasm'],
      cpus: [4],
      seed: 1,
      costs,
      params: { api: 'vmalloc', pages: 8, iterations: 1500, pool: 20, busy: 0, unmap_aliases_every: 0, threads: true, boot: true, checker: true },
    });
    expectSameRuns(m);
  });

  /** The same calls on a port and on its core; /proc/vmallocinfo and the trace after each step. */
  function lockstep(version: string): { port: Kernel; core: Kernel; both: (f: (k: Kernel) => void) => void } {
    const port = new Kernel({ version, cpus: 2, inlineWork: true });
    const core = new Kernel({ version: `${version}@wasm`, cpus: 2, inlineWork: true });
    const both = (f: (k: Kernel) => void): void => {
      f(port);
      f(core);
      expect(core.proc_vmallocinfo()).to.equal(port.proc_vmallocinfo());
      expect(core.trace.lines()).to.deep.equal(port.trace.lines());
      expect(core.allocator.vmap_lazy_nr).to.equal(port.allocator.vmap_lazy_nr);
      expect(core.allocator.snapshot()).to.deep.equal(port.allocator.snapshot());
    };
    return { port, core, both };
  }

  for (const version of ['linux-2.6.35', 'mmotm-2010-vmap-cache-v1', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1', 'linux-6.12', 'linux-7.3']) {
    it(`shows the same /proc/vmallocinfo, trace lines and allocator state on ${version}@wasm as on ${version} through vmalloc, vm_map_ram, vfree and vm_unmap_aliases`, () => {
      const { port, core, both } = lockstep(version);
      const addrs = new Map<Kernel, number[]>([
        [port, []],
        [core, []],
      ]);
      const ram = new Map<Kernel, { addr: number; n: number }[]>([
        [port, []],
        [core, []],
      ]);
      for (let i = 0; i < 40; i++) {
        both((k) => addrs.get(k)!.push(k.vmalloc(i % 2, (1 + (i % 5)) * PAGE_SIZE, 'lockstep')));
        both((k) => {
          const n = 1 + (i % 7);
          ram.get(k)!.push({ addr: k.vm_map_ram(i % 2, k.alloc_pages(n)), n });
        });
        if (i % 3 === 2) both((k) => k.vfree(0, addrs.get(k)!.shift()!));
        if (i % 4 === 3) both((k) => {
          const r = ram.get(k)!.shift()!;
          k.vm_unmap_ram(1, r.addr, r.n);
        });
        if (i % 10 === 9) both((k) => k.vm_unmap_aliases(0));
      }
      expect(port.proc_vmallocinfo()).to.contain('lockstep');
    });
  }

  it('reports a BUG_ON of the core under the API layer as a KernelBug with the port\'s function, line and condition', () => {
    const caught = (version: string): KernelBug => {
      const k = new Kernel({ version, cpus: 1 });
      try {
        k.machine.runOn(0, () => k.api.get_vm_area(0x1000, 0));
        // size 0 never reaches the allocator through the API: call the allocator as the API does
        k.allocator.alloc_vmap_area(0, PAGE_SIZE, k.vmallocRange.start, k.vmallocRange.end);
      } catch (e) {
        if (isKernelBug(e)) return e;
        throw e;
      }
      throw new Error(`${version}: no BUG`);
    };
    for (const v of ['linux-2.6.35', 'linux-2.6.39', 'linux-3.18', 'linux-5.2', 'linux-6.1']) {
      const p = caught(v);
      const c = caught(`${v}@wasm`);
      expect(c.version).to.equal(`${v}@wasm`);
      expect([c.func, c.line, c.cond]).to.deep.equal([p.func, p.line, p.cond]);
      expect(c.line).to.be.greaterThan(0);
    }
  });

  describe('the vmap-node cores (linux-6.12@wasm, linux-7.3@wasm) in modelled time', () => {
    for (const costs of ['hardware', 'qemu-tcg']) {
      it(`runs test_vmalloc (fix_size, full_fit; 4 workers) on 2 and 4 CPUs with the ${costs} costs as the ports do: purges, flushes, cycles, Summary lines`, () => {
        const m = runMatrix(testVmalloc, {
          kernels: ['linux-6.12', 'linux-6.12@wasm', 'linux-7.3', 'linux-7.3@wasm'],
          cpus: [2, 4],
          seed: 1,
          costs: resolveCostProfile(costs),
          params: { ...Object.fromEntries(testVmalloc.params.map((p) => [p.name, p.default])), run_test_mask: 3, test_loop_count: 20, nr_threads: 4 },
        });
        expectSameRuns(m);
        expect(m.cells.every((c) => c.result.figures.purges > 0)).to.equal(true);
      });
    }

    /**
     * Four CPUs; in one step of a task on CPU 0, twelve areas of 0x2010
     * pages outside the vmalloc range (no node ids: the k-th lies in node
     * k % 4) are taken and freed lazily, then vm_unmap_aliases() purges:
     * 98496 pages pending against lazy_max_pages() = 24576 makes
     * nr_purge_helpers = 3, so nodes 0-2 go to the kworkers of CPUs 0-2
     * (schedule_work_on) and flush_work() waits for them. Everything the
     * machine shows must be the port's.
     */
    function helperRun(version: string): { k: Kernel; runs: number[]; purges: number; vmallocinfo: string; clocks: number[]; locks: string[] } {
      const k = new Kernel({ version, cpus: 4 });
      const SIZE = 0x2010 * PAGE_SIZE;
      const helperRuns = new Map<number, number>();
      const api = () => k.api as unknown as {
        __get_vm_area_node(size: number, align: number, shift: number, flags: number, start: number, end: number, node: number, gfp: number, caller: string): { addr: number } | null;
        free_vm_area(area: unknown): void;
        vm_unmap_aliases(): void;
      };
      const step = function* (): Generator<void, void> {
        k.call(0, 'helpers', () => {
          const areas = [];
          for (let i = 0; i < 12; i++) areas.push(api().__get_vm_area_node(SIZE, PAGE_SIZE, 12, 0x2, k.vmallocRange.start + PAGE_SIZE, k.vmallocRange.end, -1, 0xcc0, 'helpers'));
          for (const a of areas) api().free_vm_area(a);
          api().vm_unmap_aliases();
        });
        yield;
      };
      const orig = k.wq.schedule_work_on.bind(k.wq);
      k.wq.schedule_work_on = (cpu, w) => {
        helperRuns.set(cpu, (helperRuns.get(cpu) ?? 0) + 1);
        return orig(cpu, w);
      };
      k.runTasks([{ comm: 'helpers', pid: 900, cpu: 0, bound: true, steps: step() }]);
      k.flush_work();
      return {
        k,
        runs: [0, 1, 2, 3].map((c) => helperRuns.get(c) ?? 0),
        purges: k.purges.length,
        vmallocinfo: k.proc_vmallocinfo(),
        clocks: k.machine.cpus.map((c) => c.now),
        locks: k.locks.all().map((l) => `${l.name} ${l.acquisitions} ${l.contended} ${[...l.waitCycles].join(',')}`),
      };
    }

    for (const version of ['linux-6.12', 'linux-7.3']) {
      it(`runs ${version}@wasm's helper purges (nr_purge_helpers = 3) through the machine's workqueue as ${version}'s: kworker runs, purges, clocks, lock waits, /proc/vmallocinfo`, () => {
        const port = helperRun(version);
        const core = helperRun(`${version}@wasm`);
        expect(port.runs).to.deep.equal([1, 1, 1, 0]);
        expect(core.runs).to.deep.equal(port.runs);
        expect(core.purges).to.equal(port.purges);
        expect(core.clocks).to.deep.equal(port.clocks);
        expect(core.locks).to.deep.equal(port.locks);
        expect(core.vmallocinfo).to.equal(port.vmallocinfo);
        expect(core.k.allocator.vmap_lazy_nr).to.equal(0);
      });
    }
  });

  it('lets the 6.1 API layer over linux-5.2@wasm mark areas with 5.2\'s va->flags bits and set vmap_lazy_nr (set_iounmap_nonlazy), as over the port', () => {
    const { port, core, both } = lockstep('linux-5.2');
    const addrs = new Map<Kernel, number[]>([
      [port, []],
      [core, []],
    ]);
    for (let i = 0; i < 6; i++) both((k) => addrs.get(k)!.push(k.vmalloc(0, 4 * PAGE_SIZE, 'nonlazy')));
    both((k) => k.vfree(1, addrs.get(k)!.shift()!));
    expect(core.proc_vmallocinfo()).to.contain('unpurged vm_area');
    expect(core.allocator.vmap_lazy_nr).to.equal(5);
    both((k) => expect(k.call(0, 'set_iounmap_nonlazy', (api) => (api as unknown as { set_iounmap_nonlazy(): boolean }).set_iounmap_nonlazy())).to.equal(true));
    expect(core.allocator.vmap_lazy_nr).to.equal(core.allocator.lazy_max_pages() + 1);
    both((k) => k.vfree(0, addrs.get(k)!.shift()!)); // over lazy_max_pages(): this free purges
    expect(core.proc_vmallocinfo()).not.to.contain('unpurged vm_area');
  });
});
