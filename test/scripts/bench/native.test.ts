// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import fc from 'fast-check';
import { isKernelBug } from '../../../kernel/include/asm-generic/bug.js';
import { IS_ERR } from '../../../kernel/include/linux/errno.js';
import { hex } from '../../../kernel/include/u64.js';
import { defaultEnv, type vmap_area_common } from '../../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../../kernel/mm/vmalloc/index.js';
import { VE, VS } from '../../../scripts/check/ops.js';
import { formatBench, NATIVE, type OpStream, parseOpStream, runStream, type StreamName } from '../../../scripts/bench/allocator.js';
import { buildNative, NATIVE_SOURCES, packStream, runNative, runNativeTrace, writePacked } from '../../../scripts/bench/native.js';
import { goldenDir } from '../../../scripts/lib/paths.js';
import { readText } from '../../../scripts/lib/read-text.js';

describe('bench, C here (the kernel\'s allocators compiled with gcc -O2 and replayed in the same run)', () => {
  const built = (version: string): string => {
    const b = buildNative(version);
    expect(b, 'gcc is part of this machine class (node-gyp toolchain)').to.have.property('path');
    return (b as { path: string }).path;
  };

  it('packs a stream into the flat form the C driver reads, u64 values as the kernel holds them', () => {
    const s = parseOpStream('s.ops', 'a 2000 1 ffffc90000000000 ffffe8ffffffffff\nl 0\np\n');
    const b = packStream(s);
    expect(b.toString('latin1', 0, 8)).to.equal('VMAPOPS1');
    expect([b.readUInt32LE(8), b.readUInt32LE(12)]).to.deep.equal([3, 1]);
    expect([...b.subarray(16, 19)]).to.deep.equal([0, 2, 3]);
    // codes padded to 8 bytes, then arg[3] padded to 16 bytes, then size, align, vstart, vend
    expect(b.readUInt32LE(24 + 4)).to.equal(0);
    expect(b.readBigUInt64LE(40)).to.equal(0x2000n);
    expect(b.readBigUInt64LE(48)).to.equal(1n);
    expect(b.readBigUInt64LE(56)).to.equal(0xffffc90000000000n);
    expect(b.readBigUInt64LE(64)).to.equal(0xffffe8ffffffffffn);
    expect(b.length).to.equal(72);
  });

  it('counts the same touches as the port on a small stream: three for 2.6.35\'s second allocation, counted by hand', function () {
    this.timeout(60000);
    // As in the allocator test: on 2.6.35 the second allocation reads the
    // first area in the search's descent, in the insertion's descent and via
    // rb_prev(). Every C side must count what its port counts.
    const s = parseOpStream('s.ops', 'a 2000 1 ffffc90000000000 ffffe8ffffffffff\na 2000 1 ffffc90000000000 ffffe8ffffffffff\n');
    expect(runNative(built('linux-2.6.35'), writePacked(s)).touches).to.equal(3);
    for (const version of Object.keys(NATIVE_SOURCES)) {
      const r = runNative(built(version), writePacked(s));
      expect(r.touches, version).to.equal(runStream(version, s).touches);
      expect(r.ops).to.equal(2);
    }
  });

  it('says, in one line, that a file is not a packed stream', () => {
    expect(() => runNative(built('linux-2.6.35'), import.meta.filename)).to.throw(/exit 2.*not a packed op stream/);
  });

  const streams = new Map<StreamName, OpStream>();
  const load = (stream: StreamName): OpStream => {
    const file = `${goldenDir()}/bench-${stream}.ops.gz`;
    if (!streams.has(stream)) streams.set(stream, parseOpStream(file, readText(file)));
    return streams.get(stream) as OpStream;
  };
  const prefix = (s: OpStream, n: number): OpStream => ({ ...s, code: s.code.subarray(0, n), arg: s.arg.subarray(0, n) });

  for (const version of Object.keys(NATIVE_SOURCES))
    for (const stream of ['random-mixed', 'lazy-churn'] as StreamName[]) {
      it(`does exactly the kernel's work: ${version} on ${stream} touches as often as the issue's figure (or, with none, the port on the whole stream), and as the port on a prefix`, function () {
        this.timeout(180000);
        const s = load(stream);
        const bin = built(version);
        const full = runNative(bin, writePacked(s));
        expect(full.ops).to.equal(1000000);
        const issue = NATIVE[version]?.[stream];
        if (issue) expect((full.touches / s.nallocs).toFixed(1)).to.equal(issue.touchesPerAlloc.toFixed(1));
        else expect(full.touches).to.equal(runStream(version, s).touches);
        // Op for op: the first 30,000 ops give the port's exact touch count.
        const p = prefix(s, 30000);
        expect(runNative(bin, writePacked(p)).touches).to.equal(runStream(version, p).touches);
      });
    }

  it('prints the same-run figure and the port\'s ratio to it next to the issue\'s figure', () => {
    const text = formatBench([
      { version: 'linux-2.6.39', stream: 'lazy-churn', ops: 1e6, nsPerOp: 600, touchesPerAlloc: 28.2, ratio: 600 / 108, nativeNsPerOp: 108, nativeTouchesPerAlloc: 28.2, here: { nsPerOp: 150, touchesPerAlloc: 28.2, ratio: 4 } },
      { version: 'linux-5.2', stream: 'lazy-churn', ops: 1e6, nsPerOp: 500, touchesPerAlloc: 25.5, ratio: 500 / 59, nativeNsPerOp: 59, nativeTouchesPerAlloc: 25.5 },
    ]);
    expect(text).to.match(/C here\s+x C here/);
    expect(text).to.match(/linux-2\.6\.39\s+lazy-churn\s+600\s+108\s+5\.56x\s+28\.2\s+28\.2\s+150\s+4\.00x/);
    expect(text).to.match(/linux-5\.2\s+lazy-churn\s+500\s+59\s+8\.47x\s+25\.5\s+25\.5\s+-\s+-/);
    const bad = formatBench([
      { version: 'linux-2.6.35', stream: 'lazy-churn', ops: 1e6, nsPerOp: 600, touchesPerAlloc: 1079.8, ratio: null, nativeNsPerOp: 2685, nativeTouchesPerAlloc: 1079.8, here: { nsPerOp: 150, touchesPerAlloc: 1000, ratio: 4 } },
      { version: 'linux-2.6.39', stream: 'lazy-churn', ops: 1e6, nsPerOp: 600, touchesPerAlloc: 28.2, ratio: null, nativeNsPerOp: 108, nativeTouchesPerAlloc: 28.2, here: { missing: 'gcc not runnable (spawnSync gcc ENOENT)' } },
    ]);
    expect(bad).to.contain('the C side touched 1000.0 per allocation, not 1079.8');
    expect(bad).to.contain('C here not measured: gcc not runnable');
  });

  it('reports the C side\'s CPU time next to its wall time, as a number of nanoseconds', () => {
    const s = parseOpStream('s.ops', 'a 2000 1 ffffc90000000000 ffffe8ffffffffff\nl 0\np\n');
    const r = runNative(built('linux-6.1'), writePacked(s));
    expect(r.cpuNs).to.be.a('number').and.not.be.NaN;
    expect(r.cpuNs).to.be.at.least(0);
  });

  it('prints an "x C (CPU)" column for the per-op figure and for the wasm loop, the CPU-time ratios to the C side', () => {
    const text = formatBench([
      { version: 'linux-6.1', stream: 'lazy-churn', ops: 1e6, nsPerOp: 600, cpuNsPerOp: 500, touchesPerAlloc: 25.5, ratio: null, nativeNsPerOp: 42, nativeTouchesPerAlloc: 25.5, here: { nsPerOp: 50, cpuNsPerOp: 40, touchesPerAlloc: 25.5, ratio: 12 } },
      { version: 'linux-6.1@wasm', stream: 'lazy-churn', ops: 1e6, nsPerOp: 200, cpuNsPerOp: 160, loopNsPerOp: 90, loopCpuNsPerOp: 60, batchNsPerOp: 120, touchesPerAlloc: 25.5, ratio: null, nativeNsPerOp: 42, nativeTouchesPerAlloc: 25.5, here: { nsPerOp: 50, cpuNsPerOp: 40, touchesPerAlloc: 25.5, ratio: 4 } },
    ]);
    const [head, port, core] = text.split('\n');
    const cols = head!.trim().split(/\s{2,}/);
    expect(cols.filter((c) => c === 'x C (CPU)')).to.have.length(2);
    const cell = (line: string, k: number): string => line.trim().split(/\s{2,}/)[k]!;
    const first = cols.indexOf('x C (CPU)');
    const last = cols.lastIndexOf('x C (CPU)');
    // 500 / 40 and 160 / 40 per op; 60 / 40 with the loop inside wasm; the port has no loop.
    expect([cell(port!, first), cell(core!, first), cell(core!, last), cell(port!, last)]).to.deep.equal(['12.50x', '4.00x', '1.50x', '-']);
    expect(Number.parseFloat(cell(core!, last))).to.be.a('number').and.not.be.NaN;
  });
});

/*
 * The C sides compute in native unsigned 64-bit arithmetic; the ports in the
 * signed-double view of docs/u64.md. Fed the same random streams, with the
 * extremes that view has to get right (alignments up to 1 << 63, ranges
 * ending at ULONG_MAX, tiny windows), both must give every allocation the
 * same address (or -EBUSY) after the same number of touches, and BUG in the
 * same function.
 */
describe('bench C sides against the ports, op for op on random extreme streams (the u64 view against native arithmetic)', () => {
  const TOP = -0x100000; // 0xfffffffffff00000
  const ranges: [number, number][] = [
    [VS, VE],
    [VS, VS + 0x40000],
    [TOP, -1],
    [-0x2000000, -1],
  ];
  const op = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.constant('a' as const), fc.integer({ min: 1, max: 24 }), fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.integer({ min: 12, max: 22 }) }, { weight: 1, arbitrary: fc.integer({ min: 40, max: 63 }) }), fc.integer({ min: 0, max: ranges.length - 1 })) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('f' as const, 'l' as const), fc.nat()) },
    { weight: 1, arbitrary: fc.constant(['p' as const] as const) },
  );

  function stream(ops: readonly (readonly unknown[])[]): OpStream {
    // One page first, so that no stream is empty.
    const text: string[] = [`a 1000 1 ${hex(VS)} ${hex(VE)}`];
    let na = 1;
    for (const o of ops) {
      if (o[0] === 'a') {
        const [, pages, shift, r] = o as ['a', number, number, number];
        const align = 2 ** shift;
        text.push(`a ${hex(pages * 0x1000)} ${hex(shift === 63 ? -(2 ** 63) : align)} ${hex(ranges[r]![0])} ${hex(ranges[r]![1])}`);
        na++;
      } else if (o[0] === 'p') text.push('p');
      else if (na) text.push(`${o[0]} ${((o[1] as number) % na).toString(16)}`);
    }
    return parseOpStream('random.ops', text.join('\n') + '\n');
  }

  /** The port, driven the way the C driver's --trace mode drives its side. */
  function portTrace(version: string, s: OpStream): { lines: string[]; bug: boolean } {
    const a = getVersion(version).create(defaultEnv({ ncpu: 1 }));
    const live: (vmap_area_common | null)[] = new Array(s.nallocs).fill(null);
    const lines: string[] = [];
    for (let i = 0; i < s.code.length; i++) {
      const k = s.arg[i]!;
      try {
        if (s.code[i] === 0) {
          const t0 = a.touches;
          const va = a.alloc_vmap_area(s.size[k]!, s.align[k]!, s.vstart[k]!, s.vend[k]!);
          live[k] = IS_ERR(va) ? null : va;
          lines.push(IS_ERR(va) ? `a EBUSY ${a.touches - t0}` : `a ${hex(va.va_start)} ${a.touches - t0}`);
        } else if (s.code[i] === 1 || s.code[i] === 2) {
          const va = live[k];
          live[k] = null;
          if (va) (s.code[i] === 1 ? a.free_vmap_area(va) : a.free_unmap_vmap_area(va));
        } else a.purge_vmap_area_lazy();
      } catch (e) {
        if (!isKernelBug(e)) throw e;
        lines.push(`BUG ${e.func}`);
        return { lines, bug: true };
      }
    }
    return { lines, bug: false };
  }

  for (const version of Object.keys(NATIVE_SOURCES))
    it(`${version}: the same addresses, failures, touches and BUGs`, function () {
      this.timeout(120000);
      const bin = (buildNative(version) as { path: string }).path;
      expect(bin, 'gcc is part of this machine class').to.be.a('string');
      fc.assert(
        fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
          const s = stream(ops);
          expect(runNativeTrace(bin, writePacked(s))).to.deep.equal(portTrace(version, s));
        }),
        { numRuns: 60, seed: 11 },
      );
    });
});
