// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import fc from 'fast-check';
import {
  INIT_LIST_HEAD,
  LIST_POISON1,
  LIST_POISON2,
  list_add,
  list_add_tail,
  list_count,
  list_del,
  list_del_init,
  list_del_rcu,
  list_empty,
  list_head,
  list_is_last,
  list_move_tail,
  list_splice_tail_init,
} from '../../../../kernel/include/linux/list.js';

class item {
  readonly node = new list_head<item>(this);
  constructor(readonly v: number) {}
}

function values(head: list_head<item>): number[] {
  const out: number[] = [];
  for (let p = head.next; p !== head; p = p.next) out.push((p.owner as item).v);
  return out;
}

describe('list_head', () => {
  it('starts empty, pointing at itself', () => {
    const h = new list_head<item>();
    expect(list_empty(h)).to.equal(true);
    expect(h.next).to.equal(h);
    expect(h.prev).to.equal(h);
  });

  it('adds at the head with list_add and at the tail with list_add_tail', () => {
    const h = new list_head<item>();
    list_add(new item(2).node, h);
    list_add(new item(1).node, h);
    list_add_tail(new item(3).node, h);
    expect(values(h)).to.deep.equal([1, 2, 3]);
    expect(list_is_last((h.prev.owner as item).node, h)).to.equal(true);
  });

  it('poisons both pointers on list_del and only prev on list_del_rcu', () => {
    const h = new list_head<item>();
    const a = new item(1);
    const b = new item(2);
    list_add_tail(a.node, h);
    list_add_tail(b.node, h);
    list_del(a.node);
    expect(a.node.next).to.equal(LIST_POISON1);
    expect(a.node.prev).to.equal(LIST_POISON2);
    list_del_rcu(b.node);
    expect(b.node.next).to.equal(h);
    expect(b.node.prev).to.equal(LIST_POISON2);
    expect(list_empty(h)).to.equal(true);
  });

  it('reinitialises an entry on list_del_init and moves entries between lists', () => {
    const h1 = new list_head<item>();
    const h2 = new list_head<item>();
    const a = new item(1);
    list_add(a.node, h1);
    list_move_tail(a.node, h2);
    expect(values(h1)).to.deep.equal([]);
    expect(values(h2)).to.deep.equal([1]);
    list_del_init(a.node);
    expect(list_empty(a.node)).to.equal(true);
    INIT_LIST_HEAD(h2);
    expect(list_empty(h2)).to.equal(true);
  });

  it('behaves like an array under random adds, deletes and splices', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat(100)), { maxLength: 60 }), (ops) => {
        const h = new list_head<item>();
        const model: item[] = [];
        for (const [op, v] of ops) {
          if (op === 0) {
            const it = new item(v);
            list_add(it.node, h);
            model.unshift(it);
          } else if (op === 1) {
            const it = new item(v);
            list_add_tail(it.node, h);
            model.push(it);
          } else if (op === 2 && model.length) {
            const it = model.splice(v % model.length, 1)[0]!;
            list_del(it.node);
          } else if (op === 3) {
            const other = new list_head<item>();
            const it = new item(v);
            list_add(it.node, other);
            list_splice_tail_init(other, h);
            model.push(it);
            expect(list_empty(other)).to.equal(true);
          }
        }
        expect(values(h)).to.deep.equal(model.map((m) => m.v));
        expect(list_count(h)).to.equal(model.length);
      }),
    );
  });
});
