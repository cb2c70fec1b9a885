// SPDX-License-Identifier: GPL-2.0-only
// Run vmapsim from its TypeScript sources, as ES modules, without a build:
//   node --import ./scripts/register-ts.mjs scripts/vmapsim.ts ...
// (mocha's node-option in .mocharc.json, the tests that spawn the CLI and the
// check campaign's worker threads under mocha use it). ts-node's ESM loader,
// transpile-only: types are checked by `npx tsc -p tsconfig.json`.
import { register } from 'node:module';

register('ts-node/esm/transpile-only', import.meta.url);
