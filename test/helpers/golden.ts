// SPDX-License-Identifier: GPL-2.0-only
/* Test helpers: the golden traces of a version, and a compact allocator driver. */

import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { IS_ERR, errname } from '../../kernel/include/linux/errno.js';
import type { ulong } from '../../kernel/include/u64.js';
import { defaultEnv, type VmallocHooks, type VmapAllocator, type vmap_area_common } from '../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../kernel/mm/vmalloc/index.js';
import { goldenDir } from '../../scripts/lib/paths.js';
import { recordingHooks, replayGoldenFile } from '../../scripts/replay/golden.js';

/** Every golden trace of a version, by file name. */
export function goldenTraces(version: string): string[] {
  return readdirSync(goldenDir())
    .filter((f) => f.startsWith(`${version}.`) && f.endsWith('.trace.gz'))
    .sort()
    .map((f) => join(goldenDir(), f));
}

/**
 * A mocha block asserting that every golden trace of the version replays
 * exactly; with `wasm`, on the version's wasm core (`<version>@wasm`).
 */
export function itReplaysEveryGoldenTrace(version: string, expectedCount = 18, opts: { wasm?: boolean } = {}): void {
  const files = goldenTraces(version);
  it(`has its ${expectedCount} golden traces`, () => {
    expect(files).to.have.length(expectedCount);
  });
  for (const f of files) {
    const name = f.slice(f.lastIndexOf('/') + 1);
    it(`replays ${name} exactly`, () => {
      const r = replayGoldenFile(f, opts);
      expect(r.divergence, r.divergence ? `${r.divergence.what} at op ${r.divergence.op}: ${r.divergence.expected} / ${r.divergence.actual}` : '').to.equal(null);
      expect(r.ops).to.be.greaterThan(0);
      if (opts.wasm) expect(r.variant).to.equal(`${version}@wasm`);
    });
  }
}

/** The events an allocator reports, in the golden trace's words. */
export function recorder(): { hooks: VmallocHooks; events: string[] } {
  const events: string[] = [];
  return { hooks: recordingHooks(events), events };
}

/** A fresh allocator of a version (one CPU unless given). */
export function allocator(version: string, ncpu = 1): { a: VmapAllocator; events: string[] } {
  const { hooks, events } = recorder();
  return { a: getVersion(version).create(defaultEnv({ ncpu, hooks })), events };
}

/** alloc_vmap_area, returning the area or the error's name. */
export function alloc(a: VmapAllocator, size: ulong, align: ulong, vstart: ulong, vend: ulong): vmap_area_common | string {
  const va = a.alloc_vmap_area(size, align, vstart, vend);
  return IS_ERR(va) ? errname(va) : va;
}

/** alloc_vmap_area that must succeed. */
export function allocOk(a: VmapAllocator, size: ulong, align: ulong, vstart: ulong, vend: ulong): vmap_area_common {
  const va = alloc(a, size, align, vstart, vend);
  if (typeof va === 'string') throw new Error(`allocation failed: ${va}`);
  return va;
}
