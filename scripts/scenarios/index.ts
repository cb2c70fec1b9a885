// SPDX-License-Identifier: GPL-2.0-only
/* The built-in scenarios of `vmapsim run`, by name. */

import { Scenario } from '../run/scenario';
import { hughIoremapBug } from './hugh-ioremap-bug';

export const SCENARIOS: readonly Scenario[] = [hughIoremapBug];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name);
}
