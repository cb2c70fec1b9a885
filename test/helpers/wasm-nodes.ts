// SPDX-License-Identifier: GPL-2.0-only
/* Test helper: the spec every vmap-node wasm core (kernel/mm/vmalloc/as/linux-6.12.ts, linux-7.3.ts) meets against its TypeScript port. */
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KernelBug } from '../../kernel/include/asm-generic/bug.js';
import { IS_ERR, errname } from '../../kernel/include/linux/errno.js';
import { hex, type ulong } from '../../kernel/include/u64.js';
import { defaultEnv, nullHooks, type VmallocHooks, type VmapAllocator } from '../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../kernel/mm/vmalloc/index.js';
import { wasm_allocator, wasm_area } from '../../kernel/mm/vmalloc/wasm/binding.js';
import { readText } from '../../scripts/lib/read-text.js';
import { goldenDir } from '../../scripts/lib/paths.js';
import { replayGoldenTrace } from '../../scripts/replay/golden.js';
import { type GoldenTrace, parseGolden } from '../../scripts/replay/golden-format.js';
import { parseOpStream, runStream, runStreamCoreLoop, type StreamName } from '../../scripts/bench/allocator.js';
import { allocN, VMALLOC_END_5LEVEL, VMALLOC_START_5LEVEL, wasmCore } from './wasm.js';

const P = 0x1000n;
const VS = VMALLOC_START_5LEVEL;
const VE = VMALLOC_END_5LEVEL;

/** The 6.1 golden traces: linux-6.12 and linux-7.3 have none of their own (data/golden). */
const FILES = readdirSync(goldenDir())
  .filter((f) => f.startsWith('linux-6.1.') && f.endsWith('.trace.gz'))
  .sort()
  .map((f) => join(goldenDir(), f));

/** Hooks recording flushes, purges, warnings and the three trace events, in tracefs words. */
export function tracer(events: string[], extra: Partial<VmallocHooks> = {}): VmallocHooks {
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
 * counter must be the same. The port is the oracle: its behaviour is
 * tested against the 6.1 golden traces and the real traces
 * (test/kernel/mm/vmalloc/<version>.test.ts).
 */
function sideBySide(version: string, t: GoldenTrace, ncpu: number, extra: (ev: string[]) => Partial<VmallocHooks> = () => ({})): { ops: number; mismatch: string | null; port: VmapAllocator; core: VmapAllocator } {
  const mk = (name: string) => {
    const ev: string[] = [];
    return { a: getVersion(name).create(defaultEnv({ ncpu, hooks: tracer(ev, extra(ev)) })), ev, byIdx: new Map<number, ulong>() };
  };
  const x = mk(version);
  const y = mk(`${version}@wasm`);
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

/**
 * The spec of a vmap-node wasm core (linux-6.12, linux-7.3), shared by
 * test/kernel/mm/vmalloc/as/<version>.test.ts: the version's TypeScript
 * port is the oracle (its behaviour is tested against the 6.1 golden
 * traces and the real traces in test/kernel/mm/vmalloc/<version>.test.ts).
 * `lines`: the upstream lines of decode_vn_id's warning and of the first
 * BUG_ON of alloc_vmap_area() in that version's mm/vmalloc.c.
 */
export function describeVmapNodeCore(version: string, lines: { decode_vn_id: number; bug_aligned: number }): void {
describe(`${version} wasm core (kernel/mm/vmalloc/as/${version}.ts)`, () => {
  it(`is registered as ${version}@wasm`, () => {
    expect(getVersion(`${version}@wasm`).create(defaultEnv({ ncpu: 1 }))).to.be.instanceOf(wasm_allocator);
  });

  describe(`the align-1 golden traces of linux-6.1, which the port replays exactly, replayed on ${version}@wasm`, () => {
    for (const f of FILES.filter((x) => x.includes('lazy-churn'))) {
      it(`replays ${f.slice(f.lastIndexOf('/') + 1)} exactly (results, events, state lines)`, () => {
        const t = parseGolden(f, readText(f));
        (t.header as { variant: string }).variant = version;
        const r = replayGoldenTrace(t, { wasm: true });
        expect(r.divergence, r.divergence ? `${r.divergence.what} at op ${r.divergence.op}` : '').to.equal(null);
        expect(r.variant).to.equal(`${version}@wasm`);
        expect(r.ops).to.equal(6000);
      });
    }
  });

  for (const ncpu of [1, 4]) {
    describe(`op for op with the TypeScript port on every golden op stream, ${ncpu} CPU${ncpu > 1 ? 's' : ''} (results, events, state, areas, touches)`, () => {
      for (const f of FILES) {
        it(`agrees on ${f.slice(f.lastIndexOf('/') + 1)}`, () => {
          const d = sideBySide(version, parseGolden(f, readText(f)), ncpu);
          expect(d.mismatch, d.mismatch ?? '').to.equal(null);
          expect(d.ops).to.be.greaterThan(500);
        });
      }
    });
  }

  describe('reports', () => {
    it(`a wrong node id in va->flags as the kernel's warning with its line (decode_vn_id, ${lines.decode_vn_id}), once, as the port reports it`, () => {
      const run = (name: string): string[] => {
        const events: string[] = [];
        const a = getVersion(name).create(defaultEnv({ ncpu: 1, hooks: tracer(events) }));
        const va = a.alloc_vmap_area(0x3000, 0x1000, -0x370000000000, -0x170000000001) // in the 4-level range;
        if (IS_ERR(va)) throw new Error(errname(va));
        // A stray writer puts node id 254 + 1 into va->flags (one node here).
        if (va instanceof wasm_area) new DataView((a as wasm_allocator).core.x.memory.buffer).setUint32(va.ptr + ((a as wasm_allocator).core.x.OFFSETOF_VA_FLAGS!.value as number), 0xff00, true);
        else (va as unknown as { flags: number }).flags = 0xff00;
        events.length = 0;
        a.free_unmap_vmap_area(va);
        a.purge_vmap_area_lazy();
        return events;
      };
      const core = run(`${version}@wasm`);
      expect(core.filter((e) => e.startsWith('warn'))).to.deep.equal([`warn decode_vn_id:${lines.decode_vn_id}`]);
      expect(core).to.deep.equal(run(version));
    });

    it('the old BUG_ON cases of 6.1 as -EINVAL, as 6.12 and later return them', () => {
      const { c } = wasmCore(version, VS, VE);
      expect(allocN(c, 0n, P, VS, VE)).to.equal(-22n);
      expect(allocN(c, P + 1n, P, VS, VE)).to.equal(-22n);
      expect(allocN(c, P, 3n, VS, VE)).to.equal(-22n);
    });

    it('a BUG_ON as a KernelBug with version, function, line and condition, the core\'s memory kept for the report', () => {
      // The BUG_ONs (6.12 on) check what the search guarantees, so no request
      // reaches them: the test plays a stray writer instead. The vmap_area
      // slab is LIFO, so the next allocation's area is the one just freed;
      // when the allocation takes its node's busy lock (after writing
      // va_start, before the BUG_ONs) the writer moves va_start off the page.
      let armed = false;
      let target = 0;
      let core: ReturnType<typeof wasmCore>['c'] | null = null;
      const hooks = {
        ...nullHooks(),
        spin_lock: (l: string) => {
          if (!armed || l !== 'vn->busy.lock' || !core) return;
          armed = false;
          const w = new DataView(core.x.memory.buffer);
          const at = target + (core.x.OFFSETOF_VA_START.value as number);
          w.setUint32(at, w.getUint32(at, true) + 8, true);
        },
      };
      const { c } = wasmCore(version, VS, VE, hooks);
      core = c;
      const p = c.allocU64(P, P, VS, VE);
      c.allocU64(P, P, VS, VE); // keeps p from merging with the block above it
      c.x.op_free(p); // merged into the free block below: p goes back to the slab, on top
      target = p;
      armed = true;
      expect(() => c.allocU64(P, P, VS, VE))
        .to.throw(KernelBug)
        .that.includes({ version: `${version}@wasm`, func: 'alloc_vmap_area', line: lines.bug_aligned, cond: '!IS_ALIGNED(va->va_start, align)' });
      expect(c.list(0).map((va) => c.vaStartU64(va).toString(16))).to.deep.equal([(VS + 8n).toString(16), (VS + P).toString(16)]); // the busy list as the BUG left it
    });
  });

  it('takes and drops the per-node locks in the port\'s order, node by node (4 CPUs, a lazy-churn prefix)', () => {
    const f = FILES.find((x) => x.includes('lazy-churn.s1')) as string;
    const t = parseGolden(f, readText(f));
    t.blocks.splice(2500);
    const seq = (ev: string[]): Partial<VmallocHooks> => ({
      spin_lock: (l, i) => ev.push(`lock ${l}${i ? ` ${(i as { id?: number; key?: string }).id ?? (i as { key: string }).key.slice(3)}` : ''}`),
      spin_unlock: (l, i) => ev.push(`unlock ${l}${i ? ` ${(i as { id?: number; key?: string }).id ?? (i as { key: string }).key.slice(3)}` : ''}`),
      mutex_lock: (l) => ev.push(`mutex_lock ${l}`),
      mutex_unlock: (l) => ev.push(`mutex_unlock ${l}`),
    });
    const d = sideBySide(version, t, 4, seq);
    expect(d.mismatch, d.mismatch ?? '').to.equal(null);
  });

  describe('work items', () => {
    /*
     * Four CPUs, twelve lazily freed areas of 0x2010 pages outside the
     * vmalloc range (no node ids: each sits in its address's node, zones of
     * 16 pages, so the k-th lands in node k % 4). lazy_max_pages() is
     * fls(4) * 8192 = 24576 pages; 12 * 0x2010 = 98496 pages pending makes
     * nr_purge_helpers = clamp(98496 / 24576 = 4, 1, 4) - 1 = 3: nodes 0, 1
     * and 2 go to the kworkers of CPUs 0, 1, 2 and node 3 is purged inline.
     */
    const SIZE = 0x2010000;
    const run = (name: string, kworkers: boolean): { events: string[]; state: string; lazy: number } => {
      const events: string[] = [];
      const queued = new Map<object, () => void>();
      const drains: (() => void)[] = [];
      const extra: Partial<VmallocHooks> = {
        schedule_work: (fn) => {
          events.push('schedule_work drain_vmap_work');
          drains.push(fn);
        },
      };
      if (kworkers) {
        extra.schedule_work_on = (cpu, work, fn) => {
          events.push(`schedule_work_on ${cpu}`);
          queued.set(work, fn);
        };
        extra.flush_work = (work) => {
          const fn = queued.get(work);
          events.push(`flush_work ${fn ? 'runs it' : 'nothing queued'}`);
          if (!fn) return false;
          queued.delete(work);
          fn();
          return true;
        };
      }
      const a = getVersion(name).create(defaultEnv({ ncpu: 4, hooks: tracer(events, extra) }));
      const vs = -0x370000000000 + 0x1000; // VMALLOC_START + one page: not the vmalloc range, no pools
      const vas = [];
      for (let k = 0; k < 12; k++) {
        const va = a.alloc_vmap_area(SIZE, 0x1000, vs, -0x170000000001);
        if (IS_ERR(va)) throw new Error(errname(va));
        vas.push(va);
      }
      for (const va of vas) a.free_unmap_vmap_area(va);
      const lazy = a.vmap_lazy_nr;
      a.purge_vmap_area_lazy();
      for (const fn of drains) fn();
      return { events, state: a.golden_state(), lazy };
    };

    for (const kworkers of [true, false]) {
      it(`hands nodes 0-2 to helper work items and purges node 3 inline, as the port does (${kworkers ? 'kworkers run them at flush_work' : 'no kworkers: flush_work runs them'})`, () => {
        const core = run(`${version}@wasm`, kworkers);
        expect(core.lazy).to.equal(98496);
        if (kworkers) {
          expect(core.events.filter((e) => e.startsWith('schedule_work_on') || e.startsWith('flush_work'))).to.deep.equal([
            'schedule_work_on 0',
            'schedule_work_on 1',
            'schedule_work_on 2',
            'flush_work runs it',
            'flush_work runs it',
            'flush_work runs it',
          ]);
        }
        expect(core.events.filter((e) => e.startsWith('purge '))[0]).to.match(/ 12$/); // all twelve purged by the one reclaim
        expect(core.events.filter((e) => e === 'schedule_work drain_vmap_work')).to.have.length(10); // frees 3 to 12: 3 * 0x2010 = 24624 > 24576 pages
        expect(core).to.deep.equal(run(version, kworkers));
      });
    }
  });

  describe('the bench streams (1,000,000 ops each): as many touches per allocation as the port', () => {
    for (const stream of ['lazy-churn', 'random-mixed'] as StreamName[]) {
      it(`on ${stream}, driven through the binding and with the loop inside the core`, function () {
        this.timeout(300000);
        const file = `${goldenDir()}/bench-${stream}.ops.gz`;
        const s = parseOpStream(file, readText(file));
        const port = runStream(version, s);
        const core = runStream(`${version}@wasm`, s);
        const loop = runStreamCoreLoop((getVersion(`${version}@wasm`).create(defaultEnv({ ncpu: 1 })) as wasm_allocator).core, s);
        expect(port.ops).to.equal(1000000);
        expect(core.touches).to.equal(port.touches);
        expect(loop.touches).to.equal(port.touches);
      });
    }
  });
});
}
