// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { EntryBits, isPresent } from '../../hw/index.js';
import { bootKernel, Kernel } from '../../kernel/boot.js';
import { KERNELS } from '../../kernel/mm/vmalloc/api/index.js';
import { COST_INDEX, DEFAULT_COSTS } from '../../hw/costs.js';

const P = 4096;
const V = -0x370000000000;

/** Lazily free areas of `pages` pages (guard included in what vmap_lazy_nr counts) until `purges` purges happened. */
function churn(k: Kernel, pages: number, frees: number): void {
  for (let i = 0; i < frees; i++) {
    const area = k.get_vm_area(0, (pages - 1) * P, 0x4);
    k.remove_vm_area(0, (area as { addr: number }).addr);
  }
  k.flush_work();
}

describe('kernel/boot: a kernel on the machine', () => {
  describe('lazy purges and their IPIs', () => {
    for (const cpus of [1, 2, 4, 8, 64]) {
      it(`purges once lazy_max_pages() = 8192 * fls(${cpus}) is exceeded, and each purge IPIs the ${cpus - 1} other CPUs once (linux-6.1)`, () => {
        const k = bootKernel({ version: 'linux-6.1', cpus, inlineWork: true });
        const max = 8192 * (32 - Math.clz32(cpus));
        expect(k.allocator.lazy_max_pages()).to.equal(max);
        const perFree = 64;
        const frees = Math.floor(max / perFree) + 1; // the first free that crosses the limit
        churn(k, perFree, frees - 1);
        expect(k.purges).to.have.length(0);
        churn(k, perFree, 1);
        expect(k.purges).to.have.length(1);
        expect(k.purges[0]!.nr_areas).to.equal(frees);
        expect(k.purges[0]!.ipis).to.equal(cpus - 1);
        expect(k.tlbstats.do_flush_tlb_all.reduce((a, b) => a + b, 0)).to.equal(cpus);
      });
    }

    it('2.6.35 purges at the same threshold, with flush_tlb_all on every CPU (4 CPUs)', () => {
      const k = bootKernel({ version: 'linux-2.6.35', cpus: 4 });
      churn(k, 64, 384); // 24576 / 64 = 384: not over
      expect(k.purges).to.have.length(0);
      churn(k, 64, 1);
      expect(k.purges.map((p) => [p.nr_areas, p.ipis])).to.deep.equal([[385, 3]]);
    });

    it('with more CPUs the kworker runs later on another CPU, so the purge takes more than the crossing amount', () => {
      const k = bootKernel({ version: 'linux-6.1', cpus: 2, kworkerDelay: 10 });
      churn(k, 64, 257 + 10);
      expect(k.kworker_runs).to.equal(1);
      // Each free here is two API calls (get_vm_area, remove_vm_area): 5 more frees land first.
      expect(k.purges[0]!.nr_areas).to.equal(257 + 5);
      expect(k.purges[0]!.cpu).to.equal(1);
    });

    it('with one CPU the kworker runs at the end of the call that queued it', () => {
      const k = bootKernel({ version: 'linux-6.1', cpus: 1 });
      churn(k, 64, 129);
      expect(k.purges.map((p) => p.nr_areas)).to.deep.equal([129]);
      expect(k.work_pending).to.equal(false);
    });
  });

  describe('cold areas (docs/concurrency.md, "Cold areas")', () => {
    /** Lazily free `n` areas of 64 pages that never touch each other (a busy area between any two). */
    function sparseFrees(k: Kernel, n: number): void {
      for (let i = 0; i < n; i++) {
        const a = k.get_vm_area(0, 63 * P, 0x4) as { addr: number };
        k.get_vm_area(0, P, 0x4); // kept: the next area does not border this one
        k.remove_vm_area(0, a.addr);
      }
      k.flush_work();
    }
    const cold = (k: Kernel): number => k.machine.cpus.reduce((s, c) => s + c.cycles[COST_INDEX.coldArea]!, 0);
    // The versions that have a wasm core run it too.
    const names = KERNELS.flatMap(({ name }) => (/^(linux-[0-9.]+|mmotm-2010-vmap-cache-v1)$/.test(name) ? [name, `${name}@wasm`] : [name]));
    for (const v of names) {
      it(`${v}: charges coldArea once for each lazily freed area its purges read again, and nothing before a purge`, () => {
        const k = new Kernel({ version: v, cpus: 2 });
        sparseFrees(k, 200);
        expect(k.purges).to.have.length(0);
        expect(cold(k)).to.equal(0);
        sparseFrees(k, 300);
        k.vm_unmap_aliases(0);
        const read = k.purges.reduce((s, p) => s + p.nr_areas, 0);
        expect(read).to.be.at.least(500);
        expect(cold(k)).to.equal(read * DEFAULT_COSTS.coldArea);
      });
    }

    it('linux-6.1 reads one entry per run of neighbouring areas: its free merged them on the purge list', () => {
      const k = new Kernel({ version: 'linux-6.1', cpus: 2 });
      churn(k, 64, 500);
      k.vm_unmap_aliases(0);
      expect(k.purges.reduce((s, p) => s + p.nr_areas, 0)).to.be.at.least(500);
      expect(cold(k) / DEFAULT_COSTS.coldArea).to.be.within(1, 4);
    });

    it('linux-6.12 reads every area: its lazy trees keep them apart for the pools', () => {
      const k = new Kernel({ version: 'linux-6.12', cpus: 2 });
      churn(k, 64, 500);
      k.vm_unmap_aliases(0);
      const read = k.purges.reduce((s, p) => s + p.nr_areas, 0);
      expect(read).to.be.at.least(500);
      expect(cold(k)).to.equal(read * DEFAULT_COSTS.coldArea);
    });
  });

  describe('page tables and data', () => {
    for (const { name } of KERNELS) {
      it(`${name}: maps a vmalloc'd area but not its guard page, shares it between CPUs, and clears it by the purge`, () => {
        const k = bootKernel({ version: name, cpus: 2 });
        const a = k.vmalloc(0, 3 * P);
        for (let i = 0; i < 3; i++) {
          const pte = k.pte(a + i * P);
          expect(isPresent(pte)).to.equal(true);
          expect(pte & EntryBits.G).to.equal(EntryBits.G);
          expect(pte & EntryBits.NX).to.equal(EntryBits.NX);
        }
        expect(k.pte(a + 3 * P)).to.equal(0n); // guard page
        k.write64(0, a + 8, 0x1234567);
        expect(k.read64(1, a + 8)).to.equal(0x1234567);
        k.vfree(0, a);
        k.vm_unmap_aliases(0);
        for (let i = 0; i < 4; i++) expect(k.pte(a + i * P)).to.equal(0n);
        expect(k.machine.checker.reports).to.have.length(0);
      });
    }

    it('2.6.35 keeps the PTEs of a freed area until the purge; 2.6.39 clears them at free', () => {
      const k35 = bootKernel({ version: 'linux-2.6.35', cpus: 1 });
      const a = k35.vmalloc(0, P);
      k35.vfree(0, a);
      expect(isPresent(k35.pte(a))).to.equal(true);
      const k39 = bootKernel({ version: 'linux-2.6.39', cpus: 1 });
      const b = k39.vmalloc(0, P);
      k39.vfree(0, b);
      expect(k39.pte(b)).to.equal(0n);
    });

    it('vmap maps the given pages; vzalloc returns zeroed memory', () => {
      const k = bootKernel({ version: 'linux-6.1', cpus: 2 });
      const pages = k.alloc_pages(2);
      const a = k.vmap(0, pages);
      expect(k.api.find_vm_area(a)!.size).to.equal(3 * P);
      k.write64(1, a + P, 77);
      expect(k.machine.mem.read64(pages[1]!.pfn * P)).to.equal(77);
      const z = k.vzalloc(0, 2 * P);
      expect(k.read64(1, z + P + 16)).to.equal(0);
    });

    it('ioremap aligns to the size\'s power of two (6.1: get_count_order; 2.6.35: fls, the next one up)', () => {
      const k61 = bootKernel({ version: 'linux-6.1', cpus: 1 });
      k61.vmalloc(0, P);
      const a = k61.ioremap(0, 0x10000, 0x4000);
      expect((a - V) % 0x4000).to.equal(0);
      expect(a - V).to.equal(0x4000);
      const k35 = bootKernel({ version: 'linux-2.6.35', cpus: 1 });
      k35.vmalloc(0, P);
      const b = k35.ioremap(0, 0x10000, 0x4000);
      expect(b - V).to.equal(0x8000);
      k35.iounmap(0, b);
      // 2.6.35 leaves VM_VM_AREA on the lazily freed area; only vmlist forgets it.
      expect(k35.proc_vmallocinfo()).not.to.include('ioremap');
    });

    it('vm_map_ram carves single pages out of a per-CPU vmap block of 256 pages (6.1) and adds nothing to vmap_lazy_nr', () => {
      const k = bootKernel({ version: 'linux-6.1', cpus: 2 });
      const pages = k.alloc_pages(3);
      const x = k.vm_map_ram(0, [pages[0]!]);
      const y = k.vm_map_ram(0, [pages[1]!]);
      const z = k.vm_map_ram(1, [pages[2]!]);
      expect(y - x).to.equal(P);
      expect(k.api.nr_vmap_blocks()).to.equal(2);
      expect(k.api.VMAP_BBMAP_BITS).to.equal(256);
      k.vm_unmap_ram(0, x, 1);
      expect(k.allocator.vmap_lazy_nr).to.equal(0);
      expect(k.pte(x)).to.equal(0n);
      expect(isPresent(k.pte(z))).to.equal(true);
    });

    it('frees a fragmented vmap block on vm_unmap_aliases since 02b709df (2.6.35), and never with it reverted (2.6.32 blocks)', () => {
      // A 1024-page block (NR_CPUS 512): map 1 page, then 2-page regions up to
      // its end (order 1, aligned: pages 2..1023), unmap everything. Page 1
      // stays free and nothing is mapped: free 1, dirty 1023.
      for (const [version, left] of [['linux-2.6.35', 0], ['linux-2.6.35-02b709df', 1]] as const) {
        const k = bootKernel({ version, cpus: 1 });
        const pages = k.alloc_pages(2);
        const maps: [number, number][] = [[k.vm_map_ram(0, [pages[0]!]), 1]];
        for (let i = 0; i < 511; i++) maps.push([k.vm_map_ram(0, pages), 2]);
        for (const [a, c] of maps) k.vm_unmap_ram(0, a, c);
        expect(k.api.nr_vmap_blocks(), version).to.equal(1);
        k.vm_unmap_aliases(0);
        expect(k.api.nr_vmap_blocks(), version).to.equal(left);
      }
    });
  });

  describe('/proc and trace', () => {
    it('prints /proc/vmallocinfo, /proc/meminfo and /proc/vmstat in the kernel formats', () => {
      const k = bootKernel({ version: 'linux-6.1', cpus: 1 });
      k.vmalloc(0, 4 * P, 'kernel_clone+0xc2/0x430');
      const io = k.ioremap(0, 0x3ffe1000, 0x1000, 'acpi_os_map_iomem+0x1a9/0x1e0');
      const b = k.vmalloc(0, P);
      k.vfree(0, b);
      void io;
      expect(k.proc_vmallocinfo()).to.equal(
        '0xffffc90000000000-0xffffc90000005000   20480 kernel_clone+0xc2/0x430 pages=4 vmalloc N0=4\n' +
          '0xffffc90000005000-0xffffc90000007000    8192 acpi_os_map_iomem+0x1a9/0x1e0 phys=0x000000003ffe1000 ioremap\n' +
          '0xffffc90000007000-0xffffc90000009000    8192 unpurged vm_area\n',
      );
      expect(k.proc_meminfo()).to.equal('VmallocTotal:   34359738367 kB\nVmallocUsed:          16 kB\nVmallocChunk:          0 kB\n');
      expect(k.proc_vmstat()).to.equal('nr_tlb_remote_flush 0\nnr_tlb_remote_flush_received 0\nnr_tlb_local_flush_all 0\nnr_tlb_local_flush_one 0\n');
    });

    it('prints the vmalloc trace events character for character as tracefs does', () => {
      const k = bootKernel({ version: 'linux-6.1', cpus: 2 });
      const a = k.vmalloc(0, 48 * P);
      k.vfree(0, a);
      const lines = k.trace.lines();
      expect(lines[0]).to.equal('            init-1       [000] .....     0.000000: alloc_vmap_area: va_start: 18446683600570023936 size=200704 align=1 vstart=0xffffc90000000000 vend=0xffffe8ffffffffff failed=0');
      expect(lines[1]).to.match(/^ {12}init-1 {7}\[000\] \.\.\.\.\. +\d+\.\d{6}: free_vmap_area_noflush: va_start=0xffffc90000000000 nr_lazy=49 nr_lazy_max=16384$/);
    });
  });
});

describe('bootKernel with a small vmalloc range', () => {
  it('reports the range in /proc/meminfo and fails vmalloc past its end', () => {
    const V = -0x370000000000;
    const k = bootKernel({ version: 'linux-6.1', cpus: 1, trace: false, vmalloc: { start: V, end: V + 16 * 1024 * 1024 - 1 } });
    expect(k.proc_meminfo()).to.match(/VmallocTotal:\s+16383 kB/);
    const got: number[] = [];
    for (let i = 0; i < 5; i++) got.push(k.vmalloc(0, 4 * 1024 * 1024));
    // 4 MiB + a guard page each: three fit in 16 MiB, the fourth does not
    expect(got.map((a) => a !== 0)).to.deep.equal([true, true, true, false, false]);
  });

  describe('5-level paging (LA57) with a wasm core', () => {
    /* arch/x86/include/asm/pgtable_64_types.h: __VMALLOC_BASE_L5 0xffa0000000000000, VMALLOC_SIZE_TB_L5 12800,
       VMALLOC_END = VMALLOC_START + (12800 << 40) - 1 = 0xffd1ffffffffffff. */
    const START5 = -0x60000000000000; // 0xffa0000000000000

    for (const version of ['linux-5.2', 'linux-6.1', 'linux-6.12', 'linux-7.3']) {
      describe(version, () => {
        it(`boots ${version}@wasm on a 5-level machine with the 5-level vmalloc range, and the TypeScript port with the 4-level one`, () => {
          const k = new Kernel({ version: `${version}@wasm`, cpus: 2, machine: { pagingLevels: 5 } });
          expect(k.machine.config.pagingLevels).to.equal(5);
          expect(k.vmallocRange.start).to.equal(START5);
          expect(k.vmallocEndU64).to.equal(0xffd1ffffffffffffn);
          const a = k.vmalloc(0, 3 * P);
          expect(a).to.equal(START5);
          expect(k.proc_vmallocinfo()).to.match(/^0xffa0000000000000-0xffa0000000004000 {3}16384 /);
          const port = new Kernel({ version, cpus: 2, machine: { pagingLevels: 5 } });
          expect(port.vmallocRange.start).to.equal(V);
        });

        it('places areas at the same offsets from VMALLOC_START as the 4-level TypeScript port, with the same purges', () => {
          const k5 = new Kernel({ version: `${version}@wasm`, cpus: 2, machine: { pagingLevels: 5 } });
          const k4 = new Kernel({ version, cpus: 2 });
          const live: number[][] = [[], []];
          [k4, k5].forEach((k, j) => {
            for (let i = 0; i < 1500; i++) {
              live[j]!.push(k.vmalloc(i % 2, P * (1 + (i % 9))) - k.vmallocRange.start);
              if (i % 3 === 2) k.vfree(0, live[j]!.shift()! + k.vmallocRange.start);
              if (i % 400 === 399) k.vm_unmap_aliases(1);
            }
          });
          expect(live[1]).to.deep.equal(live[0]);
          expect(k5.purges.map((p) => p.nr_areas)).to.deep.equal(k4.purges.map((p) => p.nr_areas));
          expect(k5.purges.length).to.be.greaterThan(0);
        });

        it('prints VMALLOC_END exactly in its trace lines (vend=0xffd1ffffffffffff, as the kernel\'s %lx), not the double the API layer holds', () => {
          const k = new Kernel({ version: `${version}@wasm`, cpus: 1, machine: { pagingLevels: 5 }, trace: true });
          k.vmalloc(0, 3 * P);
          const lines = k.trace.lines().filter((l) => l.includes(' alloc_vmap_area: '));
          expect(lines.length).to.be.greaterThan(0);
          for (const l of lines) expect(l).to.match(/ vstart=0xffa0000000000000 vend=0xffd1ffffffffffff failed=0$/);
        });

        it('gives the core the exact VMALLOC_END: the last page is not allocatable, as in C (0xffd1fffffffff000 + 0x1000 > 0xffd1ffffffffffff)', () => {
          const k = new Kernel({ version: `${version}@wasm`, cpus: 1, machine: { pagingLevels: 5 } });
          const end = k.vmallocRange.end; // the number the API layer passes: the signed view rounds it to 0xffd2000000000000
          expect(BigInt.asUintN(64, BigInt(end))).to.equal(0xffd2000000000000n);
          const last = -0x2e000000001000; // 0xffd1fffffffff000
          expect(k.allocator.alloc_vmap_area(P, P, last, end)).to.equal(-16); // -EBUSY
          const va = k.allocator.alloc_vmap_area(P, P, last - P, end);
          expect(typeof va === 'number' ? va : va.va_start).to.equal(last - P);
        });
      });
    }
  });

  describe('touchesOn', () => {
    it("gives each CPU the touches of its own calls when CPUs run side by side in timed mode, and they add up to the allocator's", () => {
      const k = bootKernel({ version: 'linux-6.1', cpus: 4, machine: { cpus: 4, checker: false } });
      k.settle(); // the boot's touches, made outside any CPU, are nobody's
      const t0 = k.allocator.touches;
      const before = [0, 1, 2, 3].map((c) => k.touchesOn(c));
      // Each CPU's own allocations, measured across its calls, while the others run in between.
      const own: number[][] = [[], [], [], []];
      function* loop(cpu: number): Generator<void> {
        for (let i = 0; i < 2000; i++) {
          const a = k.touchesOn(cpu);
          const p = k.vmalloc(cpu, 4 * 4096);
          own[cpu]!.push(k.touchesOn(cpu) - a);
          yield;
          k.vfree(cpu, p);
          yield;
        }
      }
      k.runTasks([0, 1, 2, 3].map((cpu) => ({ comm: 'loop', pid: 100 + cpu, cpu, bound: true, steps: loop(cpu) })));
      k.flush_work();
      k.settle();
      const spent = [0, 1, 2, 3].map((c) => k.touchesOn(c) - before[c]!);
      expect(spent.reduce((a, b) => a + b, 0)).to.equal(k.allocator.touches - t0);
      expect(k.purges.length, 'the loops purged').to.be.greaterThan(0);
      // A vmalloc of 6.1 descends the free tree and the busy tree, a few dozen areas; a purge another
      // CPU ran while this one waited (thousands of lazy areas) is not in its count.
      for (const c of own) expect(Math.max(...c)).to.be.below(64);
    });
  });
});

