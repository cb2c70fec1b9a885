// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vmapsim replay --check`: run a golden trace's operations on the version
 * its header names and check every invariant after every operation. The
 * op-by-op comparison with the trace is `vmapsim replay`'s job (it runs
 * first); this pass only drives the same operations and checks.
 */

import { isKernelBug } from '../../kernel/include/asm-generic/bug.js';
import { defaultEnv, nullHooks } from '../../kernel/mm/vmalloc/common.js';
import { findVersion } from '../../kernel/mm/vmalloc/index.js';
import { EXIT_DIVERGED, EXIT_OK } from '../lib/exit.js';
import { InputError, isInputError } from '../lib/input-error.js';
import { readText } from '../lib/read-text.js';
import { parseGolden } from '../replay/golden-format.js';
import { checkInvariants, dumpTrees } from './invariants.js';

export interface CheckedReplay {
  readonly file: string;
  readonly ops: number;
  /** Null when every invariant held after every op. */
  readonly violation: { readonly op: number; readonly line: number; readonly messages: string[]; readonly report: string } | null;
}

const RECENT = 8;

/** Replay one trace file with the invariant checker after every op. */
export function replayWithInvariants(file: string): CheckedReplay {
  const trace = parseGolden(file, readText(file));
  const info = findVersion(trace.header.variant);
  if (!info) throw new InputError(file, 2, `variant: unknown version "${trace.header.variant}"`);
  const a = info.create(defaultEnv({ ncpu: trace.header.ncpu, VMALLOC_START: trace.header.vmalloc_start, VMALLOC_END: trace.header.vmalloc_end, hooks: nullHooks() }));
  const recent: string[] = [];
  let ops = 0;
  for (const b of trace.blocks) {
    recent.push(`${b.line}: ${b.text}`);
    if (recent.length > RECENT) recent.shift();
    try {
      const op = b.op;
      if (op.kind === 'a') a.alloc_vmap_area(op.size, op.align, op.vstart, op.vend);
      else if (op.kind === 'p') a.purge_vmap_area_lazy();
      else {
        const va = a.find_vmap_area(op.addr);
        if (!va) break; // the replay proper reports this
        if (op.kind === 'f') a.free_vmap_area(va);
        else a.free_unmap_vmap_area(va);
      }
    } catch (e) {
      if (isKernelBug(e)) break; // the allocator is not usable after a BUG
      throw e;
    }
    ops++;
    const m = checkInvariants(a);
    if (m.length) {
      const report = [
        `${file}:${b.line}: invariant violated after op ${ops} (${trace.header.variant}):`,
        ...m.map((x) => `  ${x}`),
        'last operations:',
        ...recent.map((x) => `  ${x}`),
        dumpTrees(a),
      ].join('\n');
      return { file, ops, violation: { op: ops, line: b.line, messages: m, report } };
    }
  }
  return { file, ops, violation: null };
}

/**
 * The invariant pass of `vmapsim replay --check`: every file's operations
 * with the checker after each. Files the replay could not read are left to
 * its own message. Returns the exit status.
 */
export function replayInvariantPass(files: string[], out: (s: string) => void, err: (s: string) => void, quiet = false): number {
  let status = EXIT_OK;
  for (const f of files) {
    try {
      const r = replayWithInvariants(f);
      if (r.violation) {
        status = EXIT_DIVERGED;
        err(r.violation.report);
      } else if (!quiet) out(`${f}: invariants hold after each of ${r.ops} ops`);
    } catch (e) {
      if (!isInputError(e)) throw e;
    }
  }
  return status;
}
