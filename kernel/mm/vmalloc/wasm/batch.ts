// SPDX-License-Identifier: GPL-2.0-only
/*
 * The batched side of the binding (docs/wasm.md, "Batches"): operations
 * queued in linear memory and run by the core in one call, for callers
 * that do not need each result before the next operation (a bench stream,
 * a generated campaign): one JS-to-wasm crossing per batch instead of one
 * per operation.
 *
 * Each allocation goes to a slot the caller names (a handle, as the C
 * side's replay.h keeps live[]); a free names the slot of an allocation
 * queued earlier, in this batch or an earlier one. The core's run_stream
 * runs the batch (every core exports it, kernel/mm/vmalloc/as/
 * <version>.exports.ts): alloc_vmap_area(size, align, vstart, vend,
 * NUMA_NO_NODE, GFP_KERNEL), free_vmap_area, free_unmap_vmap_area,
 * purge_vmap_area_lazy, the touches inside alloc_vmap_area summed in the
 * core. A BUG_ON inside a batch arrives as the KernelBug the binding
 * throws, after the operations before it have run.
 */

import type { ulong } from '../../../include/u64.js';
import type { WasmCore } from './binding.js';

const TWO_32 = 4294967296;

/** An unsigned long of the signed view (kernel/include/u64.ts) as the two u32 of its u64 (binding.ts halves(), without the pair). */
function put(v: Uint32Array, i: number, x: ulong): void {
  const h = Math.floor(x / TWO_32);
  v[i] = x - h * TWO_32;
  v[i + 1] = h; // ToUint32: a negative high half is its two's complement
}

/* run_stream's operation codes (the C side's replay.h). */
const OP_ALLOC = 0;
const OP_FREE = 1;
const OP_FREE_LAZY = 2;
const OP_PURGE = 3;

/** The batch's buffers in linear memory (allocated once, never freed). */
interface Buffers {
  readonly code: number;
  readonly arg: number;
  readonly vals: number;
  readonly live: number;
}

export class WasmBatch {
  private readonly at: Buffers;
  private buffer: ArrayBuffer | null = null;
  private code!: Uint8Array;
  private arg!: Uint32Array;
  private vals!: Uint32Array;
  private live!: Uint32Array;
  /** Operations queued and not yet run. */
  private n = 0;

  /**
   * `slots`: the allocation handles 0 .. slots-1; `capacity`: operations
   * per crossing (a full batch runs as the next one is queued).
   */
  constructor(
    readonly core: WasmCore,
    readonly slots: number,
    readonly capacity = 256,
  ) {
    const x = core.x;
    this.at = { code: x.scratch_alloc(capacity), arg: x.scratch_alloc(4 * capacity), vals: x.scratch_alloc(32 * slots), live: x.scratch_alloc(4 * slots) };
    this.views();
  }

  /** Typed views over the buffers, made again when the core's memory has grown. */
  private views(): void {
    const buf = this.core.x.memory.buffer;
    if (buf === this.buffer) return;
    this.buffer = buf;
    this.code = new Uint8Array(buf, this.at.code, this.capacity);
    this.arg = new Uint32Array(buf, this.at.arg, this.capacity);
    this.vals = new Uint32Array(buf, this.at.vals, 8 * this.slots);
    this.live = new Uint32Array(buf, this.at.live, this.slots);
  }

  private push(op: number, slot: number): void {
    if (this.n === this.capacity) this.mustFlush();
    this.code[this.n] = op;
    this.arg[this.n] = slot;
    this.n++;
  }

  /** Queue alloc_vmap_area(size, align, vstart, vend) into `slot`. */
  alloc(slot: number, size: ulong, align: ulong, vstart: ulong, vend: ulong): void {
    if (this.n === this.capacity) this.mustFlush();
    const v = this.vals;
    const i = 8 * slot;
    put(v, i, size);
    put(v, i + 2, align);
    put(v, i + 4, vstart);
    put(v, i + 6, vend);
    this.push(OP_ALLOC, slot);
  }

  /**
   * Queue alloc_vmap_area() into `slot` with its four u64 arguments already
   * split: h[at .. at+7] = size, align, vstart, vend as (low, high) u32.
   */
  allocHalves(slot: number, h: Uint32Array, at: number): void {
    if (this.n === this.capacity) this.mustFlush();
    const v = this.vals;
    const i = 8 * slot;
    v[i] = h[at]!;
    v[i + 1] = h[at + 1]!;
    v[i + 2] = h[at + 2]!;
    v[i + 3] = h[at + 3]!;
    v[i + 4] = h[at + 4]!;
    v[i + 5] = h[at + 5]!;
    v[i + 6] = h[at + 6]!;
    v[i + 7] = h[at + 7]!;
    this.push(OP_ALLOC, slot);
  }

  /** Queue free_vmap_area() of the area in `slot`. */
  free(slot: number): void {
    this.push(OP_FREE, slot);
  }

  /** Queue free_unmap_vmap_area() of the area in `slot`. */
  freeLazy(slot: number): void {
    this.push(OP_FREE_LAZY, slot);
  }

  /** Queue purge_vmap_area_lazy(). */
  purge(): void {
    this.push(OP_PURGE, 0);
  }

  /**
   * Run what is queued, in one call: 0, or 1 + the index in the batch of
   * an allocation that failed (the operations after it are dropped).
   */
  flush(): number {
    if (this.n === 0) return 0;
    const n = this.n;
    this.n = 0;
    const r = this.core.x.run_stream(this.at.code, this.at.arg, this.at.vals, this.at.live, n);
    this.views();
    return r;
  }

  private mustFlush(): void {
    const r = this.flush();
    if (r) throw new Error(`${this.core.id.name}: allocation ${r} of a batch failed`);
  }

  /** The area in `slot` (its address in the core), once the batch that allocated it has run. */
  area(slot: number): number {
    this.views();
    return this.live[slot]!;
  }

  /** Operations queued and not yet run. */
  get pending(): number {
    return this.n;
  }
}
