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
import { hex } from '../../kernel/include/u64.js';
import { type AllocatorSnapshot, defaultEnv, type VmallocHooks, type VmapAllocator, type vmap_area_common } from '../../kernel/mm/vmalloc/common.js';
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


export class Side {
  readonly alloc: VmapAllocator;
  /** Live areas, oldest first. */
  readonly live: vmap_area_common[] = [];
  /** The trace so far (ops that ran). */
  readonly blocks: TraceBlock[] = [];
  /** Set once a BUG fired: the allocator is not usable afterwards. */
  bug: string | null = null;
  private readonly events: string[] = [];

  constructor(
    readonly contender: Contender,
    readonly ncpu: number,
    /** Keep the trace blocks (off on the campaign's hot path). */
    readonly record = true,
  ) {
    this.alloc = contender.create(ncpu, recordingHooks(this.events));
  }

  snapshot(): AllocatorSnapshot {
    return this.alloc.snapshot();
  }

  /** Run one op. Call only while no BUG has fired. */
  apply(op: CheckOp): OpOutcome {
    const a = this.alloc;
    const events = this.events;
    events.length = 0;
    let line: string;
    let result = '';
    let target: vmap_area_common | null = null;
    if (op.k === 'f' || op.k === 'l') {
      if (this.live.length === 0) return { ran: false, line: '', result: '', events: [], state: '', bug: null };
      const j = op.i % this.live.length;
      target = this.live[j]!;
      this.live.splice(j, 1);
      line = `${op.k} ${hex(target.va_start)}`;
    } else if (op.k === 'a') line = `a ${hex(op.size)} ${hex(op.align)} ${hex(op.vstart)} ${hex(op.vend)} -> `;
    else line = 'p';
    try {
      switch (op.k) {
        case 'a': {
          const va = a.alloc_vmap_area(op.size, op.align, op.vstart, op.vend);
          if (IS_ERR(va)) result = errname(va);
          else {
            result = hex(va.va_start);
            this.live.push(va);
          }
          break;
        }
        case 'f':
        case 'l': {
          // As the golden generator does: look the area up by its address.
          const va = a.find_vmap_area((target as vmap_area_common).va_start);
          if (!va) throw new Error(`${this.contender.variant}: find_vmap_area(${hex((target as vmap_area_common).va_start)}) found no live area`);
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
      if (op.k === 'a') result = 'BUG';
    }
    if (op.k === 'a') line += result;
    const state = a.golden_state();
    const ev = events.slice();
    if (this.record) this.blocks.push({ line, events: ev, state });
    return { ran: true, line, result, events: ev, state, bug: this.bug };
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
