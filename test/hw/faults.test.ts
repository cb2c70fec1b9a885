// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { CpuException, GeneralProtection, InvalidOpcode, PageFault } from '../../hw/faults.js';

describe('PageFault', () => {
  it('encodes a not-present supervisor read as error code 0', () => {
    expect(new PageFault(0, 0x1000, 'not-present', 'read', 1, false).errorCode).to.equal(0);
  });
  it('encodes a user write protection fault as P|W|U', () => {
    expect(new PageFault(0, 0x1000, 'protection', 'write', 0, true).errorCode).to.equal(7);
  });
  it('sets RSVD and I/D for a reserved-bit fetch', () => {
    expect(new PageFault(0, 0x1000, 'reserved-bit', 'fetch', 3, false).errorCode).to.equal(1 | 8 | 16);
  });
  it('names the CPU, the access and the address in its message', () => {
    const f = new PageFault(3, -0x370000000000, 'not-present', 'read', 1, false);
    expect(f.message).to.equal('page fault on cpu3: read of 0xffffc90000000000: not-present at level 1');
    expect(f).to.be.instanceOf(CpuException);
  });
});

describe('GeneralProtection and InvalidOpcode', () => {
  it('are CPU exceptions with readable messages', () => {
    expect(new GeneralProtection(1, 'bad').message).to.equal('general protection fault on cpu1: bad');
    expect(new InvalidOpcode(2, 'INVPCID').message).to.equal('invalid opcode on cpu2: INVPCID is not available on this machine');
    expect(new InvalidOpcode(2, 'INVPCID')).to.be.instanceOf(CpuException);
  });
});
