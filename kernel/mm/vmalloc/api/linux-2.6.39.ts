// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vmalloc API layer of Linux 2.6.39: 2.6.35's, with Jeremy
 * Fitzhardinge's "vmalloc: eagerly clear ptes on vunmap" (64141da5, 2.6.37):
 * vb_free clears the PTEs of the pages it frees at once, so vm_unmap_aliases
 * only gathers the dirty runs into the flush range and no longer unmaps them
 * (the allocator's free_unmap_vmap_area_noflush clears an area's PTEs at free
 * time; only the TLB flush stays lazy). set_iounmap_nonlazy() exists (2.6.37).
 *
 * Version: linux-2.6.39. Upstream path: mm/vmalloc.c. Text: the 2.6.35 text
 * (docs/sources.md#text-linux-2.6.35) with Jeremy's patch applied as the
 * 3.x text shows it (docs/sources.md#text-linux-3.18: vb_free calls
 * vunmap_page_range before marking the region dirty). Only the functions
 * that differ from linux-2.6.35.ts are written here; the rest is inherited
 * unchanged, so this file reads like the patch.
 */

import type { ulong } from '../../../include/u64.js';
import { vmalloc_api_linux_2_6_35 } from './linux-2.6.35.js';

export const VERSION = 'linux-2.6.39';

export class vmalloc_api_linux_2_6_39 extends vmalloc_api_linux_2_6_35 {
  override readonly era: string = VERSION;
  protected override readonly version: string = VERSION;

  /** vb_free(): vunmap_page_range(addr, addr + size) before dirtying the region. */
  protected override vb_free_unmap(addr: ulong, size: ulong): void {
    this.vunmap_page_range(addr, addr + size);
  }

  /** vm_unmap_aliases(): the dirty runs were unmapped by vb_free; only widen the flush. */
  protected override vm_unmap_aliases_unmap(_s: ulong, _e: ulong): void {}
}
