// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel/mm/vmalloc/api/linux-2.6.35-02b709df.ts: 2.6.35 with the
 * fragmented-block purge reverted (2.6.32's vmap blocks). Everything else
 * is 2.6.35's, so the shared specs hold with 2.6.35's facts.
 */
import { expect } from 'chai';
import { P, VSTART, boot, recordFlushes } from './helpers.js';
import { sharedApiSpecs } from './shared.js';

const V = 'linux-2.6.35-02b709df';

/** A kernel whose vmalloc layer is this era (no named kernel runs it by default). */
function bootEra() {
  return boot('linux-2.6.35', 2, V);
}

/** 15 x 64 + 32 pages handed out and all freed: no live page, 32 never handed out (a fragmented block). */
function fragmentedBlock(k: ReturnType<typeof bootEra>): void {
  const ms: number[] = [];
  for (let i = 0; i < 15; i++) ms.push(k.vm_map_ram(0, k.alloc_pages(64)));
  ms.push(k.vm_map_ram(0, k.alloc_pages(32)));
  for (let i = 0; i < 15; i++) k.vm_unmap_ram(0, ms[i]!, 64);
  k.vm_unmap_ram(0, ms[15]!, 32);
}

describe(`kernel/mm/vmalloc/api/${V}`, () => {
  it('boots as the API layer of a 2.6.35 kernel', () => {
    expect(bootEra().api.era).to.equal(V);
  });

  sharedApiSpecs('linux-2.6.35', { blockPages: 1024, removeDropsGuard: true, vmapForcesNX: false, eagerUnmap: false, bumpBlocks: false, flushesFullBlocks: false, gap: 1, staleFind: true, findInside: false }, V);

  it('vm_unmap_aliases does not free a fragmented block: it stays, and only its dirty run [0, 992) is unmapped and flushed', () => {
    const k = bootEra();
    fragmentedBlock(k);
    const flushes = recordFlushes(k);
    k.vm_unmap_aliases(0);
    expect(k.api.nr_vmap_blocks()).to.equal(1);
    expect(k.allocator.vmap_lazy_nr).to.equal(0);
    expect(flushes).to.deep.equal([[VSTART, VSTART + 992 * P]]);
    expect(k.pte(VSTART)).to.equal(0n);
  });

  it('the fragmented block keeps its space for ever: a 64-page request cannot use its 32 free pages and opens a second block', () => {
    const k = bootEra();
    fragmentedBlock(k);
    k.vm_unmap_aliases(0);
    const m = k.vm_map_ram(0, k.alloc_pages(64));
    expect(k.api.nr_vmap_blocks()).to.equal(2);
    expect(m).to.equal(VSTART + 2048 * P); // ALIGN(block end + gap page, VMAP_BLOCK_SIZE = 4 MiB)
  });

  it('the block is released only when every page was handed out and freed (vb->dirty == VMAP_BBMAP_BITS)', () => {
    const k = bootEra();
    fragmentedBlock(k);
    const last = k.vm_map_ram(0, k.alloc_pages(32));
    expect(last).to.equal(VSTART + 992 * P);
    k.vm_unmap_ram(0, last, 32);
    expect(k.api.nr_vmap_blocks()).to.equal(0);
    expect(k.allocator.vmap_lazy_nr).to.equal(1024);
  });
});
