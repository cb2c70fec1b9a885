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
} from './address';
export { Apic } from './apic';
export { callFunctionMany } from './callFunction';
export { CHECKER_STATS, CoherenceChecker, formatCoherenceReport } from './checker';
export { CONFIG_FIELDS, ConfigError, resolveConfig } from './config';
export { COST_KEYS, COST_SPECS, CostTableError, DEFAULT_COSTS, loadCostTable, parseCostTable } from './costs';
export { CPU_STATS, CYCLE_STATS, Cpu } from './cpu';
export { CpuException, GeneralProtection, InvalidOpcode, PageFault } from './faults';
export { FrameAllocator } from './frames';
export { MACHINE_STATS, Machine } from './machine';
export { findEntry, mapPage, unmapPage } from './mapping';
export {
  ENTRY_ADDRESS_MASK,
  EntryBits,
  describeEntry,
  entryAddress,
  entryFlags,
  entryFrame,
  isPresent,
  makeEntry,
} from './pageTable';
export { PhysicalMemory } from './physmem';
export { Prng } from './prng';
export { runInterleaved } from './scheduler';
export { declareStats } from './stats';
export { collectStats, formatStatsJson, formatStatsText, statsReport } from './statsReport';
export { TLB_STATS, Tlb } from './tlb';

export type { CallRequest, IpiVector } from './apic';
export type { CallFunctionOptions, CallFunctionResult } from './callFunction';
export type {
  CheckedCpu,
  CheckerHost,
  CoherenceKind,
  CoherenceReport,
  EntryWriteEvent,
  FlushEvent,
  TranslationView,
} from './checker';
export type { MachineConfig, MachineConfigInput, ReplacementPolicy, TlbGeometry } from './config';
export type { CostKey, CostSpec, CostTable } from './costs';
export type { InvlpgbOptions, TranslateOutcome } from './cpu';
export type { AccessType, PageFaultKind } from './faults';
export type { FrameAllocOptions } from './frames';
export type { EntryLocation, MapOptions } from './mapping';
export type { RunOptions, RunResult, Step, Task } from './scheduler';
export type { StatDecl, StatGroup, StatSample, StatTable, StatUnit } from './stats';
export type { StatsReportOptions } from './statsReport';
export type { TlbEntryView } from './tlb';
