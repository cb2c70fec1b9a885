// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ERR_PTR, IS_ERR } from '../../../../../kernel/include/linux/errno.js';
import { defaultEnv, type vmap_area_common } from '../../../../../kernel/mm/vmalloc/common.js';
import { findVersion } from '../../../../../kernel/mm/vmalloc/index.js';
import type { wasm_allocator } from '../../../../../kernel/mm/vmalloc/wasm/binding.js';
import { ensureWasm } from '../../../../../kernel/mm/vmalloc/wasm/build.js';
import { exportMutableGlobals, instancesCreated } from '../../../../../kernel/mm/vmalloc/wasm/pool.js';

const WA = (globalThis as unknown as { WebAssembly: { Module: { new (b: Uint8Array): object; exports(m: object): { name: string; kind: string }[]; imports(m: object): unknown[] } } }).WebAssembly;

const V = -0x370000000000;
const VE = -0x170000000001;

function create(name: string): wasm_allocator {
  return findVersion(name)!.create(defaultEnv()) as unknown as wasm_allocator;
}

/** Enough allocations and frees to grow the core's memory past its first 64 KiB, some areas lazily freed. */
function dirty(a: wasm_allocator): void {
  const live: vmap_area_common[] = [];
  for (let i = 0; i < 3000; i++) {
    const va = a.alloc_vmap_area(0x1000 * (1 + (i % 7)), 0x1000, V, VE);
    if (!IS_ERR(va as vmap_area_common | ERR_PTR)) live.push(va as vmap_area_common);
    if (i % 3 === 2) a.free_unmap_vmap_area(live.splice((i * 7) % live.length, 1)[0]!);
  }
}

/** What a core shows from outside, after the same ops. */
function run(a: wasm_allocator): string[] {
  const out: string[] = [];
  for (let i = 0; i < 200; i++) {
    const va = a.alloc_vmap_area(0x1000 * (1 + (i % 5)), 0x1000 << (i % 3), V, VE);
    out.push(IS_ERR(va as vmap_area_common | ERR_PTR) ? `err ${String(va)}` : String((va as vmap_area_common).va_start));
    if (i % 4 === 3) a.free_unmap_vmap_area(a.find_vmap_area(Number(out[i - 1]))!);
  }
  a.purge_vmap_area_lazy();
  out.push(a.golden_state(), String(a.touches), JSON.stringify(a.snapshot()));
  return out;
}

function memory(a: wasm_allocator): Uint8Array {
  return new Uint8Array(a.core.x.memory.buffer);
}

describe('the wasm cores\' instances (kernel/mm/vmalloc/wasm/pool.ts)', () => {
  it('exports every mutable global of a core and keeps the compiler\'s own imports and exports', () => {
    const bytes = readFileSync(ensureWasm('linux-6.1'));
    const { bytes: out, globals } = exportMutableGlobals(bytes);
    const before = WA.Module.exports(new WA.Module(bytes));
    const after = WA.Module.exports(new WA.Module(out));
    expect(globals.length).to.be.greaterThan(5);
    expect(after).to.deep.equal([...before, ...globals.map((g) => ({ name: `__vmapsim_global_${g}`, kind: 'global' }))]);
    expect(WA.Module.imports(new WA.Module(out))).to.deep.equal(WA.Module.imports(new WA.Module(bytes)));
  });

  for (const name of ['linux-2.6.39@wasm', 'linux-6.1@wasm', 'linux-6.12@wasm']) {
    const key = name.replace('@wasm', '');
    it(`hands a released ${name} instance to the next allocator reset to what a fresh instantiation gives: same memory, globals and behaviour`, () => {
      const used = create(name);
      dirty(used);
      const grown = memory(used).length;
      expect(grown).to.be.greaterThan(65536);
      const n = instancesCreated(key);
      used.release();
      const reused = create(name);
      expect(instancesCreated(key), 'the released instance was taken').to.equal(n);
      const fresh = create(name);
      expect(instancesCreated(key), 'the pool was empty').to.equal(n + 1);
      const r = memory(reused);
      const f = memory(fresh);
      expect(r.length).to.equal(grown);
      expect(Buffer.compare(r.subarray(0, f.length), f), 'the fresh instance\'s memory').to.equal(0);
      expect(r.subarray(f.length).every((b) => b === 0), 'zero above it').to.equal(true);
      const globals = (a: wasm_allocator) => Object.entries(a.core.x).filter(([k]) => k.startsWith('__vmapsim_global_')).map(([k, g]) => [k, (g as { value: unknown }).value]);
      expect(globals(reused)).to.deep.equal(globals(fresh));
      expect(run(reused)).to.deep.equal(run(fresh));
      reused.release();
      fresh.release();
    });
  }

  it('refuses a released allocator (it throws rather than read the next user\'s memory)', () => {
    const a = create('linux-2.6.35@wasm');
    a.alloc_vmap_area(0x2000, 0x1000, V, VE);
    a.release();
    expect(() => a.alloc_vmap_area(0x2000, 0x1000, V, VE)).to.throw(/a released wasm core was used/);
    expect(() => a.release()).to.throw(/released already/);
  });
});
