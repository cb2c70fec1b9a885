// SPDX-License-Identifier: GPL-2.0-only
/**
 * A physical frame allocator: what the kernel layer's page allocator stands on. Freed
 * frames are reused last-in first-out (like a per-CPU hot page list) and keep their old
 * contents unless the caller asks for a zeroed frame, so stale-TLB reads of a freed page
 * see whatever its next owner wrote.
 */

import { PhysicalMemory } from './physmem.js';

/** Options for FrameAllocator.alloc. */
export interface FrameAllocOptions {
  /** Zero the frame (as __GFP_ZERO / page-table pages do). Default false. */
  readonly zero?: boolean;
}

/** Hands out and takes back 4 KiB physical frames. */
export class FrameAllocator {
  private readonly mem: PhysicalMemory;
  private readonly state: Uint8Array;
  private readonly freeList: number[] = [];
  private nextFresh: number;
  private live = 0;
  private peakLive = 0;

  /** Frames below `reserved` are never handed out (frame 0 by default). */
  constructor(mem: PhysicalMemory, reserved = 1) {
    this.mem = mem;
    this.state = new Uint8Array(mem.frameCount);
    this.nextFresh = reserved;
    this.state.fill(1, 0, reserved);
  }

  /** Frames currently allocated. */
  get allocated(): number {
    return this.live;
  }

  /** Most frames ever allocated at once. */
  get peak(): number {
    return this.peakLive;
  }

  /** Frames that could still be allocated. */
  get available(): number {
    return this.mem.frameCount - this.nextFresh + this.freeList.length;
  }

  /** Allocate one frame; null when physical memory is exhausted. */
  alloc(options: FrameAllocOptions = {}): number | null {
    let frame: number;
    if (this.freeList.length > 0) {
      frame = this.freeList.pop() as number;
    } else if (this.nextFresh < this.mem.frameCount) {
      frame = this.nextFresh++;
    } else {
      return null;
    }
    this.state[frame] = 1;
    if (++this.live > this.peakLive) this.peakLive = this.live;
    if (options.zero === true) this.mem.zeroFrame(frame);
    return frame;
  }

  /** Return `frame`; its contents stay until it is reused. Freeing twice is an error. */
  free(frame: number): void {
    if (!Number.isInteger(frame) || frame < 0 || frame >= this.mem.frameCount) {
      throw new RangeError(`frame ${frame} is outside physical memory (${this.mem.frameCount} frames)`);
    }
    if (this.state[frame] !== 1) throw new Error(`frame ${frame} is freed but it is not allocated`);
    this.state[frame] = 0;
    this.live--;
    this.freeList.push(frame);
  }

  /** Whether `frame` is currently allocated (reserved frames count as allocated). */
  isAllocated(frame: number): boolean {
    return this.state[frame] === 1;
  }
}
