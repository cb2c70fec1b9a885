// SPDX-License-Identifier: GPL-2.0-only
/*
 * linux-7.3's manifest: what it declares, and that its BUG_ON/WARN_ON table
 * holds exactly the sites kernel/mm/vmalloc/linux-7.3.ts calls, at the
 * lines of the 7.3.4 mm/vmalloc.c the 7.3 port first carried at its call
 * sites (copied from that port, not from a run).
 */
import { expect } from 'chai';
import { readFileSync } from 'fs';
import { join } from 'path';
import { getManifest } from '../../../kernel/manifest/index.js';
import { LINES } from '../../../kernel/manifest/linux-7.3.js';
import { getKernel } from '../../../kernel/mm/vmalloc/api/index.js';
import { getVersion } from '../../../kernel/mm/vmalloc/index.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

describe('the linux-7.3 manifest', () => {
  it('declares a version with 6.12\'s capabilities, its own API layer, the 6.15 flush era and its source anchor', () => {
    const m = getManifest('linux-7.3');
    expect(m.kind).to.equal('version');
    expect(m.series).to.deep.equal([7, 3]);
    expect(m.allocator.caps).to.deep.equal(getManifest('linux-6.12').allocator.caps);
    expect(getKernel('linux-7.3')).to.include({ allocator: 'linux-7.3', api: 'linux-7.3', flushEra: 'linux-6.15', NR_CPUS: 8192, nativeTrace: true });
    expect(m.source).to.contain('docs/sources.md#text-linux-7.3');
    expect(m.source).to.not.match(/\/(work|home|tmp|root)\//);
    // A C side for the bench, and no issue's figures for it.
    expect(m.native).to.deep.equal({ source: 'linux-7.3.c' });
    expect(getVersion('linux-7.3').source).to.equal(m.source);
  });

  it('has a line for every BUG_ON/WARN_ON site of linux-7.3.ts and none besides', () => {
    const text = readFileSync(join(ROOT, 'kernel/mm/vmalloc/linux-7.3.ts'), 'utf8');
    const sites = new Set<string>();
    for (const m of text.matchAll(/this\.(?:BUG_ON|WARN_ON|WARN_ON_ONCE)\([^;]*?, '([a-z_0-9]+)', '([^']+)'(?:, (\d+))?\)/g)) {
      sites.add(`${m[1]}:${m[2]}${m[3] && m[3] !== '1' ? `#${m[3]}` : ''}`);
    }
    // and pcpu_get_vm_areas()'s, which the port shares (pcpu/linux-6.1.ts) and the wasm core looks up here
    expect([...sites].sort()).to.deep.equal(Object.keys(LINES).filter((k) => !k.startsWith('pcpu_get_vm_areas:')).sort());
  });

  it('gives the 7.3.4 lines: 1234 find_va_links ... 5438 vmap_init_free_space', () => {
    expect(LINES).to.deep.equal({
      'find_va_links:1': 1234,
      '__unlink_va:RB_EMPTY_NODE(&va->rb_node)': 1322,
      'node_to_id:1': 1018,
      'encode_vn_id:1': 1037,
      'decode_vn_id:node_id != UINT_MAX': 1056,
      'va_alloc:ret != -ENOMEM': 1844,
      'node_pool_del_va:err': 1987,
      'alloc_vmap_area:!IS_ALIGNED(va->va_start, align)': 2141,
      'alloc_vmap_area:va->va_start < vstart': 2142,
      'alloc_vmap_area:va->va_end > vend': 2143,
      'free_vmap_area_noflush:!list_empty(&va->list)': 2469,
      'vmap_init_free_space:!free': 5423,
      'vmap_init_free_space:!free#2': 5438,
      'pcpu_get_vm_areas:offset_in_page(align) || !is_power_of_2(align)': 5000,
      'pcpu_get_vm_areas:!IS_ALIGNED(offsets[area], align)': 5006,
      'pcpu_get_vm_areas:!IS_ALIGNED(sizes[area], align)': 5007,
      'pcpu_get_vm_areas:start2 < end && start < end2': 5017,
      'pcpu_get_vm_areas:true': 5023,
      'pcpu_get_vm_areas:va == NULL': 5104,
      'pcpu_get_vm_areas:unlikely(ret)': 5110,
    });
  });
});
