// SPDX-License-Identifier: GPL-2.0-only
/* Parse `name=value` scenario parameters against their specs; one clear line on error. */

import type { ParamSpec, Params, ParamValue } from './scenario.js';

export class ParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParamError';
  }
}

function accepted(spec: ParamSpec): string {
  switch (spec.kind) {
    case 'int':
      return `a whole number${spec.min !== undefined ? ` from ${spec.min}` : ''}${spec.max !== undefined ? ` to ${spec.max}` : ''}${spec.multipleOf !== undefined ? `, a multiple of ${spec.multipleOf}` : ''}${spec.powerOfTwo ? ', a power of two' : ''}`;
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
    case 'bool':
      return 'true or false';
  }
}

function parseOne(scenario: string, spec: ParamSpec, raw: string): ParamValue {
  const bad = () => new ParamError(`${scenario}: parameter ${spec.name}=${raw}: expected ${accepted(spec)}`);
  switch (spec.kind) {
    case 'int': {
      const n = Number(raw.replace(/_/g, ''));
      if (!Number.isSafeInteger(n) || raw.trim() === '') throw bad();
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) throw bad();
      if (spec.multipleOf !== undefined && n % spec.multipleOf !== 0) throw bad();
      if (spec.powerOfTwo && (n <= 0 || 2 ** Math.round(Math.log2(n)) !== n)) throw bad();
      return n;
    }
    case 'enum':
      if (!spec.values.includes(raw)) throw bad();
      return raw;
    case 'bool':
      if (raw !== 'true' && raw !== 'false') throw bad();
      return raw === 'true';
  }
}

/** Defaults, overridden by `name=value` words. */
export function parseParams(scenario: string, specs: readonly ParamSpec[], words: readonly string[]): Params {
  const out: Record<string, ParamValue> = {};
  for (const s of specs) out[s.name] = s.default;
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new ParamError(`${scenario}: "${w}" is not a parameter: write name=value (parameters: ${specs.map((s) => s.name).join(', ') || 'none'})`);
    const name = w.slice(0, eq);
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw new ParamError(`${scenario}: unknown parameter "${name}" (parameters: ${specs.map((s) => s.name).join(', ') || 'none'})`);
    out[name] = parseOne(scenario, spec, w.slice(eq + 1));
  }
  return out;
}

/** One line per parameter, for `--help` and `list`. */
export function describeParams(specs: readonly ParamSpec[]): string[] {
  return specs.map((s) => `${s.name}=${String(s.default)}  ${s.description} (${accepted(s)})`);
}
