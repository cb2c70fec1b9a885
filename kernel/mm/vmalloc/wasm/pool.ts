// SPDX-License-Identifier: GPL-2.0-only
/*
 * Compiled cores and their instances (docs/wasm.md, "Instances"): each
 * core's WebAssembly.Module is compiled once per process, and an instance
 * handed back by its user (WasmCore.release(), a check run's sides) is
 * reset to the state a fresh instantiation gives and handed out again.
 *
 * Why: a fresh WebAssembly.Instance costs about 100 us of CPU here (most
 * of it reserving and releasing the linear memory's address space), and a
 * check run whose pair diverges within a few ops is mostly its two
 * instantiations (docs/performance.md). The reset is a copy of the
 * memory image the instantiation left (data segments, start function)
 * over the used memory, zero above it, and the module's mutable globals
 * set back to their values after instantiation.
 *
 * The globals of an AssemblyScript module (the kernel's `vmap_area_root`,
 * `free_vmap_cache`, ..., and the stub runtime's bump pointer) are not
 * exported, so the module's bytes get one export per mutable global
 * (`__vmapsim_global_<index>`) before they are compiled: an export entry
 * only, the code is the compiler's. Memory grown by a run stays grown
 * (zeroed), which the stub runtime only sees as not needing to grow again.
 */

import { readFileSync } from 'node:fs';
import { ensureWasm } from './build.js';

/*
 * The few WebAssembly JS API types used here (the project's lib is ES2022
 * without DOM, which is where TypeScript declares them).
 */
interface WasmGlobalObject {
  value: unknown;
}
interface WasmMemoryObject {
  readonly buffer: ArrayBuffer;
}
type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (m: WasmModule, imports: object) => { readonly exports: object };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The export name given to the module's mutable global of index `i`. */
const GLOBAL_EXPORT = '__vmapsim_global_';

/** A reader of the binary format's LEB128 numbers and bytes. */
class Reader {
  constructor(
    readonly b: Uint8Array,
    public p: number,
  ) {}
  byte(): number {
    if (this.p >= this.b.length) throw new Error('wasm module: truncated');
    return this.b[this.p++]!;
  }
  u32(): number {
    let r = 0;
    let shift = 0;
    for (;;) {
      const x = this.byte();
      r += (x & 0x7f) * 2 ** shift;
      if (!(x & 0x80)) return r;
      shift += 7;
    }
  }
  /** A signed LEB128, skipped. */
  skipSigned(): void {
    while (this.byte() & 0x80);
  }
  skip(n: number): void {
    this.p += n;
  }
  /** limits: a flag byte, the minimum, and the maximum when the flag says so. */
  skipLimits(): void {
    const f = this.byte();
    this.u32();
    if (f & 1) this.u32();
  }
  /** A constant expression up to its `end` (the opcodes a global's initialiser may use). */
  skipConstExpr(): void {
    for (;;) {
      const op = this.byte();
      if (op === 0x0b) return;
      if (op === 0x41 || op === 0x42) this.skipSigned();
      else if (op === 0x43) this.skip(4);
      else if (op === 0x44) this.skip(8);
      else if (op === 0x23 || op === 0xd2) this.u32();
      else if (op === 0xd0) this.byte();
      else throw new Error(`wasm module: opcode 0x${op.toString(16)} in a global's initialiser`);
    }
  }
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let x = n % 128;
    n = Math.floor(n / 128);
    if (n) x |= 0x80;
    out.push(x);
  } while (n);
  return out;
}

/**
 * The module's bytes with an export for each of its own mutable globals,
 * and those globals' indexes. The other sections are copied as they are.
 */
export function exportMutableGlobals(bytes: Uint8Array): { bytes: Uint8Array; globals: number[] } {
  const r = new Reader(bytes, 8);
  let importedGlobals = 0;
  const mutable: number[] = [];
  let exportAt = -1;
  let exportEnd = -1;
  while (r.p < bytes.length) {
    const at = r.p;
    const id = r.byte();
    const size = r.u32();
    const start = r.p;
    if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        r.skip(r.u32());
        r.skip(r.u32());
        const kind = r.byte();
        if (kind === 0) r.u32();
        else if (kind === 1) {
          r.byte();
          r.skipLimits();
        } else if (kind === 2) r.skipLimits();
        else if (kind === 3) {
          r.skip(2);
          importedGlobals++;
        } else throw new Error(`wasm module: import kind ${kind}`);
      }
    } else if (id === 6) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        r.byte();
        if (r.byte() === 1) mutable.push(importedGlobals + i);
        r.skipConstExpr();
      }
    } else if (id === 7) {
      exportAt = at;
      exportEnd = start + size;
    }
    r.p = start + size;
  }
  if (!mutable.length) return { bytes, globals: [] };
  const entries: number[] = [];
  let count = 0;
  let body: Uint8Array = new Uint8Array(0);
  if (exportAt >= 0) {
    const e = new Reader(bytes, exportAt + 1);
    e.u32();
    count = e.u32();
    body = bytes.subarray(e.p, exportEnd);
  }
  for (const g of mutable) {
    const name = [...Buffer.from(`${GLOBAL_EXPORT}${g}`, 'latin1')];
    entries.push(...leb(name.length), ...name, 3, ...leb(g));
  }
  const content = [...leb(count + mutable.length), ...body, ...entries];
  const section = Uint8Array.from([7, ...leb(content.length), ...content]);
  // The export section goes where it was (section order is fixed), or after the global section's place (id 7 follows 6).
  const at = exportAt >= 0 ? exportAt : sectionEndBefore(bytes, 7);
  const rest = exportAt >= 0 ? exportEnd : at;
  const out = new Uint8Array(at + section.length + bytes.length - rest);
  out.set(bytes.subarray(0, at), 0);
  out.set(section, at);
  out.set(bytes.subarray(rest), at + section.length);
  return { bytes: out, globals: mutable };
}

/** The offset just past the last section whose id is below `id` (custom sections aside). */
function sectionEndBefore(bytes: Uint8Array, id: number): number {
  const r = new Reader(bytes, 8);
  let at = 8;
  while (r.p < bytes.length) {
    const s = r.byte();
    const size = r.u32();
    r.p += size;
    if (s !== 0 && s < id) at = r.p;
  }
  return at;
}

/** A compiled core: its module and the export names of its mutable globals. */
interface CompiledCore {
  readonly module: WasmModule;
  readonly globals: readonly string[];
  readonly free: PooledInstance[];
  created: number;
}

/** Who an instance's imports call: the current user's handlers (set by the user, cleared on release). */
export interface InstanceSlot<T> {
  owner: T | null;
}

export interface PooledInstance {
  readonly key: string;
  readonly exports: object;
  readonly slot: InstanceSlot<unknown>;
  /** Linear memory as the instantiation left it. */
  readonly memory0: Uint8Array;
  /** The mutable globals and their values after instantiation. */
  readonly globals0: readonly [WasmGlobalObject, unknown][];
  /** Out of the pool (in a user's hands). */
  inUse: boolean;
}

const compiled = new Map<string, CompiledCore>();

function compiledCore(key: string): CompiledCore {
  let c = compiled.get(key);
  if (!c) {
    const { bytes, globals } = exportMutableGlobals(readFileSync(ensureWasm(key)));
    c = { module: new WA.Module(bytes), globals: globals.map((g) => `${GLOBAL_EXPORT}${g}`), free: [], created: 0 };
    compiled.set(key, c);
  }
  return c;
}

/**
 * An instance of the core `key` (a version, or a compiled user core's key)
 * in its pristine state: one handed back before, reset, or a new one whose
 * imports are `imports(slot)` (they reach their user through slot.owner).
 */
export function acquireInstance(key: string, imports: (slot: InstanceSlot<unknown>) => object): PooledInstance {
  const c = compiledCore(key);
  const again = c.free.pop();
  if (again) {
    again.inUse = true;
    return again;
  }
  const slot: InstanceSlot<unknown> = { owner: null };
  const exports = new WA.Instance(c.module, imports(slot)).exports as Record<string, unknown>;
  c.created++;
  const memory0 = new Uint8Array((exports.memory as WasmMemoryObject).buffer).slice();
  const globals0 = c.globals.map((n): [WasmGlobalObject, unknown] => {
    const g = exports[n] as WasmGlobalObject;
    return [g, g.value];
  });
  return { key, exports, slot, memory0, globals0, inUse: true };
}

/** Reset an instance to its state after instantiation and put it back in its core's pool. */
export function releaseInstance(p: PooledInstance): void {
  if (!p.inUse) throw new Error(`${p.key}: an instance released twice`);
  const mem = new Uint8Array(((p.exports as Record<string, unknown>).memory as WasmMemoryObject).buffer);
  mem.set(p.memory0);
  mem.fill(0, p.memory0.length);
  for (const [g, v] of p.globals0) g.value = v;
  p.slot.owner = null;
  p.inUse = false;
  compiled.get(p.key)!.free.push(p);
}

/** How many instances of core `key` this process created (the rest were reused). */
export function instancesCreated(key: string): number {
  return compiled.get(key)?.created ?? 0;
}
