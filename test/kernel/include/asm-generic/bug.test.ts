// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { isKernelBug, KernelBug } from '../../../../kernel/include/asm-generic/bug.js';

describe('KernelBug', () => {
  const bug = new KernelBug('linux-2.6.35', '__insert_vmap_area', 304, 'BUG()');

  it('carries the version, function, line and condition', () => {
    expect(bug).to.include({ version: 'linux-2.6.35', func: '__insert_vmap_area', line: 304, cond: 'BUG()' });
    expect(isKernelBug(bug)).to.equal(true);
    expect(isKernelBug(new Error('x'))).to.equal(false);
  });

  it('names its site as the golden traces do', () => {
    expect(bug.site).to.equal('__insert_vmap_area:304 BUG()');
  });

  it('reports itself oops-style with the file and line', () => {
    const text = bug.oops('lazy=0');
    expect(text).to.contain('kernel BUG at mm/vmalloc.c:304!');
    expect(text).to.contain('__insert_vmap_area');
    expect(text).to.contain('allocator state: lazy=0');
  });
});
