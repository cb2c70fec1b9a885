// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultEnv } from '../../../../../kernel/mm/vmalloc/common.js';
import { linux_2_6_39_nick_le } from '../../../../../kernel/manifest/linux-2.6.39-nick-le.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..', '..');

/** The alloc_vmap_area method of a file, with its leading comment. */
function method(file: string): string[] {
  const text = readFileSync(resolve(ROOT, file), 'utf8');
  const at = text.search(/\n {2}(override )?alloc_vmap_area\(\n/);
  const start = text.lastIndexOf('  /*', at);
  const end = text.indexOf('\n  }\n', at) + 4;
  return text.slice(start, end).split('\n');
}

describe("the linux-2.6.39 variant with Nick's `<=`", () => {
  it("restates only alloc_vmap_area, differing from the port's in the one invalidation test", () => {
    const port = method('kernel/mm/vmalloc/linux-2.6.39.ts');
    const copy = method('kernel/mm/vmalloc/variants/linux-2.6.39-nick-le.ts');
    expect(copy.length).to.equal(port.length);
    const changed = copy.map((l, i) => [port[i]!, l] as const).filter(([a, b]) => a !== b);
    expect(changed).to.deep.equal([
      ['  alloc_vmap_area(', '  override alloc_vmap_area('],
      [
        '          !this.free_vmap_cache || ult(size, this.cached_hole_size) || ult(vstart, this.cached_vstart) || ult(align, this.cached_align);',
        '          !this.free_vmap_cache || ule(size, this.cached_hole_size) || ult(vstart, this.cached_vstart) || ult(align, this.cached_align);',
      ],
    ]);
  });

  it('drops the cache for a request equal to the hole, which the port keeps', () => {
    // [A V..V+2P) [B V+3P..V+5P) [C V+6P..V+8P); free B; a 3-page request
    // goes past C and records hole = 3P (see linux-2.6.39.test.ts). A second
    // 3-page request: the port keeps the cache (3P < 3P is false) and the
    // variant drops it (3P <= 3P); both still place it above C, as the hole
    // cannot take 3 pages plus the free page before C.
    const P = 0x1000;
    const V = -0x370000000000;
    const VE = -0x170000000001;
    const a = new linux_2_6_39_nick_le(defaultEnv());
    a.alloc_vmap_area(2 * P, 1, V, VE);
    const b = a.alloc_vmap_area(2 * P, 1, V, VE);
    a.alloc_vmap_area(2 * P, 1, V, VE);
    a.free_vmap_area(b as never);
    a.alloc_vmap_area(3 * P, 1, V, VE);
    expect(a.cached_hole_size).to.equal(3 * P);
    a.alloc_vmap_area(3 * P, 1, V, VE);
    // the drop reset the hole, and the search from vstart found it again
    expect(a.cached_hole_size).to.equal(3 * P);
    expect(a.golden_state()).to.match(/^cache=ffffc9000000d000 /);
  });
});
