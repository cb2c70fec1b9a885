// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { findManifest, wasmCoreNames } from '../../../../../kernel/manifest/index.js';
import { U64RangeError } from '../../../../../kernel/include/u64.js';
import { defaultEnv } from '../../../../../kernel/mm/vmalloc/common.js';
import { findVersion } from '../../../../../kernel/mm/vmalloc/index.js';
import { halves, joinHalves, wasm_allocator } from '../../../../../kernel/mm/vmalloc/wasm/binding.js';

describe('the wasm binding (kernel/mm/vmalloc/wasm/binding.ts)', () => {
  it('splits an unsigned long held in the signed view into the u32 halves of its u64, and joins them back', () => {
    const cases: [number, bigint][] = [
      [0, 0n],
      [1, 1n],
      [-1, 0xffffffffffffffffn],
      [-0x370000000000, 0xffffc90000000000n],
      [-0x170000000001, 0xffffe8ffffffffffn],
      [0x7fffffff, 0x7fffffffn],
      [0x100000000, 0x100000000n],
      [-0x60000000000000, 0xffa0000000000000n],
      [2 ** 53, 1n << 53n],
    ];
    for (const [x, u] of cases) {
      const [lo, hi] = halves(x);
      expect(lo, `${u.toString(16)} low`).to.equal(Number(u & 0xffffffffn));
      expect(hi >>> 0, `${u.toString(16)} high`).to.equal(Number(u >> 32n));
      expect(joinHalves(lo, hi), `${u.toString(16)} joined`).to.equal(x);
    }
  });

  it('refuses to join a u64 the signed view cannot hold exactly', () => {
    // 0xffa0000000001001: 55 significant bits
    expect(() => joinHalves(0x00001001, 0xffa00000)).to.throw(U64RangeError);
  });

  it('names the cores in the registry as <version>@wasm, booting with the machine of their version when they boot, and no API layer of their own', () => {
    expect(wasmCoreNames()).to.deep.equal([
      'linux-2.6.35@wasm', 'mmotm-2010-vmap-cache-v1@wasm', 'linux-2.6.39@wasm', 'linux-3.18@wasm', 'linux-5.2@wasm', 'linux-6.1@wasm', 'linux-6.12@wasm', 'linux-7.3@wasm',
      'linux-2.6.35-nick-v1@wasm', 'linux-2.6.35-minchan@wasm', 'linux-2.6.39-nick-le@wasm', 'linux-3.18-liu-purged@wasm',
    ]);
    const m = findManifest('linux-6.1@wasm');
    expect(m).to.include({ name: 'linux-6.1@wasm', kind: 'version', apiLayer: undefined });
    expect(m?.machine).to.equal(findManifest('linux-6.1')?.machine);
    expect(findVersion('linux-2.6.35@wasm')?.create(defaultEnv())).to.be.instanceOf(wasm_allocator);
  });

  it('gives each allocator its own instance: two cores of one version do not share state', () => {
    const a = findVersion('linux-6.1@wasm')?.create(defaultEnv()) as wasm_allocator;
    const b = findVersion('linux-6.1@wasm')?.create(defaultEnv()) as wasm_allocator;
    const V = -0x370000000000;
    const VE = -0x170000000001;
    a.alloc_vmap_area(0x4000, 0x1000, V, VE);
    const vb = b.alloc_vmap_area(0x1000, 0x1000, V, VE);
    expect(typeof vb === 'number' ? vb : vb.va_start).to.equal(V);
    expect(a.snapshot().areas).to.have.length(1);
    expect(b.snapshot().areas).to.deep.equal([{ start: V, end: V + 0x1000, state: 'busy' }]);
  });
});
