// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { listCommand } from '../../../scripts/report/list.js';

describe('scripts/report/list: vmapsim list', () => {
  const text = (): string[] => {
    const lines: string[] = [];
    listCommand({}, (s) => lines.push(s));
    return lines;
  };

  it('lists every wasm core by its @wasm name, saying which boot under their version\'s API layer', () => {
    const lines = text();
    const at = lines.findIndex((l) => l.startsWith('Wasm cores (NAME@wasm'));
    expect(at).to.be.greaterThan(0);
    const cores = lines.slice(at + 1).map((l) => l.trim().split(/\s+/)[0]);
    expect(cores).to.include.members(['linux-2.6.35@wasm', 'linux-2.6.39@wasm', 'linux-3.18@wasm', 'linux-5.2@wasm', 'linux-6.1@wasm', 'linux-6.12@wasm', 'linux-7.3@wasm', 'linux-3.18-liu-purged@wasm']);
    expect(lines.find((l) => l.trim().startsWith('linux-6.1@wasm '))).to.match(/run \(under its version's API layer\)$/);
    expect(lines.find((l) => l.trim().startsWith('linux-5.2@wasm '))).to.match(/run \(under its version's API layer\)$/);
    expect(lines.find((l) => l.trim().startsWith('linux-6.12@wasm '))).to.match(/run \(under its version's API layer\)$/);
    expect(lines.find((l) => l.trim().startsWith('linux-7.3@wasm '))).to.match(/run \(under its version's API layer\)$/);
    expect(lines.find((l) => l.trim().startsWith('linux-3.18@wasm '))).to.match(/run \(under its version's API layer\)$/);
    expect(lines.find((l) => l.trim().startsWith('linux-3.18-liu-purged@wasm '))).to.match(/ check$/);
  });

  it('gives the same cores in --json', () => {
    let json = '';
    listCommand({ json: true }, (s) => (json += s));
    const cores = (JSON.parse(json) as { wasmCores: { name: string; variant: boolean; boots: boolean }[] }).wasmCores;
    expect(cores.find((c) => c.name === 'linux-2.6.35@wasm')).to.deep.equal({ name: 'linux-2.6.35@wasm', variant: false, boots: true });
    expect(cores.find((c) => c.name === 'linux-7.3@wasm')).to.deep.equal({ name: 'linux-7.3@wasm', variant: false, boots: true });
    expect(cores.find((c) => c.name === 'linux-3.18-liu-purged@wasm')).to.deep.equal({ name: 'linux-3.18-liu-purged@wasm', variant: true, boots: false });
  });
});
