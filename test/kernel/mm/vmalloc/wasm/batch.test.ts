// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { isKernelBug } from '../../../../../kernel/include/asm-generic/bug.js';
import { IS_ERR } from '../../../../../kernel/include/linux/errno.js';
import { defaultEnv, type vmap_area_common } from '../../../../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../../../../kernel/mm/vmalloc/index.js';
import { wasm_allocator } from '../../../../../kernel/mm/vmalloc/wasm/binding.js';
import { WasmBatch } from '../../../../../kernel/mm/vmalloc/wasm/batch.js';
import { SplitMix64 } from '../../../../../kernel/lib/random.js';

const V = -0x370000000000; // 0xffffc90000000000
const VE = -0x170000000001; // 0xffffe8ffffffffff

describe('the batched binding (kernel/mm/vmalloc/wasm/batch.ts)', () => {
  for (const version of ['linux-2.6.35', 'linux-6.1'])
    it(`leaves ${version}@wasm as the TypeScript port leaves ${version} after the same operations, run in batches of 5`, () => {
      const port = getVersion(version).create(defaultEnv({ ncpu: 2 }));
      const core = getVersion(`${version}@wasm`).create(defaultEnv({ ncpu: 2 })) as wasm_allocator;
      const batch = new WasmBatch(core.core, 400, 5);
      const rnd = new SplitMix64(7);
      const live: { slot: number; va: vmap_area_common }[] = [];
      let slot = 0;
      for (let i = 0; i < 600; i++) {
        const r = rnd.rnd(10);
        if (r < 5 || live.length === 0) {
          const size = (1 + rnd.rnd(16)) * 0x1000;
          const align = 0x1000 << rnd.rnd(3);
          const va = port.alloc_vmap_area(size, align, V, VE);
          if (IS_ERR(va)) throw new Error('port allocation failed');
          batch.alloc(slot, size, align, V, VE);
          live.push({ slot: slot++, va });
        } else if (r < 9) {
          const { slot: s, va } = live.splice(rnd.rnd(live.length), 1)[0]!;
          if (r < 7) {
            port.free_unmap_vmap_area(va);
            batch.freeLazy(s);
          } else {
            port.free_vmap_area(va);
            batch.free(s);
          }
        } else {
          port.purge_vmap_area_lazy();
          batch.purge();
        }
      }
      expect(batch.flush()).to.equal(0);
      expect(core.snapshot()).to.deep.equal(port.snapshot());
      expect(core.golden_state()).to.equal(port.golden_state());
      for (const { slot: s, va } of live) expect(core.core.vaStart(batch.area(s)), `slot ${s}`).to.equal(va.va_start);
    });

  it('says which operation of a batch failed and drops the ones after it', () => {
    const core = getVersion('linux-6.1@wasm').create(defaultEnv({ ncpu: 1 })) as wasm_allocator;
    const b = new WasmBatch(core.core, 4, 8);
    b.alloc(0, 0x2000, 0x1000, V, V + 0x3000);
    b.alloc(1, 0x2000, 0x1000, V, V + 0x3000); // no room left in the window
    b.alloc(2, 0x1000, 0x1000, V, V + 0x3000);
    expect(b.flush()).to.equal(2);
    expect(core.snapshot().areas).to.deep.equal([{ start: V, end: V + 0x2000, state: 'busy' }]);
  });

  it('turns a BUG_ON inside a batch into the KernelBug of the port, after the operations before it ran', () => {
    const bug = (version: string, f: (a: wasm_allocator | null) => void): unknown => {
      const a = version.endsWith('@wasm') ? (getVersion(version).create(defaultEnv({ ncpu: 1 })) as wasm_allocator) : null;
      try {
        f(a);
      } catch (e) {
        return e;
      }
      return null;
    };
    const port = bug('linux-2.6.35', () => getVersion('linux-2.6.35').create(defaultEnv({ ncpu: 1 })).alloc_vmap_area(0, 0x1000, V, VE));
    const core = bug('linux-2.6.35@wasm', (a) => {
      const b = new WasmBatch(a!.core, 2, 4);
      b.alloc(0, 0x1000, 0x1000, V, VE);
      b.alloc(1, 0, 0x1000, V, VE);
      b.flush();
    });
    if (!isKernelBug(port) || !isKernelBug(core)) throw new Error('no KernelBug');
    expect([core.func, core.line, core.cond]).to.deep.equal([port.func, port.line, port.cond]);
  });
});
