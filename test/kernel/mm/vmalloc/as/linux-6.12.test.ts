// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KernelBug } from '../../../../../kernel/include/asm-generic/bug';
import { IS_ERR, errname } from '../../../../../kernel/include/linux/errno';
import { hex, ulong } from '../../../../../kernel/include/u64';
import { defaultEnv, nullHooks, VmallocHooks, VmapAllocator } from '../../../../../kernel/mm/vmalloc/common';
import { getVersion } from '../../../../../kernel/mm/vmalloc/index';
import { wasm_allocator } from '../../../../../kernel/mm/vmalloc/wasm/binding';
import { readText } from '../../../../../scripts/lib/read-text';
import { goldenDir } from '../../../../../scripts/lib/paths';
import { replayGoldenTrace } from '../../../../../scripts/replay/golden';
import { GoldenTrace, parseGolden } from '../../../../../scripts/replay/golden-format';
import { allocN, M64, VMALLOC_END_5LEVEL, VMALLOC_START_5LEVEL, wasmCore } from '../../../../helpers/wasm';

const P = 0x1000n;
const VS = VMALLOC_START_5LEVEL;
const VE = VMALLOC_END_5LEVEL;

/** The 6.1 golden traces: linux-6.12 has none of its own (data/golden). */
const FILES = readdirSync(goldenDir())
  .filter((f) => f.startsWith('linux-6.1.') && f.endsWith('.trace.gz'))
  .sort()
  .map((f) => join(goldenDir(), f));

/** Hooks recording flushes, purges, warnings and the three trace events, in tracefs words. */
function tracer(events: string[], extra: Partial<VmallocHooks> = {}): VmallocHooks {
  const hooks = nullHooks();
  hooks.flush_tlb_kernel_range = (s, e) => events.push(`flush ${hex(s)} ${hex(e)}`);
  hooks.purged = (n) => events.push(`purged ${n}`);
  hooks.warn = (w) => events.push(`warn ${w.func}:${w.line}`);
  hooks.trace_alloc_vmap_area = (addr, size, align, vs, ve, failed) => events.push(`alloc ${hex(addr)} ${hex(size)} ${hex(align)} ${hex(vs)} ${hex(ve)} failed=${failed}`);
  hooks.trace_free_vmap_area_noflush = (s, nr, max) => events.push(`free ${hex(s)} nr_lazy=${nr} nr_lazy_max=${max}`);
  hooks.trace_purge_vmap_area_lazy = (s, e, n) => events.push(`purge ${hex(s)} ${hex(e)} ${n}`);
  return { ...hooks, ...extra };
}

/**
 * A golden op stream on the TypeScript port and on the core side by side,
 * every request included: after each op the result, the events (flushes,
 * purges, warnings, trace events), the state line, the areas and the touch
 * counter must be the same. The port is the oracle: its 6.12 behaviour is
 * tested against the 6.1 golden traces and the real 6.12 trace
 * (test/kernel/mm/vmalloc/linux-6.12.test.ts).
 */
function sideBySide(t: GoldenTrace, ncpu: number, extra: (ev: string[]) => Partial<VmallocHooks> = () => ({})): { ops: number; mismatch: string | null; port: VmapAllocator; core: VmapAllocator } {
  const mk = (name: string) => {
    const ev: string[] = [];
    return { a: getVersion(name).create(defaultEnv({ ncpu, hooks: tracer(ev, extra(ev)) })), ev, byIdx: new Map<number, ulong>() };
  };
  const x = mk('linux-6.12');
  const y = mk('linux-6.12@wasm');
  const golden = new Map<string, number>();
  let idx = 0;
  let ops = 0;
  for (const b of t.blocks) {
    const op = b.op;
    const outs: string[] = [];
    for (const s of [x, y]) {
      s.ev.length = 0;
      let res = '';
      if (op.kind === 'a') {
        const va = s.a.alloc_vmap_area(op.size, op.align, op.vstart, op.vend);
        res = IS_ERR(va) ? errname(va) : hex(va.va_start);
        if (!IS_ERR(va)) s.byIdx.set(idx, va.va_start);
      } else if (op.kind === 'f' || op.kind === 'l') {
        const k = golden.get(hex(op.addr));
        const addr = k === undefined ? undefined : s.byIdx.get(k);
        if (addr === undefined) continue;
        const va = s.a.find_vmap_area(addr);
        if (!va) return { ops, mismatch: `${t.file}:${b.line}: ${s.a.version} lost ${hex(addr)}`, port: x.a, core: y.a };
        if (op.kind === 'f') s.a.free_vmap_area(va);
        else s.a.free_unmap_vmap_area(va);
        s.byIdx.delete(k as number);
      } else s.a.purge_vmap_area_lazy();
      const snap = s.a.snapshot();
      outs.push(`${res} [${s.ev.join(', ')}] ${s.a.golden_state()} areas=${snap.areas.map((r) => `${hex(r.start)}-${hex(r.end)}${r.state[0]}`).join(',')} touches=${s.a.touches}`);
    }
    if (op.kind === 'a') {
      if (typeof op.result === 'object') golden.set(hex(op.result.addr), idx);
      idx++;
    } else if (op.kind === 'f' || op.kind === 'l') golden.delete(hex(op.addr));
    if (outs.length === 2) {
      ops++;
      if (outs[0] !== outs[1]) return { ops, mismatch: `${t.file}:${b.line}: ${b.text}\n  port: ${outs[0]}\n  core: ${outs[1]}`, port: x.a, core: y.a };
    }
  }
  return { ops, mismatch: null, port: x.a, core: y.a };
}

describe('linux-6.12 wasm core (kernel/mm/vmalloc/as/linux-6.12.ts)', () => {
  it('is registered as linux-6.12@wasm', () => {
    expect(getVersion('linux-6.12@wasm').create(defaultEnv({ ncpu: 1 }))).to.be.instanceOf(wasm_allocator);
  });

  describe('the align-1 golden traces of linux-6.1, which the port replays exactly, replayed on linux-6.12@wasm', () => {
    for (const f of FILES.filter((x) => x.includes('lazy-churn'))) {
      it(`replays ${f.slice(f.lastIndexOf('/') + 1)} exactly (results, events, state lines)`, () => {
        const t = parseGolden(f, readText(f));
        (t.header as { variant: string }).variant = 'linux-6.12';
        const r = replayGoldenTrace(t, { wasm: true });
        expect(r.divergence, r.divergence ? `${r.divergence.what} at op ${r.divergence.op}` : '').to.equal(null);
        expect(r.variant).to.equal('linux-6.12@wasm');
        expect(r.ops).to.equal(6000);
      });
    }
  });

  for (const ncpu of [1, 4]) {
    describe(`op for op with the TypeScript port on every golden op stream, ${ncpu} CPU${ncpu > 1 ? 's' : ''} (results, events, state, areas, touches)`, () => {
      for (const f of FILES) {
        it(`agrees on ${f.slice(f.lastIndexOf('/') + 1)}`, () => {
          const d = sideBySide(parseGolden(f, readText(f)), ncpu);
          expect(d.mismatch, d.mismatch ?? '').to.equal(null);
          expect(d.ops).to.be.greaterThan(500);
        });
      }
    });
  }
});
