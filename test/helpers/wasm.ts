// SPDX-License-Identifier: GPL-2.0-only
/* Test helpers for the wasm cores: a core in a given range, and the exact u64 model the tests compute expectations with. */

import { defaultEnv, type VmallocHooks } from '../../kernel/mm/vmalloc/common.js';
import { getManifest } from '../../kernel/manifest/index.js';
import { WasmCore } from '../../kernel/mm/vmalloc/wasm/binding.js';
import { recorder } from './golden.js';

/** 2^64 - 1 */
export const M64 = (1n << 64n) - 1n;

/** ALIGN(x, a) in exact unsigned 64-bit arithmetic (the model, not the code under test). */
export function ALIGNn(x: bigint, a: bigint): bigint {
  return (x + (a - 1n)) & ~(a - 1n) & M64;
}

/** A fresh core of a version over [start, end), with recording hooks (or the given ones). */
export function wasmCore(version: string, start: bigint, end: bigint, hooks?: VmallocHooks, ncpu = 1): { c: WasmCore; events: string[] } {
  const r = recorder();
  const c = new WasmCore(version, defaultEnv({ ncpu, hooks: hooks ?? r.hooks }), { name: `${version}@wasm`, lines: getManifest(version).allocator.lines ?? {} }, { VMALLOC_START: start, VMALLOC_END: end });
  return { c, events: r.events };
}

/** alloc_vmap_area with exact arguments: the area's va_start, or the errno's negative value. */
export function allocN(c: WasmCore, size: bigint, align: bigint, vstart: bigint, vend: bigint): bigint {
  const p = c.allocU64(size, align, vstart, vend);
  return p < 0 && p >= -4095 ? BigInt(p) : c.vaStartU64(p);
}

/** The 5-level paging vmalloc range of x86-64 (VMALLOC_START 0xffa0000000000000, 12800 TiB). */
export const VMALLOC_START_5LEVEL = 0xffa0000000000000n;
export const VMALLOC_END_5LEVEL = 0xffd1ffffffffffffn;
