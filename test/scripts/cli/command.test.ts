// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { Command } from 'commander';
import { type CliCommand, registerCommands, rewriteReplacedFlags } from '../../../scripts/cli/command.js';

const nop = (): void => {};
const sub = (path: CliCommand['path'], replaces?: CliCommand['replaces']): CliCommand => ({ path, summary: path.join(' '), replaces, define: nop, action: nop });
const COMMANDS = [sub(['bench']), sub(['bench', 'gfs2'], { flag: '--gfs2' }), sub(['replay']), sub(['replay', 'tracefs'], { flag: '--tracefs', value: 'TRACE' })];

describe('the subcommands of vmapsim', () => {
  describe('an old flag that chose another job', () => {
    it('becomes the subcommand, its options kept in order, with one notice on stderr', () => {
      const said: string[] = [];
      expect(rewriteReplacedFlags(['bench', '--kernel', 'linux-6.1', '--gfs2', '--json'], COMMANDS, (s) => said.push(s))).to.deep.equal(['bench', 'gfs2', '--kernel', 'linux-6.1', '--json']);
      expect(said).to.deep.equal(['vmapsim: `bench --gfs2` is deprecated and goes in the next release: use `vmapsim bench gfs2`']);
    });

    it("gives its value to the subcommand as the first argument, written apart or with '='", () => {
      for (const words of [
        ['replay', '--before', 'b.txt', '--tracefs', 't.gz'],
        ['replay', '--before', 'b.txt', '--tracefs=t.gz'],
      ])
        expect(rewriteReplacedFlags(words, COMMANDS, nop)).to.deep.equal(['replay', 'tracefs', 't.gz', '--before', 'b.txt']);
    });

    it('is left alone under another command, and the new spelling passes unchanged and silent', () => {
      const said: string[] = [];
      expect(rewriteReplacedFlags(['run', 'x', '--gfs2'], COMMANDS, (s) => said.push(s))).to.deep.equal(['run', 'x', '--gfs2']);
      expect(rewriteReplacedFlags(['bench', 'gfs2', '--json'], COMMANDS, (s) => said.push(s))).to.deep.equal(['bench', 'gfs2', '--json']);
      expect(said).to.deep.equal([]);
    });
  });

  it('are registered by one loop, a subcommand under its parent, the hidden ones out of --help', () => {
    const program = new Command();
    registerCommands(program, [...COMMANDS, { ...sub(['child']), hidden: true }], { out: nop, err: nop });
    expect(program.commands.map((c) => c.name())).to.deep.equal(['bench', 'replay', 'child']);
    expect(program.commands[0]?.commands.map((c) => c.name())).to.deep.equal(['gfs2']);
    expect(program.helpInformation()).to.not.contain('child');
  });

  it('refuses a subcommand registered before its parent', () => {
    expect(() => registerCommands(new Command(), [sub(['bench', 'gfs2'])], { out: nop, err: nop })).to.throw(/before "bench"/);
  });
});
