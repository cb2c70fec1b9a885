// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import type { CallRequest } from '../../hw/apic.js';
import { CPU_STATS } from '../../hw/cpu.js';
import { smallMachine } from './helpers.js';

const S = CPU_STATS.index;

describe('Apic', () => {
  const req = (from: number, fn: CallRequest['fn'], sync = true): CallRequest => ({ fn, sync, from, done: false });

  it('reports an empty queue only for the first request queued', () => {
    const m = smallMachine();
    expect(m.apic.queueCall(1, req(0, () => undefined))).to.equal(true);
    expect(m.apic.queueCall(1, req(2, () => undefined))).to.equal(false);
    expect(m.apic.queuedCalls(1)).to.equal(2);
  });

  it('leaves an IPI pending until the target takes its interrupts', () => {
    const m = smallMachine();
    const ran: number[] = [];
    m.apic.queueCall(2, req(0, (cpu) => ran.push(cpu.id)));
    m.apic.sendIpi(0, [2], 'CAL');
    expect(ran).to.deep.equal([]);
    expect(m.apic.hasPending(2)).to.equal(true);
    expect(m.apic.deliver(2)).to.equal(1);
    expect(ran).to.deep.equal([2]);
    expect(m.cpu(0).stats[S.ipiSentCal]).to.equal(1);
    expect(m.cpu(2).stats[S.ipiReceivedCal]).to.equal(1);
  });

  it('runs queued requests oldest first, as code on the target, and marks them done', () => {
    const m = smallMachine();
    const seen: string[] = [];
    const a = req(0, () => seen.push(`a@${m.currentCpu}`));
    const b = req(1, () => seen.push(`b@${m.currentCpu}`), false);
    m.apic.queueCall(3, a);
    m.apic.queueCall(3, b);
    expect(m.apic.runCallQueue(3)).to.equal(2);
    expect(seen).to.deep.equal(['a@3', 'b@3']);
    expect(a.done && b.done).to.equal(true);
    expect(m.cpu(3).stats[S.callHandled]).to.equal(2);
  });

  it('merges a second IPI of a vector that is still pending at the target', () => {
    const m = smallMachine();
    m.apic.sendIpi(0, [1], 'TLB');
    m.apic.sendIpi(2, [1], 'TLB');
    expect(m.apic.deliver(1)).to.equal(1);
    expect(m.cpu(1).stats[S.ipiMerged]).to.equal(1);
    expect(m.cpu(1).stats[S.ipiReceivedTlb]).to.equal(1);
  });

  it('runs a replaced vector handler and charges interrupt entry to the target', () => {
    const m = smallMachine();
    let hits = 0;
    m.apic.setHandler('TLB', () => hits++);
    m.apic.sendIpi(0, [1, 2], 'TLB');
    expect(m.apic.deliverAll()).to.equal(2);
    expect(hits).to.equal(2);
    expect(m.cpu(1).now).to.equal(m.config.costs.irqEntry);
    expect(m.cpu(0).now).to.equal(2 * m.config.costs.ipiSend);
  });
});
