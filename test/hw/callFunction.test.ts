// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { callFunctionMany } from '../../hw/callFunction.js';
import { COST_INDEX } from '../../hw/costs.js';
import { CPU_STATS, CYCLE_STATS } from '../../hw/cpu.js';
import { smallMachine } from './helpers.js';

const S = CPU_STATS.index;

describe('callFunctionMany', () => {
  it('runs the function on every CPU in the mask, the initiator locally, before returning when waiting', () => {
    const m = smallMachine({ cpus: 4 });
    const ran: number[] = [];
    const r = callFunctionMany(m, 1, [0, 1, 2, 3], (cpu) => ran.push(cpu.id));
    expect(ran.sort()).to.deep.equal([0, 1, 2, 3]);
    expect(r).to.deep.equal({ queued: 3, ipis: 3, ranLocally: true });
    expect(m.cpu(1).stats[S.callLocal]).to.equal(1);
  });

  it('runs the local function before any remote one', () => {
    const m = smallMachine({ cpus: 3 });
    const order: number[] = [];
    callFunctionMany(m, 2, [0, 1, 2], (cpu) => order.push(cpu.id));
    expect(order[0]).to.equal(2);
  });

  it('does not run locally when asked not to, or when the initiator is not in the mask', () => {
    const m = smallMachine({ cpus: 3 });
    const ran: number[] = [];
    callFunctionMany(m, 0, [0, 1], (cpu) => ran.push(cpu.id), { runLocal: false });
    callFunctionMany(m, 0, [2], (cpu) => ran.push(cpu.id));
    expect(ran).to.deep.equal([1, 2]);
  });

  it('sends no IPI to a target whose queue already holds work (coalescing)', () => {
    const m = smallMachine({ cpus: 3 });
    callFunctionMany(m, 0, [2], () => undefined, { wait: false });
    const r = callFunctionMany(m, 1, [2], () => undefined, { wait: false });
    expect(r.ipis).to.equal(0);
    expect(m.cpu(1).stats[S.callCoalesced]).to.equal(1);
    expect(m.apic.queuedCalls(2)).to.equal(2);
    m.apic.deliver(2);
    expect(m.cpu(2).stats[S.ipiReceivedCal]).to.equal(1);
    expect(m.cpu(2).stats[S.callHandled]).to.equal(2);
  });

  it('leaves the work pending at the targets without wait', () => {
    const m = smallMachine({ cpus: 2 });
    const ran: number[] = [];
    callFunctionMany(m, 0, [1], (cpu) => ran.push(cpu.id), { wait: false });
    expect(ran).to.deep.equal([]);
    m.apic.deliverAll();
    expect(ran).to.deep.equal([1]);
  });

  it('waits for the previous request to the same target before reusing its slot (csd_lock)', () => {
    const m = smallMachine({ cpus: 2 });
    const ran: string[] = [];
    callFunctionMany(m, 0, [1], () => ran.push('first'), { wait: false });
    callFunctionMany(m, 0, [1], () => ran.push('second'), { wait: false });
    expect(ran).to.deep.equal(['first']);
    expect(m.cpu(0).stats[S.csdLockWaits]).to.equal(1);
  });

  it('counts IPIs under the vector asked for', () => {
    const m = smallMachine({ cpus: 3 });
    callFunctionMany(m, 0, [1, 2], () => undefined, { vector: 'TLB' });
    expect(m.cpu(0).stats[S.ipiSentTlb]).to.equal(2);
    expect(m.cpu(0).stats[S.ipiSentCal]).to.equal(0);
    expect(m.cpu(2).stats[S.ipiReceivedTlb]).to.equal(1);
  });

  it('charges the sender per target, the delivery, the slowest handler and the ACK', () => {
    const m = smallMachine({ cpus: 3 });
    const costs = m.config.costs;
    callFunctionMany(m, 0, [1, 2], (cpu) => {
      if (cpu.id === 2) cpu.invlpg(0);
    });
    const c = m.cpu(0).cycles;
    expect(c[COST_INDEX.csdEnqueue]).to.equal(2 * costs.csdEnqueue);
    expect(c[COST_INDEX.ipiSend]).to.equal(2 * costs.ipiSend);
    expect(c[COST_INDEX.ipiDelivery]).to.equal(costs.ipiDelivery);
    expect(c[CYCLE_STATS.index.handlerWait]).to.equal(costs.irqEntry + costs.invlpg);
    expect(c[COST_INDEX.ackWait]).to.equal(costs.ackWait);
  });

  it('complains when a replaced handler never drains the queue', () => {
    const m = smallMachine({ cpus: 2 });
    m.apic.setHandler('CAL', () => undefined);
    expect(() => callFunctionMany(m, 0, [1], () => undefined)).to.throw('the CAL handler must drain the call queue');
  });
});
