// SPDX-License-Identifier: GPL-2.0-only
/**
 * Physical memory: frames of 4 KiB with contents, stored sparsely. A frame gets host
 * storage (one Uint32Array) the first time it is written; reading a frame that was never
 * written gives zeros. Storage is kept when the frame allocator frees a frame, so a read
 * through a stale translation still sees the old data until the frame is reused.
 *
 * Words are little-endian. 64-bit values come in two forms: `read64`/`write64` use the
 * project's signed-view numbers (exact within ±2^53 and for page-aligned values), and
 * `readU64`/`writeU64` use exact bigint bit patterns (what page-table entries need, since
 * NX is bit 63).
 */

import { formatAddress } from './address.js';

const FRAMES_PER_CHUNK = 4096;
const CHUNK_SHIFT = 12;
const TWO_32 = 4294967296;

/** Sparse, byte-addressable physical memory. */
export class PhysicalMemory {
  /** Size in bytes. */
  readonly bytes: number;
  /** Number of 4 KiB frames. */
  readonly frameCount: number;
  private readonly chunks: (Array<Uint32Array | undefined> | undefined)[];
  private stored = 0;

  constructor(bytes: number) {
    if (!Number.isInteger(bytes) || bytes <= 0 || bytes % 4096 !== 0) {
      throw new RangeError(`physical memory must be a positive multiple of 4096 bytes, got ${bytes}`);
    }
    this.bytes = bytes;
    this.frameCount = bytes / 4096;
    this.chunks = new Array(Math.ceil(this.frameCount / FRAMES_PER_CHUNK));
  }

  /** Frames that currently have host storage. */
  get storedFrames(): number {
    return this.stored;
  }

  /** The words of `frame`, or undefined if it was never written (it reads as zeros). */
  words(frame: number): Uint32Array | undefined {
    const chunk = this.chunks[frame >>> CHUNK_SHIFT];
    return chunk === undefined ? undefined : chunk[frame & (FRAMES_PER_CHUNK - 1)];
  }

  /** The words of `frame`, creating zeroed storage if needed. */
  wordsForWrite(frame: number): Uint32Array {
    if (!(frame >= 0 && frame < this.frameCount)) {
      throw new RangeError(`frame ${frame} is beyond the end of physical memory (${this.frameCount} frames)`);
    }
    let chunk = this.chunks[frame >>> CHUNK_SHIFT];
    if (chunk === undefined) {
      chunk = new Array<Uint32Array | undefined>(FRAMES_PER_CHUNK);
      this.chunks[frame >>> CHUNK_SHIFT] = chunk;
    }
    const i = frame & (FRAMES_PER_CHUNK - 1);
    let w = chunk[i];
    if (w === undefined) {
      w = new Uint32Array(1024);
      chunk[i] = w;
      this.stored++;
    }
    return w;
  }

  /** Fill `frame` with zeros (releasing its storage: an unwritten frame reads as zeros). */
  zeroFrame(frame: number): void {
    this.checkFrame(frame);
    const chunk = this.chunks[frame >>> CHUNK_SHIFT];
    const i = frame & (FRAMES_PER_CHUNK - 1);
    if (chunk !== undefined && chunk[i] !== undefined) {
      chunk[i] = undefined;
      this.stored--;
    }
  }

  /** Byte at physical address `pa`. */
  read8(pa: number): number {
    const f = this.frameOf(pa, 1);
    const w = this.words(f);
    if (w === undefined) return 0;
    const off = pa - f * 4096;
    return (w[off >>> 2]! >>> ((off & 3) * 8)) & 0xff;
  }

  /** Store the low 8 bits of `value` at `pa`. */
  write8(pa: number, value: number): void {
    const f = this.frameOf(pa, 1);
    const w = this.wordsForWrite(f);
    const off = pa - f * 4096;
    const shift = (off & 3) * 8;
    const i = off >>> 2;
    w[i] = (w[i]! & ~(0xff << shift)) | ((value & 0xff) << shift);
  }

  /** Unsigned 32-bit word at the 4-byte-aligned `pa`. */
  read32(pa: number): number {
    const f = this.frameOf(pa, 4);
    const w = this.words(f);
    return w === undefined ? 0 : w[(pa - f * 4096) >>> 2]!;
  }

  /** Store the low 32 bits of `value` at the 4-byte-aligned `pa`. */
  write32(pa: number, value: number): void {
    const f = this.frameOf(pa, 4);
    this.wordsForWrite(f)[(pa - f * 4096) >>> 2] = value >>> 0;
  }

  /** 64-bit word at the 8-byte-aligned `pa`, as a signed-view number. */
  read64(pa: number): number {
    const f = this.frameOf(pa, 8);
    const w = this.words(f);
    if (w === undefined) return 0;
    const i = (pa - f * 4096) >>> 2;
    return (w[i + 1]! | 0) * TWO_32 + w[i]!;
  }

  /** Store a signed-view number (an integer in [-2^63, 2^64)) at the 8-byte-aligned `pa`. */
  write64(pa: number, value: number): void {
    const f = this.frameOf(pa, 8);
    if (!Number.isInteger(value) || value < -9223372036854775808 || value >= 18446744073709551616) {
      throw new RangeError(`a 64-bit value must be an integer from -2^63 to 2^64-1, got ${value}`);
    }
    const w = this.wordsForWrite(f);
    const i = (pa - f * 4096) >>> 2;
    const hi = Math.floor(value / TWO_32);
    w[i] = value - hi * TWO_32;
    w[i + 1] = hi | 0;
  }

  /** read64 without range or alignment checks: for a CPU that has already translated and checked. */
  read64Trusted(pa: number): number {
    const f = Math.floor(pa / 4096);
    const chunk = this.chunks[f >>> CHUNK_SHIFT];
    const w = chunk === undefined ? undefined : chunk[f & (FRAMES_PER_CHUNK - 1)];
    if (w === undefined) return 0;
    const i = (pa - f * 4096) >>> 2;
    return (w[i + 1]! | 0) * TWO_32 + w[i]!;
  }

  /** Exact 64-bit word at the 8-byte-aligned `pa`. */
  readU64(pa: number): bigint {
    const f = this.frameOf(pa, 8);
    const w = this.words(f);
    if (w === undefined) return 0n;
    const i = (pa - f * 4096) >>> 2;
    return (BigInt(w[i + 1]!) << 32n) | BigInt(w[i]!);
  }

  /** Store the low 64 bits of `value` at the 8-byte-aligned `pa`. */
  writeU64(pa: number, value: bigint): void {
    const f = this.frameOf(pa, 8);
    const v = BigInt.asUintN(64, value);
    const w = this.wordsForWrite(f);
    const i = (pa - f * 4096) >>> 2;
    w[i] = Number(v & 0xffffffffn);
    w[i + 1] = Number(v >> 32n);
  }

  /** Validate `pa` for an access of `size` bytes and return its frame. */
  private frameOf(pa: number, size: number): number {
    if (!(pa >= 0 && pa < this.bytes) || !Number.isInteger(pa)) {
      throw new RangeError(`physical address ${formatAddress(pa)} is outside memory (${this.bytes} bytes)`);
    }
    if ((pa & (size - 1)) !== 0) throw new RangeError(`physical address ${formatAddress(pa)} is not ${size}-byte aligned`);
    return Math.floor(pa / 4096);
  }

  private checkFrame(frame: number): void {
    if (!Number.isInteger(frame) || frame < 0 || frame >= this.frameCount) {
      throw new RangeError(`frame ${frame} is outside physical memory (${this.frameCount} frames)`);
    }
  }
}
