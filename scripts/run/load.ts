// SPDX-License-Identifier: GPL-2.0-only
/*
 * Load a user's scenario file (`vmapsim run ./my-scenario.ts`): a module whose
 * default export (or `scenario` export) has the Scenario shape. TypeScript
 * files are transpiled on import (scripts/lib/user-module.ts).
 */

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../lib/input-error.js';
import { importUserFile } from '../lib/user-module.js';
import type { Scenario } from './scenario.js';

function isScenario(x: unknown): x is Scenario {
  const s = x as Scenario;
  return !!s && typeof s.name === 'string' && typeof s.run === 'function' && Array.isArray(s.params);
}

export async function loadScenarioFile(file: string): Promise<Scenario> {
  const path = resolve(file);
  if (!existsSync(path)) throw new InputError(file, null, 'no such scenario file');
  let mod: Record<string, unknown>;
  try {
    mod = await importUserFile(path);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    throw new InputError(file, null, `cannot load the scenario: ${msg}`);
  }
  const cand = mod.default ?? mod.scenario;
  if (!isScenario(cand)) throw new InputError(file, null, 'exports no scenario (export default { name, description, params, run })');
  return cand;
}
