// SPDX-License-Identifier: GPL-2.0-only
/*
 * Read /proc/vmallocinfo as 6.x kernels print it (vmalloc_info_show and
 * show_purge_info in mm/vmalloc.c):
 *
 *   0xSTART-0xEND SIZE CALLER [pages=N] [phys=...] [ioremap] [vmalloc] ... [N0=...]
 *   0xSTART-0xEND SIZE vm_map_ram
 *   0xSTART-0xEND SIZE unpurged vm_area
 *
 * END and SIZE include the guard page, so END - START = SIZE. Busy areas and
 * vm_map_ram ranges are allocated; "unpurged vm_area" lines are lazily freed
 * ranges not yet purged (one line each, never merged). With several vmap
 * nodes the busy lines come node by node, so the result is sorted here; an
 * overlap is bad input.
 */

import { hex, ult, type ulong } from '../../../kernel/include/u64.js';
import { InputError } from '../../lib/input-error.js';

export interface VmallocinfoArea {
  readonly start: ulong;
  readonly end: ulong;
  /** "busy": a vm area; "vm_map_ram": allocated without one; "lazy": unpurged. */
  readonly kind: 'busy' | 'vm_map_ram' | 'lazy';
  /** The caller symbol (busy areas), e.g. "irq_init_percpu_irqstack+0xf4/0x130". */
  readonly caller: string;
  /** The rest of the line after the size. */
  readonly info: string;
  /** 1-based line. */
  readonly line: number;
}

export interface Vmallocinfo {
  readonly file: string;
  /** Address sorted. */
  readonly areas: VmallocinfoArea[];
}

const LINE_RE = /^0x([0-9a-f]{1,16})-0x([0-9a-f]{1,16})\s+(\d+)(?:\s+(.*))?$/;

function addrOf(file: string, line: number, what: string, digits: string): ulong {
  const v = BigInt('0x' + digits);
  const s = BigInt.asIntN(64, v);
  const n = Number(s);
  if (BigInt(n) !== s) throw new InputError(file, line, `${what} 0x${digits} cannot be held exactly`);
  return n + 0;
}

/** Parse /proc/vmallocinfo text. */
export function parseVmallocinfo(file: string, text: string): Vmallocinfo {
  const rows = text.split('\n');
  const areas: VmallocinfoArea[] = [];
  for (const [k, row] of rows.entries()) {
    const lineNo = k + 1;
    const raw = row.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const m = LINE_RE.exec(raw.trim());
    if (!m) throw new InputError(file, lineNo, `not a vmallocinfo line (expected "0xSTART-0xEND SIZE ..."): ${raw.trim().slice(0, 80)}`);
    const start = addrOf(file, lineNo, 'start', m[1]!);
    const end = addrOf(file, lineNo, 'end', m[2]!);
    const size = Number(m[3]);
    const info = (m[4] ?? '').trim();
    if (!ult(start, end)) throw new InputError(file, lineNo, `end 0x${m[2]} is not above start 0x${m[1]}`);
    if (end - start !== size) throw new InputError(file, lineNo, `size ${m[3]} is not end - start (${end - start})`);
    if ((start % 0x1000) !== 0 || (size % 0x1000) !== 0) throw new InputError(file, lineNo, `range 0x${m[1]}-0x${m[2]} is not page aligned`);
    let kind: VmallocinfoArea['kind'];
    let caller = '';
    if (info === 'unpurged vm_area') kind = 'lazy';
    else if (info === 'vm_map_ram') kind = 'vm_map_ram';
    else {
      if (info === '') throw new InputError(file, lineNo, 'no caller or kind after the size');
      kind = 'busy';
      caller = info.split(/\s+/)[0]!;
    }
    areas.push({ start, end, kind, caller, info, line: lineNo });
  }
  areas.sort((x, y) => (x.start === y.start ? 0 : ult(x.start, y.start) ? -1 : 1));
  for (let k = 1; k < areas.length; k++) {
    const p = areas[k - 1]!;
    const a = areas[k]!;
    if (ult(a.start, p.end))
      throw new InputError(file, a.line, `0x${hex(a.start)}-0x${hex(a.end)} overlaps 0x${hex(p.start)}-0x${hex(p.end)} (line ${p.line})`);
  }
  return { file, areas };
}
