// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { formatAddress, fromU64, isCanonical, pageNumber, tableIndex, toU64 } from '../../hw/address.js';

describe('address', () => {
  describe('tableIndex', () => {
    it('gives PML4 index 402 for VMALLOC_START 0xffffc90000000000', () => {
      expect(tableIndex(-0x370000000000, 4)).to.equal(402);
    });
    it('takes the indices from the u64 bit pattern in the kernel half', () => {
      const va = fromU64(0xffffc90012345000n);
      const u = 0xffffc90012345000n;
      for (let level = 1; level <= 5; level++) {
        expect(tableIndex(va, level), `level ${level}`).to.equal(Number((u >> BigInt(12 + 9 * (level - 1))) & 511n));
      }
    });
    it('gives index 511 at every level for the last page of the address space', () => {
      for (let level = 1; level <= 5; level++) expect(tableIndex(-4096, level)).to.equal(511);
    });
    it('rejects a level outside 1 to 5', () => {
      expect(() => tableIndex(0, 6)).to.throw(RangeError, 'paging level must be an integer from 1 to 5, got 6');
    });
  });

  describe('pageNumber', () => {
    it('is negative for the kernel half and floors inside a page', () => {
      expect(pageNumber(-1)).to.equal(-1);
      expect(pageNumber(4095)).to.equal(0);
      expect(pageNumber(-4097)).to.equal(-2);
    });
  });

  describe('isCanonical', () => {
    it('accepts the sign-extended halves and rejects the hole for 4-level paging', () => {
      expect(isCanonical(2 ** 47 - 1, 4)).to.equal(true);
      expect(isCanonical(2 ** 47, 4)).to.equal(false);
      expect(isCanonical(-(2 ** 47), 4)).to.equal(true);
      expect(isCanonical(2 ** 47, 5)).to.equal(true);
    });
  });

  describe('toU64 and fromU64', () => {
    it('round-trip the signed view exactly for page-aligned kernel addresses', () => {
      expect(toU64(-0x370000000000)).to.equal(0xffffc90000000000n);
      expect(fromU64(0xffffc90000000000n)).to.equal(-0x370000000000);
      expect(toU64(-1)).to.equal(0xffffffffffffffffn);
    });
    it('rejects a fractional value', () => {
      expect(() => toU64(1.5)).to.throw(RangeError);
    });
  });

  describe('formatAddress', () => {
    it('prints the u64 as 16 hex digits', () => {
      expect(formatAddress(-0x370000000000)).to.equal('0xffffc90000000000');
      expect(formatAddress(0x1000)).to.equal('0x0000000000001000');
    });
  });
});
