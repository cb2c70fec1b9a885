// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { InputError } from '../../../scripts/lib/input-error.js';
import { kernelFile, preloadKernelFiles } from '../../../scripts/lib/load-kernel.js';

/** What kernelFile throws for a file, or null. */
function thrown(file: string): unknown {
  try {
    kernelFile(file);
    return null;
  } catch (e) {
    return e;
  }
}

describe('scripts/lib/load-kernel: variant files are loaded before the command line is parsed', () => {
  it('keeps the one-line error of a file --kernel names, for the option parser to report', async () => {
    await preloadKernelFiles(['check', '--kernel', 'linux-6.12,/nonexistent/a.ts', '--against', 'linux-6.1']);
    const e = thrown('/nonexistent/a.ts');
    expect(e).to.be.instanceOf(InputError);
    expect((e as Error).message).to.equal('/nonexistent/a.ts: no such kernel file');
  });

  it('reads the --against=FILE spelling too', async () => {
    await preloadKernelFiles(['check', '--kernel', 'linux-6.12', '--against=/nonexistent/b.ts']);
    expect((thrown('/nonexistent/b.ts') as Error).message).to.equal('/nonexistent/b.ts: no such kernel file');
  });

  it('loads nothing for the words of other flags', async () => {
    await preloadKernelFiles(['run', './two-cpu-churn.ts', '--html', '/nonexistent/c.ts']);
    const e = thrown('/nonexistent/c.ts');
    expect(e).to.be.instanceOf(InputError);
    expect((e as Error).message).to.match(/^\/nonexistent\/c\.ts: a variant file is loaded before the command line is parsed/);
  });
});
