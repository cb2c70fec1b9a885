// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { readFileSync } from 'fs';
import { join } from 'path';
import { bootKernel, Kernel } from '../../../kernel/boot.js';
import { pcpu_build_alloc_info } from '../../../kernel/mm/percpu.js';
import { realTracesDir } from '../../../scripts/lib/paths.js';

const boot = (cpus: number, version = 'linux-7.3'): Kernel => bootKernel({ version, cpus, machine: { cpus, checker: false } });
const alloc = (k: Kernel, size: number, align: number) => k.call(0, '__alloc_percpu', () => k.percpu.__alloc_percpu(size, align));
const free = (k: Kernel, ptr: number) => k.call(0, 'free_percpu', () => k.percpu.free_percpu(ptr));

/** "SIZE CALLER" of the percpu lines of a /proc/vmallocinfo text (callers without +off/len). */
function pcpuLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /pcpu_/.test(l))
    .map((l) => {
      const f = l.trim().split(/\s+/);
      return `${f[1]} ${f[2]!.replace(/\+.*/, '')}`;
    })
    .sort();
}

describe('mm/percpu (7.3, and 6.12 where said): dynamic chunks in the vmalloc space', () => {
  it('chooses 2 MiB, 1 MiB and 512 KiB units at 1, 2 and 4 CPUs: one 2 MiB vm area per chunk', () => {
    expect([1, 2, 4].map((n) => pcpu_build_alloc_info(n)).map((ai) => [ai.unit_size, ai.nr_units * ai.unit_size])).to.deep.equal([
      [2 << 20, 2 << 20],
      [1 << 20, 2 << 20],
      [512 << 10, 2 << 20],
    ]);
  });

  /*
   * The first chunk is full, so the first __alloc_percpu() creates a chunk:
   * its vm area from pcpu_get_vm_areas at the top of the vmalloc space, its
   * maps from vmalloc. The real 7.3 kernels' /proc/vmallocinfo after boot
   * (data/real-traces, 1 and 2 CPUs) shows the same areas.
   */
  for (const [version, cpus, file] of [
    ['linux-7.3', 1, 'linux-7.3.c_rand1to64p_pool100.cpu1.vmallocinfo-before.txt'],
    ['linux-7.3', 2, 'linux-7.3.a_vmalloc4p.cpu2.vmallocinfo-before.txt'],
    ['linux-6.12', 1, 'linux-6.12.c_rand1to64p_pool100.cpu1.vmallocinfo-before.txt'],
    ['linux-6.12', 2, 'linux-6.12.a_vmalloc4p.cpu2.vmallocinfo-before.txt'],
  ] as const) {
    it(`creates a chunk when the first chunk is full, with the areas a real ${version} kernel shows at ${cpus} CPU(s)`, () => {
      const k = boot(cpus, version);
      expect(alloc(k, 8, 8)).to.not.equal(0);
      expect(k.percpu.stats.get_vm_areas).to.equal(1);
      const real = pcpuLines(readFileSync(join(realTracesDir(), file), 'utf8'));
      expect(pcpuLines(k.proc_vmallocinfo())).to.deep.equal(real);
      expect(k.proc_vmallocinfo()).to.contain('0xffffe8ffffc00000-0xffffe8ffffe00000 2097152 pcpu_get_vm_areas vmalloc');
    });
  }

  /*
   * 1 KiB objects aligned to 1 KiB: a 2 MiB unit holds 2048 of them. The
   * balance work keeps PCPU_EMPTY_POP_PAGES_HIGH (4) empty populated pages:
   * once the first chunk is populated to its end it has no page left to
   * populate and makes the next chunk ahead (pcpu_balance_populated), 2 MiB
   * below the first. The 2048 objects all go to the first chunk (the fuller
   * chunk sits in a lower slot and is searched first); the 2049th goes to
   * the second, without a third.
   */
  it('fills the first chunk while the balance work makes the next one ahead of need', () => {
    const k = boot(1);
    const ptrs: number[] = [];
    for (let i = 0; i < 2048; i++) ptrs.push(alloc(k, 1024, 1024));
    expect(k.percpu.stats.get_vm_areas).to.equal(2);
    expect(ptrs.every((p) => p >= -0x170000400000 && p < -0x170000200000)).to.equal(true); // in 0xffffe8ffffc00000 .. +2 MiB
    ptrs.push(alloc(k, 1024, 1024));
    expect(k.percpu.stats.get_vm_areas).to.equal(2);
    expect(ptrs[2048]).to.equal(-0x170000600000); // 0xffffe8ffffa00000
    expect(new Set(ptrs).size).to.equal(2049);
  });

  /*
   * Freeing every object: the first chunk becomes fully free first, then
   * the second, which goes to the head of the free slot; the balance work
   * spares the first chunk on that list (the second) and destroys the
   * other: its 2 MiB area (512 pages) and its four map vmallocs plus the
   * page array of the biggest (16, 17, 4, 1024 and 2 pages, each with its
   * guard page: 1066) are freed lazily, 1578 pages in all, below
   * lazy_max_pages() (8192): no purge.
   */
  it('destroys a fully free chunk when another free one exists, and its vm areas go to the lazy purge', () => {
    const k = boot(1);
    const ptrs: number[] = [];
    for (let i = 0; i < 2049; i++) ptrs.push(alloc(k, 1024, 1024));
    const lazy0 = k.allocator.vmap_lazy_nr;
    for (const p of ptrs) free(k, p);
    k.flush_work();
    expect(k.percpu.stats.chunks_destroyed).to.equal(1);
    expect(k.percpu.stats.chunks_created - k.percpu.stats.chunks_destroyed).to.equal(1);
    expect(k.find_vm_area(-0x170000400000)).to.equal(null); // 0xffffe8ffffc00000: destroyed
    expect(k.find_vm_area(-0x170000600000)).to.not.equal(null); // 0xffffe8ffffa00000: spared
    expect(k.allocator.vmap_lazy_nr - lazy0).to.equal(512 + 17 + 18 + 5 + 1025 + 3);
    expect(k.purges).to.have.length(0);
  });

  /*
   * Two chunks with empty pages: freeing 1200 of the first chunk's 2048
   * objects leaves 300 of its pages empty, more than a quarter, while the
   * second chunk holds empty pages too: the chunk is isolated and the
   * balance work depopulates its empty pages and flushes their range once.
   */
  it('depopulates a chunk with many empty pages and flushes their range (pcpu_post_unmap_tlb_flush)', () => {
    const k = boot(1);
    const ptrs: number[] = [];
    for (let i = 0; i < 3048; i++) ptrs.push(alloc(k, 1024, 1024));
    for (const p of ptrs.slice(2048, 2548)) free(k, p);
    const populated = k.percpu.pcpu_nr_populated;
    for (const p of ptrs.slice(0, 1200)) free(k, p);
    k.flush_work();
    expect(k.percpu.stats.tlb_flushes).to.be.at.least(1);
    expect(k.percpu.pcpu_nr_populated).to.be.at.most(populated - 300);
  });
});
