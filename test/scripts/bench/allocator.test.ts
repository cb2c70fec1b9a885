// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { InputError } from '../../../scripts/lib/input-error.js';
import { goldenDir } from '../../../scripts/lib/paths.js';
import { NATIVE, type OpStream, parseOpStream, runStream, runStreamCoreBatched, runStreamCoreLoop, type StreamName } from '../../../scripts/bench/allocator.js';
import { defaultEnv } from '../../../kernel/mm/vmalloc/common.js';
import { getVersion } from '../../../kernel/mm/vmalloc/index.js';
import { wasm_allocator } from '../../../kernel/mm/vmalloc/wasm/binding.js';
import { readText } from '../../../scripts/lib/read-text.js';
import { baseOfWasm } from '../../../kernel/manifest/index.js';

describe('bench (allocator-only replay of the 1,000,000-op streams)', () => {
  it('parses a stream into ops, numbering the allocations in order', () => {
    const s = parseOpStream('s.ops', '# comment\na 2000 1 ffffc90000000000 ffffe8ffffffffff\na 1000 1000 ffffc90000000000 ffffe8ffffffffff\nl 0\nf 1\np\n');
    expect(s.nallocs).to.equal(2);
    expect([...s.code]).to.deep.equal([0, 0, 2, 1, 3]);
    expect([...s.arg.slice(0, 4)]).to.deep.equal([0, 1, 0, 1]);
    expect(s.size[1]).to.equal(0x1000);
    expect(s.vend[0]).to.equal(-0x170000000001);
  });

  it('names the file, line and field of bad input', () => {
    const bad: [string, RegExp][] = [
      ['a 2000 1 ffffc90000000000\n', /^s\.ops:1: expected "a SIZE ALIGN VSTART VEND"/],
      ['a 2000 1 ffffc9000000000g ffffe8ffffffffff\n', /^s\.ops:1: VSTART: bad hex "ffffc9000000000g"/],
      ['# c\nf 0\n', /^s\.ops:2: IDX 0 names no earlier allocation/],
      ['a 2000 1 0 ffff\nx 0\n', /^s\.ops:2: unknown op "x"/],
    ];
    for (const [text, msg] of bad) expect(() => parseOpStream('s.ops', text)).to.throw(InputError, msg);
  });

  it('replays a small stream and counts the rb_entry/list_entry evaluations of each allocation', () => {
    // Two areas in an empty 2.6.35 tree. The first finds no tree: 0 touches.
    // The second: the search's descent reads the first area (1) and rb_next
    // finds nothing after it; __insert_vmap_area's descent reads it again (1);
    // rb_prev() gives it back as the list neighbour (1). In all 3.
    const s = parseOpStream('s.ops', 'a 2000 1 ffffc90000000000 ffffe8ffffffffff\na 2000 1 ffffc90000000000 ffffe8ffffffffff\n');
    expect(runStream('linux-2.6.35', s).touches).to.equal(3);
  });

  it('counts the kernel\'s touches with the replay loop inside the linux-6.1 wasm core too', function () {
    this.timeout(120000);
    const s = load('lazy-churn');
    const a = getVersion('linux-6.1@wasm').create(defaultEnv({ ncpu: 1 })) as wasm_allocator;
    const m = runStreamCoreLoop(a.core, s);
    expect(m.ops).to.equal(1000000);
    expect((m.touches / s.nallocs).toFixed(1)).to.equal(NATIVE['linux-6.1']!['lazy-churn'].touchesPerAlloc.toFixed(1));
    expect(m.cpuNs, 'the replay\'s CPU time, ns').to.be.a('number').and.not.be.NaN;
  });

  it('counts the kernel\'s touches through the batched binding of the linux-6.1 wasm core, batches of 256 and of 7 operations', function () {
    this.timeout(120000);
    const s = load('random-mixed');
    for (const batch of [256, 7]) {
      const a = getVersion('linux-6.1@wasm').create(defaultEnv({ ncpu: 1 })) as wasm_allocator;
      const m = runStreamCoreBatched(a.core, s, batch);
      expect(m.ops).to.equal(1000000);
      expect((m.touches / s.nallocs).toFixed(1), `batch ${batch}`).to.equal(NATIVE['linux-6.1']!['random-mixed'].touchesPerAlloc.toFixed(1));
    }
  });

  it('counts the kernel\'s touches with the replay loop inside the linux-3.18 wasm core (the cache era) too', function () {
    this.timeout(120000);
    const s = load('lazy-churn');
    const a = getVersion('linux-3.18@wasm').create(defaultEnv({ ncpu: 1 })) as wasm_allocator;
    const m = runStreamCoreLoop(a.core, s);
    expect(m.ops).to.equal(1000000);
    expect((m.touches / s.nallocs).toFixed(1)).to.equal(NATIVE['linux-3.18']!['lazy-churn'].touchesPerAlloc.toFixed(1));
  });

  it('counts the same 3 touches through the wasm core of linux-2.6.35', () => {
    const s = parseOpStream('s.ops', 'a 2000 1 ffffc90000000000 ffffe8ffffffffff\na 2000 1 ffffc90000000000 ffffe8ffffffffff\n');
    expect(runStream('linux-2.6.35@wasm', s).touches).to.equal(3);
  });

  // The kernel's own alloc_vmap_area, instrumented the same way, gave these
  // counts (NATIVE); the streams that replay in a second or two are checked
  // here, the slow linear ones by `vmapsim bench`.
  const fast: [string, StreamName][] = [
    ['mmotm-2010-vmap-cache-v1', 'lazy-churn'],
    ['linux-2.6.39', 'lazy-churn'],
    ['linux-3.18', 'lazy-churn'],
    ['linux-5.2', 'lazy-churn'],
    ['linux-5.2', 'random-mixed'],
    ['linux-6.1', 'lazy-churn'],
    ['linux-6.1', 'random-mixed'],
    // The wasm cores (docs/wasm.md) against their versions' C.
    ['linux-2.6.35@wasm', 'lazy-churn'],
    ['linux-6.1@wasm', 'lazy-churn'],
    ['linux-6.1@wasm', 'random-mixed'],
    ['mmotm-2010-vmap-cache-v1@wasm', 'lazy-churn'],
    ['linux-2.6.39@wasm', 'lazy-churn'],
    ['linux-3.18@wasm', 'lazy-churn'],
  ];
  const parsed = new Map<StreamName, OpStream>();
  const load = (stream: StreamName): OpStream => {
    const file = `${goldenDir()}/bench-${stream}.ops.gz`;
    if (!parsed.has(stream)) parsed.set(stream, parseOpStream(file, readText(file)));
    return parsed.get(stream) as OpStream;
  };
  for (const [version, stream] of fast)
    it(`counts as many touches per allocation as the kernel's own code: ${version} on ${stream}`, function () {
      this.timeout(120000);
      const s = load(stream);
      const m = runStream(version, s);
      expect(m.ops).to.equal(1000000);
      expect((m.touches / s.nallocs).toFixed(1)).to.equal(NATIVE[baseOfWasm(version)]![stream].touchesPerAlloc.toFixed(1));
    });
});
