// SPDX-License-Identifier: GPL-2.0-only
/* A progress bar on a terminal, nothing when output is piped. */

import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  start(total: number, label: string): void;
  update(done: number, label?: string): void;
  stop(): void;
}

const silent: Progress = { start() {}, update() {}, stop() {} };

/** A bar on stderr if it is a terminal, otherwise a no-op. */
export function progress(enabled = process.stderr.isTTY === true): Progress {
  if (!enabled) return silent;
  const bar = new SingleBar(
    { stream: process.stderr, format: '{bar} {value}/{total} {label}', hideCursor: true, clearOnComplete: true },
    Presets.shades_classic,
  );
  return {
    start(total, label) {
      bar.start(total, 0, { label });
    },
    update(done, label) {
      bar.update(done, label !== undefined ? { label } : undefined);
    },
    stop() {
      bar.stop();
    },
  };
}
