// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_MANIFESTS, capsOf, deriveManifest, findManifest, getManifest } from '../../../kernel/manifest/index.js';
import { KERNELS, API_ERAS } from '../../../kernel/mm/vmalloc/api/index.js';
import { defaultEnv } from '../../../kernel/mm/vmalloc/common.js';
import { createAllocator, VERSIONS } from '../../../kernel/mm/vmalloc/index.js';
import { FIRST_FIT_RULES } from '../../../scripts/check/first-fit.js';
import { CHECK_VARIANTS } from '../../../scripts/check/contenders.js';
import { NATIVE_SOURCES } from '../../../scripts/bench/native.js';

describe('kernel manifests', () => {
  it('declare every kernel once: versions, composite kernels and check variants', () => {
    const names = BUILTIN_MANIFESTS.map((m) => m.name);
    expect(new Set(names).size).to.equal(names.length);
    expect(names).to.include.members(['linux-2.6.35', 'linux-2.6.35-02b709df', 'linux-6.1+fc1e0d980037', 'linux-6.12', 'linux-2.6.39-nick-le', 'linux-3.18-liu-purged']);
    expect(BUILTIN_MANIFESTS.filter((m) => m.kind === 'version').map((m) => m.name)).to.deep.equal(VERSIONS.map((v) => v.name));
    expect(KERNELS.map((k) => k.name)).to.deep.equal(BUILTIN_MANIFESTS.filter((m) => m.machine).map((m) => m.name));
    expect(Object.keys(CHECK_VARIANTS)).to.deep.equal(['linux-2.6.35-nick-v1', 'linux-2.6.35-minchan', 'linux-2.6.39-nick-le', 'linux-3.18-liu-purged']);
  });

  it('give every kernel of the machine an API layer and an allocator that exist', () => {
    for (const k of KERNELS) {
      expect(API_ERAS.map((e) => e.name), k.name).to.include(k.api);
      expect(findManifest(k.allocator), k.name).to.not.equal(undefined);
    }
  });

  it('name the fair class of each kernel of the machine: CFS before 6.6, EEVDF with voluntary preemption for Debian 6.12, with lazy preemption for 7.3', () => {
    const fair = Object.fromEntries(KERNELS.map((k) => [k.name, k.sched]));
    expect(fair['linux-2.6.35']).to.equal('cfs');
    expect(fair['linux-5.2']).to.equal('cfs');
    expect(fair['linux-6.1']).to.equal('cfs');
    expect(fair['linux-6.12']).to.equal('eevdf');
    expect(fair['linux-7.3']).to.equal('eevdf-lazy');
  });

  it('give linux-6.12 its first-fit rule (no gap, the free tree space), and every version one', () => {
    expect(FIRST_FIT_RULES['linux-6.12']).to.deep.equal({ version: 'linux-6.12', gapAfter: 0, strictBefore: false, freeTreeSpace: true });
    expect(Object.keys(FIRST_FIT_RULES)).to.deep.equal(VERSIONS.map((v) => v.name));
  });

  it('list the C sides from the manifests', () => {
    expect(NATIVE_SOURCES).to.deep.equal({
      'linux-2.6.35': 'linux-2.6.35.c',
      'mmotm-2010-vmap-cache-v1': 'mmotm-2010-vmap-cache-v1.c',
      'linux-2.6.39': 'linux-2.6.39.c',
      'linux-3.18': 'linux-3.18.c',
      'linux-5.2': 'linux-5.2.c',
      'linux-6.1': 'linux-6.1.c',
      'linux-6.12': 'linux-6.12.c',
      'linux-7.3': 'linux-7.3.c',
    });
  });

  it('attach the manifest capabilities to the allocators they create', () => {
    const a = createAllocator('linux-5.2', defaultEnv());
    expect(capsOf(a)?.lazy).to.equal('llist');
    expect(capsOf(a)?.vaFlags52).to.equal(true);
    expect(capsOf(createAllocator('linux-6.12', defaultEnv()))?.busy).to.equal('vmap-nodes');
  });

  it('point every provenance string into docs/sources.md, at an anchor the document has, never at a machine path', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'sources.md'), 'utf8');
    for (const m of BUILTIN_MANIFESTS)
      for (const source of [m.source, m.apiLayer?.source].filter((s): s is string => s !== undefined)) {
        const anchor = /docs\/sources\.md#([\w.+-]+)/.exec(source);
        expect(anchor, `${m.name}: ${source}`).to.not.equal(null);
        expect(doc, `${m.name}: ${source}`).to.contain(`<a id="${(anchor as RegExpExecArray)[1]}"></a>`);
        expect(source, m.name).to.not.match(/\/tmp\/|\/work\/|\/root\/|\/home\/|\/ref\//);
      }
  });

  it('derive a variant from a kernel: its own name, the base\'s machine and capabilities', () => {
    const base = getManifest('linux-2.6.39');
    const m = deriveManifest('linux-2.6.39', { name: 'mine-test', file: '/tmp/mine-test.ts', create: base.allocator.create });
    expect(m.kind).to.equal('variant');
    expect(m.base).to.equal('linux-2.6.39');
    expect(m.machine?.api).to.equal('linux-2.6.39');
    expect(m.allocator.caps).to.deep.equal(base.allocator.caps);
    expect(() => getManifest('linux-9.9')).to.throw(/unknown kernel "linux-9.9" \(known: linux-2.6.35, /);
  });
});
