// SPDX-License-Identifier: GPL-2.0-only
/**
 * Typed CPU exceptions. Memory accesses throw PageFault (#PF) or GeneralProtection (#GP,
 * for non-canonical addresses and bad control-register values); unavailable instructions
 * throw InvalidOpcode (#UD). All extend CpuException so a caller can catch them apart
 * from bugs in the emulator.
 */

import { formatAddress } from './address.js';

/** What an access was doing. */
export type AccessType = 'read' | 'write' | 'fetch';

/** Why a page walk or a TLB hit refused an access. */
export type PageFaultKind = 'not-present' | 'protection' | 'reserved-bit';

/** Base of every architectural exception the machine raises. */
export class CpuException extends Error {
  /** CPU that raised it. */
  readonly cpu: number;
  constructor(cpu: number, message: string) {
    super(message);
    this.cpu = cpu;
  }
}

/** #PF, with the x86 error code. */
export class PageFault extends CpuException {
  override readonly name = 'PageFault';
  readonly va: number;
  readonly kind: PageFaultKind;
  readonly access: AccessType;
  /** Paging level whose entry refused the access (1 = PTE … 5 = PML5E); 0 for rights. */
  readonly level: number;
  readonly user: boolean;
  /** x86 #PF error code: bit 0 P, 1 W/R, 2 U/S, 3 RSVD, 4 I/D. */
  readonly errorCode: number;

  constructor(cpu: number, va: number, kind: PageFaultKind, access: AccessType, level: number, user: boolean) {
    super(cpu, `page fault on cpu${cpu}: ${access} of ${formatAddress(va)}: ${kind}${level > 0 ? ` at level ${level}` : ''}`);
    this.va = va;
    this.kind = kind;
    this.access = access;
    this.level = level;
    this.user = user;
    this.errorCode =
      (kind === 'not-present' ? 0 : 1) |
      (access === 'write' ? 2 : 0) |
      (user ? 4 : 0) |
      (kind === 'reserved-bit' ? 8 : 0) |
      (access === 'fetch' ? 16 : 0);
  }
}

/** #GP: a non-canonical address or a control-register value the CPU rejects. */
export class GeneralProtection extends CpuException {
  override readonly name = 'GeneralProtection';
  readonly reason: string;
  constructor(cpu: number, reason: string) {
    super(cpu, `general protection fault on cpu${cpu}: ${reason}`);
    this.reason = reason;
  }
}

/** #UD: an instruction this machine does not have (INVPCID, INVLPGB, TLBSYNC). */
export class InvalidOpcode extends CpuException {
  override readonly name = 'InvalidOpcode';
  readonly instruction: string;
  constructor(cpu: number, instruction: string) {
    super(cpu, `invalid opcode on cpu${cpu}: ${instruction} is not available on this machine`);
    this.instruction = instruction;
  }
}
