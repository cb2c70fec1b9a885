// SPDX-License-Identifier: GPL-2.0-only
/*
 * The release a named kernel stands for (its manifest's series), for code
 * that differs by era without a manifest field of its own: which
 * lib/test_vmalloc.c text a kernel runs, whether its thread stacks are
 * vmapped (CONFIG_VMAP_STACK, 4.9).
 */

import { findManifest } from './index.js';

/** The release a named kernel stands for, as [major, minor]. */
export function kernelRelease(version: string): [number, number] {
  // The manifest's series (mmotm-2010-vmap-cache-v1: on 2.6.35, so 2.6).
  const m = findManifest(version);
  if (!m) throw new Error(`no release known for kernel "${version}"`);
  return [m.series[0], m.series[1]];
}

/** Release as a comparable number: 2.6 -> 2.06, 5.2 -> 5.02, 6.12 -> 6.12. */
export function releaseNumber(version: string): number {
  const [a, b] = kernelRelease(version);
  return a + b / 100;
}
