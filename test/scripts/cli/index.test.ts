// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMMANDS } from '../../../scripts/cli/index.js';

const CLI = join(import.meta.dirname, '..', '..', '..', 'scripts', 'cli');
/** The files of scripts/cli/ that are not a subcommand: the shape, the list, and the shared parsers. */
const INFRASTRUCTURE = ['args.ts', 'command.ts', 'costs.ts', 'index.ts', 'kernels.ts'];

describe('the list of vmapsim subcommands', () => {
  const files = readdirSync(CLI).filter((f) => f.endsWith('.ts') && !INFRASTRUCTURE.includes(f));

  it('holds the command of every other file of scripts/cli/, each once', async () => {
    const exported = await Promise.all(files.map(async (f) => ((await import(pathToFileURL(join(CLI, f)).href)) as { command?: unknown }).command));
    for (const [i, c] of exported.entries()) expect(c, `${files[i]} exports command`).to.not.equal(undefined);
    for (const [i, c] of exported.entries()) expect(COMMANDS.filter((x) => x === c), `${files[i]} listed once`).to.have.length(1);
    expect(COMMANDS).to.have.length(files.length);
  });

  it('names each file after the words of its command', () => {
    const names = files.map((f) => f.replace(/\.ts$/, '')).sort();
    expect(COMMANDS.map((c) => c.path.join('-')).sort()).to.deep.equal(names);
  });

  it('lists a parent before its subcommands', () => {
    COMMANDS.forEach((c, i) => {
      if (c.path.length === 2) expect(COMMANDS.slice(0, i).map((p) => p.path.join(' ')), c.path.join(' ')).to.include(c.path[0]);
    });
  });
});
