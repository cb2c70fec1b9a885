// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..', '..');

describe("the linux-2.6.39 variant with Nick's `<=`", () => {
  it('differs from the port only in its header, import paths, names and the one invalidation test', () => {
    const port = readFileSync(resolve(ROOT, 'kernel/mm/vmalloc/linux-2.6.39.ts'), 'utf8').split('\n').slice(1);
    const copy = readFileSync(resolve(ROOT, 'scripts/check/variants/linux-2.6.39-nick-le.ts'), 'utf8').split('\n');
    const body = copy.slice(copy.indexOf(' */') + 2);
    expect(body.length).to.equal(port.length);
    const changed = body.map((l, i) => [port[i] as string, l] as const).filter(([a, b]) => a !== b);
    const semantic = changed.filter(([a]) => !/from '\.\.?\//.test(a) && !a.includes("VERSION = 'linux-2.6.39'") && !a.includes('export class linux_2_6_39 '));
    expect(semantic).to.deep.equal([
      [
        '          !this.free_vmap_cache || ult(size, this.cached_hole_size) || ult(vstart, this.cached_vstart) || ult(align, this.cached_align);',
        '          !this.free_vmap_cache || ule(size, this.cached_hole_size) || ult(vstart, this.cached_vstart) || ult(align, this.cached_align);',
      ],
    ]);
  });
});
