// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { formatBench, NATIVE, OpStream, parseOpStream, runStream, StreamName } from '../../../scripts/bench/allocator';
import { buildNative, NATIVE_SOURCES, packStream, runNative, writePacked } from '../../../scripts/bench/native';
import { goldenDir } from '../../../scripts/lib/paths';
import { readText } from '../../../scripts/lib/read-text';

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
    expect(() => runNative(built('linux-2.6.35'), __filename)).to.throw(/exit 2.*not a packed op stream/);
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
      it(`does exactly the kernel's work: ${version} on ${stream} touches as often as the issue's figure, and as the port on a prefix`, function () {
        this.timeout(180000);
        const s = load(stream);
        const bin = built(version);
        const full = runNative(bin, writePacked(s));
        expect(full.ops).to.equal(1000000);
        expect((full.touches / s.nallocs).toFixed(1)).to.equal(NATIVE[version][stream].touchesPerAlloc.toFixed(1));
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
});
