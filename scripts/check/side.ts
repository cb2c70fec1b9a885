// SPDX-License-Identifier: GPL-2.0-only
/*
 * One side of a differential run: an allocator (a registry version, a
 * check-layer variant or the first-fit model) driven op by op, recording
 * what the golden format shows for each op (the op line with its result,
 * the events, the state line), so that the run can be printed as a trace
 * that `vmapsim replay` accepts.
 */

import { recordingHooks } from '../replay/golden.js';
import { isKernelBug } from '../../kernel/include/asm-generic/bug.js';
import { errname, IS_ERR } from '../../kernel/include/linux/errno.js';
import { hex, type ulong } from '../../kernel/include/u64.js';
import { type AllocatorSnapshot, defaultEnv, type VmallocHooks, type VmapAllocator } from '../../kernel/mm/vmalloc/common.js';
import { isErrPtr, type WasmCore, wasm_allocator } from '../../kernel/mm/vmalloc/wasm/binding.js';
import type { CheckOp } from './ops.js';

/** What one op did on one side. */
export interface OpOutcome {
  /** False for a free with nothing live (no trace line). */
  readonly ran: boolean;
  /** The golden op line, e.g. "a 2000 1 ffffc90000000000 ffffe8ffffffffff -> ffffc90000000000". */
  readonly line: string;
  /** "ADDR", "EBUSY" or "BUG" for allocations, "" otherwise. */
  readonly result: string;
  /** Event lines without "! ". */
  readonly events: readonly string[];
  /** The state line body. */
  readonly state: string;
  /** The BUG site ("FUNC:LINE COND") if one fired. */
  readonly bug: string | null;
}

export interface TraceBlock {
  readonly line: string;
  readonly events: readonly string[];
  readonly state: string;
}

/** Builds an allocator in an environment (the side's identity). */
export interface Contender {
  /** What the trace header's `variant:` says. */
  readonly variant: string;
  /** What the trace header's `source:` says. */
  readonly source: string;
  /** True if `vmapsim replay` can replay this side's trace (a registry version). */
  readonly replayable: boolean;
  create(ncpu: number, hooks: VmallocHooks): VmapAllocator;
}


/** No events (shared, never written). */
const NO_EVENTS: readonly string[] = Object.freeze([]);

/**
 * What `Side.apply` returns. The comparison reads numbers (the allocated
 * address, the freed area's start) and the few strings that are cheap
 * (errno names, events); the golden-format op line, result and state line
 * are built only when read: a divergence, the shrinker's report, a
 * recording side. A state line not built at once is built from the
 * allocator as the op left it, so it may be read only until the side runs
 * its next op (read later, it throws rather than print a later state).
 */
export class SideOutcome implements OpOutcome {
  private lineText: string | null = null;
  private stateText: string | null;

  constructor(
    private readonly side: Side,
    /** The side's op count once this op had run. */
    private readonly seq: number,
    private readonly op: CheckOp,
    readonly ran: boolean,
    /** 'addr' for an allocation that returned an area, the errno name or 'BUG' for one that did not, '' otherwise. */
    readonly resultKind: string,
    /** The allocated area's va_start (resultKind 'addr') or the freed area's va_start (f, l). */
    readonly addr: number,
    readonly events: readonly string[],
    state: string | null,
    readonly bug: string | null,
  ) {
    this.stateText = state;
  }

  get result(): string {
    return this.resultKind === 'addr' ? hex(this.addr) : this.resultKind;
  }

  get line(): string {
    if (this.lineText === null) {
      const op = this.op;
      if (!this.ran) this.lineText = '';
      else if (op.k === 'f' || op.k === 'l') this.lineText = `${op.k} ${hex(this.addr)}`;
      else if (op.k === 'a') this.lineText = `a ${hex(op.size)} ${hex(op.align)} ${hex(op.vstart)} ${hex(op.vend)} -> ${this.result}`;
      else this.lineText = 'p';
    }
    return this.lineText;
  }

  get state(): string {
    if (this.stateText === null) {
      if (this.side.ops !== this.seq) throw new Error(`${this.side.contender.variant}: the state line of op ${this.seq} was read after op ${this.side.ops} ran`);
      this.stateText = this.side.alloc.golden_state();
    }
    return this.stateText;
  }

  /** Build the state line now (before the side runs another op). */
  settle(): this {
    void this.state;
    return this;
  }

  /** Same result as `o` (what comparing the two golden result strings says: hex() is one-to-one). */
  sameResult(o: SideOutcome): boolean {
    return this.resultKind === o.resultKind && (this.resultKind !== 'addr' || this.addr === o.addr);
  }
}

export class Side {
  readonly alloc: VmapAllocator;
  /**
   * Live areas' starts, oldest first, taken when each was allocated: the
   * golden generator keeps addresses, not structs, and so must a side. Two
   * live areas can share a start (the top-of-space overlaps), and freeing by
   * address may then free the other one; a struct kept here could by then
   * be a wasm core's reused memory.
   */
  readonly live: ulong[] = [];
  /** The trace so far (ops that ran). */
  readonly blocks: TraceBlock[] = [];
  /** Set once a BUG fired: the allocator is not usable afterwards. */
  bug: string | null = null;
  /** Ops applied so far (skipped frees included). */
  ops = 0;
  private readonly events: string[] = [];
  /**
   * The allocator's wasm core when its entry points are wasm_allocator's
   * own (none overridden): apply() then calls the core as those methods do,
   * without an area object per op. Null otherwise (ports, and cores whose
   * class overrides an entry point).
   */
  private readonly core: WasmCore | null;

  constructor(
    readonly contender: Contender,
    readonly ncpu: number,
    /** Keep the trace blocks (off on the campaign's hot path). */
    readonly record = true,
    /** Build each op's state line when the op runs (else only when it is read, see SideOutcome). */
    readonly eagerState = record,
  ) {
    this.alloc = contender.create(ncpu, recordingHooks(this.events));
    this.core = directCore(this.alloc);
  }

  snapshot(): AllocatorSnapshot {
    return this.alloc.snapshot();
  }

  /** Hand back the allocator's instance (a wasm core's, docs/wasm.md "Instances"): the side is done, nothing of it is read afterwards. */
  release(): void {
    this.alloc.release?.();
  }

  /** Run one op. Call only while no BUG has fired. */
  apply(op: CheckOp): SideOutcome {
    const a = this.alloc;
    const core = this.core;
    const events = this.events;
    if (events.length !== 0) events.length = 0;
    const seq = ++this.ops;
    let kind = '';
    let addr = 0;
    if (op.k === 'f' || op.k === 'l') {
      if (this.live.length === 0) return new SideOutcome(this, seq, op, false, '', 0, NO_EVENTS, '', null);
      const j = op.i % this.live.length;
      addr = this.live[j]!;
      this.live.splice(j, 1);
    }
    try {
      switch (op.k) {
        case 'a': {
          if (core) {
            // wasm_allocator.alloc_vmap_area(), the area read by its address.
            const p = core.alloc(op.size, op.align, op.vstart, op.vend);
            if (isErrPtr(p)) kind = errname(p);
            else {
              kind = 'addr';
              addr = core.vaStart(p);
              this.live.push(addr);
            }
            break;
          }
          const va = a.alloc_vmap_area(op.size, op.align, op.vstart, op.vend);
          if (IS_ERR(va)) kind = errname(va);
          else {
            kind = 'addr';
            addr = va.va_start;
            this.live.push(addr);
          }
          break;
        }
        case 'f':
        case 'l': {
          // As the golden generator does: look the area up by its address.
          if (core) {
            // wasm_allocator.find_vmap_area() and free_vmap_area() / free_unmap_vmap_area().
            const p = core.find(addr);
            if (!p) throw new Error(`${this.contender.variant}: find_vmap_area(${hex(addr)}) found no live area`);
            if (op.k === 'f') core.x.op_free(p);
            else core.x.op_free_lazy(p);
            break;
          }
          const va = a.find_vmap_area(addr);
          if (!va) throw new Error(`${this.contender.variant}: find_vmap_area(${hex(addr)}) found no live area`);
          if (op.k === 'f') a.free_vmap_area(va);
          else a.free_unmap_vmap_area(va);
          break;
        }
        case 'p':
          a.purge_vmap_area_lazy();
          break;
      }
    } catch (e) {
      if (!isKernelBug(e)) throw e;
      events.push(`bug ${e.site}`);
      this.bug = e.site;
      if (op.k === 'a') kind = 'BUG';
    }
    const ev = events.length === 0 ? NO_EVENTS : events.slice();
    const o = new SideOutcome(this, seq, op, true, kind, addr, ev, this.eagerState ? a.golden_state() : null, this.bug);
    if (this.record) this.blocks.push({ line: o.line, events: ev, state: o.state });
    return o;
  }

  /** The golden-format text of the run so far. */
  trace(meta: { workload: string; seed: number }): string {
    const env = defaultEnv();
    const out: string[] = [
      '# format: vmap-golden 1',
      `# variant: ${this.contender.variant}`,
      `# source: ${this.contender.source}`,
      `# ncpu: ${this.ncpu}`,
      `# lazy_max_pages: ${hex(this.alloc.lazy_max_pages())}`,
      `# vmalloc_start: ${hex(env.VMALLOC_START)}`,
      `# vmalloc_end: ${hex(env.VMALLOC_END)}`,
      '# page_size: 1000',
      `# workload: ${meta.workload}`,
      `# seed: ${meta.seed}`,
      `# nops: ${this.blocks.length}`,
      '# param: 0',
      '# size_includes_guard_page: yes',
    ];
    for (const b of this.blocks) {
      out.push(b.line);
      for (const e of b.events) out.push(`! ${e}`);
      out.push(`= ${b.state}`);
    }
    const done = this.bug ? this.blocks.length - 1 : this.blocks.length;
    out.push(`# end: ${this.bug ? 'bug' : 'ok'} ops=${done}`);
    return out.join('\n') + '\n';
  }
}

/** The allocator's core if it is a wasm_allocator whose op entry points are the class's own (see Side.core). */
function directCore(a: VmapAllocator): WasmCore | null {
  if (!(a instanceof wasm_allocator)) return null;
  const own = wasm_allocator.prototype;
  const same = a.alloc_vmap_area === own.alloc_vmap_area && a.find_vmap_area === own.find_vmap_area && a.free_vmap_area === own.free_vmap_area && a.free_unmap_vmap_area === own.free_unmap_vmap_area;
  return same ? a.core : null;
}
