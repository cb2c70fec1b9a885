// SPDX-License-Identifier: GPL-2.0-only
/**
 * The public API of the machine layer: explicit named exports only, types kept apart.
 * hw/ knows nothing about vmalloc and never imports kernel/.
 */

export {
  ENTRIES_PER_TABLE,
  LARGE_PAGE_SIZE,
  PAGES_PER_LARGE_PAGE,
  PAGE_SHIFT,
  PAGE_SIZE,
  canonicalHalf,
  formatAddress,
  fromU64,
  isCanonical,
  pageNumber,
  tableIndex,
  toU64,
} from './address.js';
export { Apic } from './apic.js';
export { callFunctionMany } from './callFunction.js';
export { CHECKER_STATS, CoherenceChecker, formatCoherenceReport } from './checker.js';
export { CONFIG_FIELDS, ConfigError, resolveConfig } from './config.js';
export { COST_KEYS, COST_SPECS, CostTableError, DEFAULT_COSTS, loadCostTable, parseCostTable } from './costs.js';
export { CPU_STATS, CYCLE_STATS, Cpu } from './cpu.js';
export { CpuException, GeneralProtection, InvalidOpcode, PageFault } from './faults.js';
export { FrameAllocator } from './frames.js';
export { MACHINE_STATS, Machine } from './machine.js';
export { findEntry, mapPage, unmapPage } from './mapping.js';
export {
  ENTRY_ADDRESS_MASK,
  EntryBits,
  describeEntry,
  entryAddress,
  entryFlags,
  entryFrame,
  isPresent,
  makeEntry,
} from './pageTable.js';
export { PhysicalMemory } from './physmem.js';
export { Prng } from './prng.js';
export { runInterleaved } from './scheduler.js';
export { declareStats } from './stats.js';
export { collectStats, formatStatsJson, formatStatsText, statsReport } from './statsReport.js';
export { TLB_STATS, Tlb } from './tlb.js';

export type { CallRequest, IpiVector } from './apic.js';
export type { CallFunctionOptions, CallFunctionResult } from './callFunction.js';
export type {
  CheckedCpu,
  CheckerHost,
  CoherenceKind,
  CoherenceReport,
  EntryWriteEvent,
  FlushEvent,
  TranslationView,
} from './checker.js';
export type { MachineConfig, MachineConfigInput, ReplacementPolicy, TlbGeometry } from './config.js';
export type { CostKey, CostSpec, CostTable } from './costs.js';
export type { InvlpgbOptions, TranslateOutcome } from './cpu.js';
export type { AccessType, PageFaultKind } from './faults.js';
export type { FrameAllocOptions } from './frames.js';
export type { EntryLocation, MapOptions } from './mapping.js';
export type { RunOptions, RunResult, Step, Task } from './scheduler.js';
export type { StatDecl, StatGroup, StatSample, StatTable, StatUnit } from './stats.js';
export type { StatsReportOptions } from './statsReport.js';
export type { TlbEntryView } from './tlb.js';
