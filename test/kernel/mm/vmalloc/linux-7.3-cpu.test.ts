// SPDX-License-Identifier: GPL-2.0-only
/*
 * The running CPU picks the vmap node (node_alloc: raw_smp_processor_id() %
 * nr_vmap_nodes), in linux-7.3 as in linux-6.12: `cpu` reads the
 * environment's raw_smp_processor_id hook, which the machine sets
 * (kernel/boot.ts). Expected values derived by hand from node_alloc(),
 * free_vmap_area_noflush() and purge_vmap_node() of both texts.
 */
import { expect } from 'chai';
import { errname, IS_ERR } from '../../../../kernel/include/linux/errno.js';
import { hex } from '../../../../kernel/include/u64.js';
import { defaultEnv, nullHooks, type VmapAllocator } from '../../../../kernel/mm/vmalloc/common.js';
import { linux_6_12 } from '../../../../kernel/manifest/linux-6.12.js';
import { linux_7_3 } from '../../../../kernel/manifest/linux-7.3.js';

const P = 0x1000;
const V = -0x370000000000; // VMALLOC_START 0xffffc90000000000
const VE = -0x170000000001; // VMALLOC_END 0xffffe8ffffffffff

function run(make: (env: ReturnType<typeof defaultEnv>) => VmapAllocator, withHook: boolean): string[] {
  let cur = 0;
  const hooks = nullHooks();
  if (withHook) hooks.raw_smp_processor_id = () => cur;
  const a = make(defaultEnv({ ncpu: 2, hooks }));
  const alloc = (cpu: number): string => {
    cur = cpu;
    const va = a.alloc_vmap_area(2 * P, 1, V, VE);
    if (IS_ERR(va)) throw new Error(errname(va));
    return hex((va as { va_start: number }).va_start);
  };
  const out = [alloc(1)];
  const va = a.find_vmap_area(V);
  if (!va) throw new Error('no area at V');
  a.free_unmap_vmap_area(va);
  (a as unknown as { drain_vmap_area_work(): void }).drain_vmap_area_work();
  out.push(alloc(0), alloc(1));
  return out;
}

describe('the running CPU selects the vmap node (linux-7.3, linux-6.12)', () => {
  /*
   * 2 CPUs: 2 nodes, 16-page zones. CPU 1 allocates 2 pages over the whole
   * vmalloc range: node 1's pool[1] is empty, so the lowest fit V, carrying
   * node 1's id. Its lazy free and the drain work's (non-full) purge put it
   * into node 1's pool[1]. CPU 0: node 0's pool is empty, V is pooled, so
   * the lowest fit is V+2P. CPU 1 again: node 1's pool gives V back.
   * Without the hook every call is CPU 0: node 0 takes [V, V+2P) and pools
   * it in node 0; the second call gets V from that pool, the third V+2P.
   */
  for (const [name, make] of [
    ['linux-7.3', (env: ReturnType<typeof defaultEnv>) => new linux_7_3(env)],
    ['linux-6.12', (env: ReturnType<typeof defaultEnv>) => new linux_6_12(env)],
  ] as const) {
    it(`${name}: CPU 1, then CPU 0, then CPU 1 again get V, V+2P, V`, () => {
      expect(run(make, true)).to.deep.equal([hex(V), hex(V + 2 * P), hex(V)]);
    });
    it(`${name}: without the hook (CPU 0 throughout) V, V, V+2P`, () => {
      expect(run(make, false)).to.deep.equal([hex(V), hex(V), hex(V + 2 * P)]);
    });
  }
});
