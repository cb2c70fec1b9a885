// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parser for the golden trace format (data/golden/FORMAT.md,
 * "vmap-golden 1"): a header of `# key: value` lines, then one block per
 * operation (op line, `!` event lines, `=` state line), then `# end:`.
 * Every problem is an InputError naming the file, the line and the field.
 */

import { parseHex, type ulong } from '../../kernel/include/u64.js';
import { InputError } from '../lib/input-error.js';

export const HEADER_KEYS = [
  'format',
  'variant',
  'source',
  'ncpu',
  'lazy_max_pages',
  'vmalloc_start',
  'vmalloc_end',
  'page_size',
  'workload',
  'seed',
  'nops',
  'param',
  'size_includes_guard_page',
] as const;

export interface GoldenHeader {
  format: string;
  variant: string;
  source: string;
  ncpu: number;
  lazy_max_pages: number;
  vmalloc_start: ulong;
  vmalloc_end: ulong;
  page_size: number;
  workload: string;
  seed: number;
  nops: number;
  param: number;
  size_includes_guard_page: string;
}

export type GoldenOp =
  | { kind: 'a'; size: ulong; align: ulong; vstart: ulong; vend: ulong; result: { addr: ulong } | 'EBUSY' | 'BUG' }
  | { kind: 'f'; addr: ulong }
  | { kind: 'l'; addr: ulong }
  | { kind: 'p' };

export interface GoldenBlock {
  /** 1-based line number of the op line. */
  line: number;
  /** The op line as written. */
  text: string;
  op: GoldenOp;
  /** Event lines as written, without the leading "! ". */
  events: string[];
  /** State line body, without the leading "= ". */
  state: string;
  stateLine: number;
}

export interface GoldenTrace {
  file: string;
  header: GoldenHeader;
  blocks: GoldenBlock[];
  end: { status: 'ok' | 'bug'; ops: number; line: number };
}

const DEC_RE = /^[0-9]+$/;
const EVENT_RE = /^(flush [0-9a-f]{1,16} [0-9a-f]{1,16}|purged [0-9]+|bug \S+:[0-9]+ .+|warn \S+:[0-9]+ .+)$/;

function hexField(file: string, line: number, field: string, s: string | undefined): ulong {
  if (s === undefined) throw new InputError(file, line, `missing ${field}`);
  const v = parseHex(s);
  if (v === null) throw new InputError(file, line, `${field}: bad hex "${s}"`);
  return v;
}

function decField(file: string, line: number, field: string, s: string): number {
  if (!DEC_RE.test(s)) throw new InputError(file, line, `${field}: expected a decimal number, got "${s}"`);
  return Number(s);
}

function parseOp(file: string, line: number, text: string): GoldenOp {
  const w = text.split(' ');
  switch (w[0]) {
    case 'a': {
      if (w.length !== 7 || w[5] !== '->')
        throw new InputError(file, line, `alloc line: expected "a SIZE ALIGN VSTART VEND -> RESULT", got "${text}"`);
      const size = hexField(file, line, 'SIZE', w[1]);
      const align = hexField(file, line, 'ALIGN', w[2]);
      const vstart = hexField(file, line, 'VSTART', w[3]);
      const vend = hexField(file, line, 'VEND', w[4]);
      const r = w[6];
      const result = r === 'EBUSY' || r === 'BUG' ? r : { addr: hexField(file, line, 'result ADDR', r) };
      return { kind: 'a', size, align, vstart, vend, result };
    }
    case 'f':
    case 'l':
      if (w.length !== 2) throw new InputError(file, line, `free line: expected "${w[0]} ADDR", got "${text}"`);
      return { kind: w[0], addr: hexField(file, line, 'ADDR', w[1]) };
    case 'p':
      if (w.length !== 1) throw new InputError(file, line, `purge line: expected "p", got "${text}"`);
      return { kind: 'p' };
    default:
      throw new InputError(file, line, `unknown op "${w[0]}" (expected a, f, l or p)`);
  }
}

/** Parse a whole golden trace from its text. */
export function parseGolden(file: string, text: string): GoldenTrace {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  let i = 0;
  // Filled for every key by the loop below (or it throws), before any is read.
  const h = {} as Record<(typeof HEADER_KEYS)[number], string>;
  for (const key of HEADER_KEYS) {
    const ln = i + 1;
    const l = lines[i];
    if (l === undefined) throw new InputError(file, ln, `header ends early: missing "# ${key}:"`);
    const m = /^# ([a-z_]+): (.*)$/.exec(l);
    if (!m) throw new InputError(file, ln, `bad header line, expected "# ${key}: VALUE", got "${l}"`);
    if (m[1] !== key) throw new InputError(file, ln, `header field "${m[1]}" where "${key}" was expected`);
    h[key] = m[2]!;
    i++;
  }
  if (h.format !== 'vmap-golden 1') throw new InputError(file, 1, `format: expected "vmap-golden 1", got "${h.format}"`);
  const header: GoldenHeader = {
    format: h.format,
    variant: h.variant,
    source: h.source,
    ncpu: decField(file, 4, 'ncpu', h.ncpu),
    lazy_max_pages: hexField(file, 5, 'lazy_max_pages', h.lazy_max_pages),
    vmalloc_start: hexField(file, 6, 'vmalloc_start', h.vmalloc_start),
    vmalloc_end: hexField(file, 7, 'vmalloc_end', h.vmalloc_end),
    page_size: hexField(file, 8, 'page_size', h.page_size),
    workload: h.workload,
    seed: decField(file, 10, 'seed', h.seed),
    nops: decField(file, 11, 'nops', h.nops),
    param: decField(file, 12, 'param', h.param),
    size_includes_guard_page: h.size_includes_guard_page,
  };
  if (header.ncpu < 1) throw new InputError(file, 4, `ncpu: must be at least 1, got ${header.ncpu}`);
  if (header.page_size !== 0x1000) throw new InputError(file, 8, `page_size: only 1000 (4 KiB) is modelled, got ${h.page_size}`);

  const blocks: GoldenBlock[] = [];
  for (;;) {
    const ln = i + 1;
    const l = lines[i];
    if (l === undefined) throw new InputError(file, ln, 'trace ends without an "# end:" line (truncated?)');
    if (l.startsWith('# end: ')) {
      const m = /^# end: (ok|bug) ops=([0-9]+)$/.exec(l);
      if (!m) throw new InputError(file, ln, `bad end line "${l}"`);
      if (i + 1 < lines.length) throw new InputError(file, ln + 1, 'text after the "# end:" line');
      return { file, header, blocks, end: { status: m[1] as 'ok' | 'bug', ops: Number(m[2]), line: ln } };
    }
    const op = parseOp(file, ln, l);
    i++;
    const events: string[] = [];
    while (lines[i]?.startsWith('! ')) {
      const ev = lines[i]!.slice(2);
      if (!EVENT_RE.test(ev)) throw new InputError(file, i + 1, `bad event line "${lines[i]}"`);
      events.push(ev);
      i++;
    }
    const s = lines[i];
    if (s === undefined || !s.startsWith('= '))
      throw new InputError(file, i + 1, `expected a state line "= ..." after the op on line ${ln}, got ${s === undefined ? 'end of file' : `"${s}"`}`);
    blocks.push({ line: ln, text: l, op, events, state: s.slice(2), stateLine: i + 1 });
    i++;
  }
}
