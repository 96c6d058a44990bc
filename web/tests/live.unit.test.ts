// The live feed's pure parts, without a browser or a stack: reading the server's messages, what a
// change does to a listing and to an edit form, the backoff, and the socket client's life (connect,
// subscribe, drop, reconnect with backoff, re-read after a drop, ping, clean close) against a
// scripted WebSocket and clock.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { Person } from '../src/api.ts';
import { type Filters, type PersonChange, backoff, describeChanges, formAction, listAction, mayMatch, parseMessage } from '../src/changes.ts';
import { type LiveEnv, LiveFeed, type LiveState, PING_EVERY, PONG_WITHIN, type WebSocketLike, isOwn, wrote } from '../src/live.ts';

const ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

function person(overrides: Partial<Person> = {}): Person {
  return {
    id: ID, name: 'Ada Lovelace', email: 'ada@example.com', phone: null, tags: ['math', 'poet'],
    created_at: '2026-12-02T10:00:00Z', updated_at: '2026-12-02T10:00:00Z', version: 1, ...overrides,
  };
}

function change(type: PersonChange['type'], p: Partial<Person> = {}): PersonChange {
  const after = person(p);
  return { type, id: after.id, version: after.version, person: type === 'person.deleted' ? null : after, at: '2026-12-02T10:00:01Z' };
}

const NONE: Filters = { tag: '', name: '', email: '' };

describe('messages', () => {
  test('the server\'s messages are read, anything else is ignored', () => {
    const created = { type: 'person.created', id: ID, version: 1, person: person(), at: '2026-12-02T10:00:01Z' };
    assert.deepEqual(parseMessage(JSON.stringify(created)), created);
    assert.deepEqual(parseMessage(JSON.stringify({ type: 'person.deleted', id: ID, version: 3, person: null, at: 'x' })),
      { type: 'person.deleted', id: ID, version: 3, person: null, at: 'x' });
    assert.deepEqual(parseMessage('{"type":"subscribed","filter":{}}'), { type: 'subscribed', filter: {} });
    assert.deepEqual(parseMessage('{"type":"pong"}'), { type: 'pong' });
    assert.deepEqual(parseMessage('{"type":"error","status":410,"title":"Unknown connection","detail":"connect again"}'),
      { type: 'error', status: 410, title: 'Unknown connection', detail: 'connect again' });
    for (const junk of ['', 'nope', '[]', 'null', '{"type":"person.moved","id":"x","version":1}', '{"message":"Internal server error"}',
      JSON.stringify({ ...created, person: null }), JSON.stringify({ ...created, person: person({ id: 'other' }) }),
      JSON.stringify({ ...created, version: '1' }), JSON.stringify({ type: 'person.deleted', id: ID, version: 1, person: person() })]) {
      assert.equal(parseMessage(junk), null, junk);
    }
  });

  test('the backoff doubles from 1 s to 30 s, with jitter of up to half', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 20].map((n) => backoff(n, () => 1)), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    assert.deepEqual([0, 3, 9].map((n) => backoff(n, () => 0)), [500, 4000, 15000]);
  });
});

describe('what a change does to a listing', () => {
  const view = (shown: [string, number][], filters = NONE, page = 0) => ({ shown: new Map(shown), filters, page });

  test('first page without filters: a new person goes on top, rows change and go in place', () => {
    assert.deepEqual(listAction(view([]), change('person.created')), { kind: 'insert', person: person() });
    assert.deepEqual(listAction(view([[ID, 1]]), change('person.updated', { version: 2, name: 'Ada King' })),
      { kind: 'replace', person: person({ version: 2, name: 'Ada King' }), stale: false });
    assert.deepEqual(listAction(view([[ID, 2]]), change('person.deleted', { version: 2 })), { kind: 'remove', id: ID });
  });

  test('a change seen again, or older than what is shown, changes nothing', () => {
    assert.deepEqual(listAction(view([[ID, 1]]), change('person.created')), { kind: 'none' });
    assert.deepEqual(listAction(view([[ID, 3]]), change('person.updated', { version: 2 })), { kind: 'none' });
    assert.deepEqual(listAction(view([[ID, 3]]), change('person.updated', { version: 3 })), { kind: 'none' });
    assert.deepEqual(listAction(view([]), change('person.deleted')), { kind: 'none' });
  });

  test('elsewhere a new person is a notice, if it may belong here', () => {
    assert.deepEqual(listAction(view([], NONE, 2), change('person.created')), { kind: 'notice' });
    assert.deepEqual(listAction(view([], { ...NONE, tag: 'Math' }), change('person.created')), { kind: 'notice' });
    assert.deepEqual(listAction(view([], { ...NONE, tag: 'navy' }), change('person.created')), { kind: 'none' });
    // Someone not shown who now matches the filters may belong here; without filters they are on another page.
    assert.deepEqual(listAction(view([], { ...NONE, name: 'ada' }), change('person.updated', { version: 2 })), { kind: 'notice' });
    assert.deepEqual(listAction(view([], { ...NONE, name: 'grace' }), change('person.updated', { version: 2 })), { kind: 'none' });
    assert.deepEqual(listAction(view([]), change('person.updated', { version: 2 })), { kind: 'none' });
  });

  test('a shown row that no longer matches the filters changes in place and counts as a notice', () => {
    assert.deepEqual(listAction(view([[ID, 1]], { ...NONE, tag: 'poet' }), change('person.updated', { version: 2, tags: ['math'] })),
      { kind: 'replace', person: person({ version: 2, tags: ['math'] }), stale: true });
  });

  test('filters match as the list function does: tag and email exact (lowercase), name by prefix', () => {
    const ada = person({ email: 'ada@example.com', tags: ['math'] });
    assert.equal(mayMatch(ada, { tag: ' MATH ', name: 'ADA L', email: 'Ada@Example.com' }), true);
    assert.equal(mayMatch(ada, { ...NONE, tag: 'mat' }), false);
    assert.equal(mayMatch(ada, { ...NONE, name: 'love' }), false);
    assert.equal(mayMatch(ada, { ...NONE, email: 'ada@example.org' }), false);
    assert.equal(mayMatch(person({ tags: null }), { ...NONE, tag: 'math' }), false);
  });

  test('what screen readers hear', () => {
    assert.equal(describeChanges([{ type: 'person.created', name: 'Ada' }], 0), 'Ada was added by someone else.');
    assert.equal(describeChanges([{ type: 'person.created', name: 'A' }, { type: 'person.deleted', name: 'B' }, { type: 'person.created', name: 'C' }], 0),
      '3 people changed by someone else: 2 added, 1 removed.');
    assert.equal(describeChanges([], 2), '2 changes to this list; refresh to see them.');
    assert.equal(describeChanges([{ type: 'person.updated', name: 'Ada' }], 1), 'Ada was changed by someone else. 1 change to this list; refresh to see it.');
    assert.equal(describeChanges([], 0), '');
  });
});

describe('what a change does to an edit form', () => {
  test('a newer version of this person, or its delete; nothing else', () => {
    assert.equal(formAction(ID, 1, change('person.updated', { version: 2 })), 'changed');
    assert.equal(formAction(ID, 2, change('person.updated', { version: 2 })), 'none');
    assert.equal(formAction(ID, 3, change('person.updated', { version: 2 })), 'none');
    assert.equal(formAction(ID, 2, change('person.deleted', { version: 2 })), 'deleted');
    assert.equal(formAction('01BX5ZZKBKACTAV9WEVGEMMVRZ', 1, change('person.updated', { version: 5 })), 'none');
  });

  test('the page\'s own writes are known by kind, id and version', () => {
    wrote('person.updated', ID, 4);
    assert.equal(isOwn(change('person.updated', { version: 4 })), true);
    assert.equal(isOwn(change('person.updated', { version: 5 })), false);
    // Someone else's delete carries the version of the page's last save.
    assert.equal(isOwn(change('person.deleted', { version: 4 })), false);
    wrote('person.deleted', ID, 4);
    assert.equal(isOwn(change('person.deleted', { version: 4 })), true);
  });
});

// ---- the socket client --------------------------------------------------------------------------

class FakeSocket implements WebSocketLike {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  sent: string[] = [];
  closed: number | null = null;
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(data);
  }
  close(code = 1005): void {
    this.closed = code;
    this.readyState = 3;
  }
  /** The server side. */
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(message: object): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(): void {
    this.readyState = 3;
    this.onclose?.({});
  }
}

/** A clock and WebSocket the test drives. */
function world() {
  const sockets: FakeSocket[] = [];
  let now = 0;
  let next = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const env: LiveEnv = {
    WebSocket: class extends FakeSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
      }
    },
    setTimeout: (fn, ms) => {
      timers.set(next, { at: now + ms, fn });
      return next++;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
    random: () => 1,
  };
  const advance = (ms: number) => {
    const until = now + ms;
    for (;;) {
      const due = [...timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = until;
  };
  return { sockets, env, advance, pending: () => timers.size };
}

const SUBSCRIBE = '{"action":"subscribe","filter":{}}';

describe('the socket client', () => {
  test('connects, subscribes to everyone, passes changes on, and closes cleanly', () => {
    const w = world();
    const feed = new LiveFeed('ws://127.0.0.1:9001', () => null, false, w.env);
    const states: LiveState[] = [];
    const changes: PersonChange[] = [];
    feed.listen({ state: (s) => states.push(s), change: (c) => changes.push(c) });
    feed.start();
    feed.start();
    assert.equal(w.sockets.length, 1, 'one socket');
    const [socket] = w.sockets;
    assert.equal(socket!.url, 'ws://127.0.0.1:9001');
    socket!.open();
    assert.deepEqual(socket!.sent, [SUBSCRIBE]);
    socket!.receive({ type: 'subscribed', filter: {} });
    socket!.receive(change('person.created'));
    socket!.receive({ type: 'pong' });
    assert.deepEqual(changes, [change('person.created')]);
    feed.stop();
    assert.equal(socket!.closed, 1000);
    assert.deepEqual(states, ['connecting', 'live', 'off']);
    assert.equal(w.pending(), 0, 'no timer left');
  });

  test('with sign-in, the token goes in the query string, and there is no socket without one', () => {
    const w = world();
    let token: string | null = null;
    const feed = new LiveFeed('wss://abc.execute-api.eu-west-1.amazonaws.com/dev', () => token, true, w.env);
    feed.start();
    assert.equal(w.sockets.length, 0);
    assert.equal(feed.state, 'off');
    token = 'a.b.c';
    feed.restart();
    assert.equal(w.sockets[0]!.url, 'wss://abc.execute-api.eu-west-1.amazonaws.com/dev?token=a.b.c');
  });

  test('a dropped socket reconnects after a doubling pause, and the views re-read once subscribed again', () => {
    const w = world();
    const feed = new LiveFeed('ws://127.0.0.1:9001', () => null, false, w.env);
    let resyncs = 0;
    const states: LiveState[] = [];
    feed.listen({ resync: () => resyncs++, state: (s) => states.push(s) });
    feed.start();
    w.sockets[0]!.open();
    w.sockets[0]!.receive({ type: 'subscribed', filter: {} });
    w.sockets[0]!.drop();
    assert.equal(feed.state, 'reconnecting');
    // Connecting fails twice: 1 s, then 2 s, then 4 s.
    w.advance(999);
    assert.equal(w.sockets.length, 1);
    w.advance(1);
    assert.equal(w.sockets.length, 2);
    w.sockets[1]!.drop();
    w.advance(1999);
    assert.equal(w.sockets.length, 2);
    w.advance(1);
    w.sockets[2]!.drop();
    w.advance(4000);
    assert.equal(w.sockets.length, 4);
    assert.equal(resyncs, 0, 'not before subscribed');
    w.sockets[3]!.open();
    w.sockets[3]!.receive({ type: 'subscribed', filter: {} });
    assert.equal(resyncs, 1);
    assert.deepEqual(states, ['connecting', 'live', 'reconnecting', 'live']);
    // Subscribed again: the next drop starts from 1 s.
    w.sockets[3]!.drop();
    w.advance(1000);
    assert.equal(w.sockets.length, 5);
    w.sockets[4]!.open();
    w.sockets[4]!.receive({ type: 'subscribed', filter: {} });
    assert.equal(resyncs, 2);
    feed.stop();
  });

  test('back online: connects at once instead of waiting', () => {
    const w = world();
    const feed = new LiveFeed('ws://127.0.0.1:9001', () => null, false, w.env);
    feed.start();
    w.sockets[0]!.drop();
    feed.hurry();
    assert.equal(w.sockets.length, 2);
    feed.stop();
  });

  test('a refused subscription starts over on a new connection', () => {
    const w = world();
    const feed = new LiveFeed('ws://127.0.0.1:9001', () => null, false, w.env);
    feed.start();
    const [first] = w.sockets;
    first!.open();
    first!.receive({ type: 'error', status: 410, title: 'Unknown connection', detail: 'connect again' });
    assert.equal(first!.closed, 4000);
    first!.drop();
    w.advance(1000);
    assert.equal(w.sockets.length, 2);
    feed.stop();
  });

  test('pings keep the connection; an unanswered ping means it is dead', () => {
    const w = world();
    const feed = new LiveFeed('ws://127.0.0.1:9001', () => null, false, w.env);
    feed.start();
    const [socket] = w.sockets;
    socket!.open();
    socket!.receive({ type: 'subscribed', filter: {} });
    w.advance(PING_EVERY);
    assert.deepEqual(socket!.sent, [SUBSCRIBE, '{"action":"ping"}']);
    socket!.receive({ type: 'pong' });
    w.advance(PONG_WITHIN);
    assert.equal(socket!.closed, null, 'answered');
    w.advance(PING_EVERY - PONG_WITHIN);
    assert.equal(socket!.sent.length, 3);
    w.advance(PONG_WITHIN);
    assert.equal(socket!.closed, 4001, 'no answer: closed');
    assert.equal(feed.state, 'reconnecting');
    w.advance(1000);
    assert.equal(w.sockets.length, 2);
    feed.stop();
  });

  test('leaving the page closes cleanly; coming back re-reads', () => {
    const w = world();
    const feed = new LiveFeed('ws://127.0.0.1:9001', () => null, false, w.env);
    let resyncs = 0;
    feed.listen({ resync: () => resyncs++ });
    feed.start();
    w.sockets[0]!.open();
    w.sockets[0]!.receive({ type: 'subscribed', filter: {} });
    feed.pause();
    assert.equal(w.sockets[0]!.closed, 1000);
    assert.equal(w.pending(), 0);
    feed.start();
    w.sockets[1]!.open();
    w.sockets[1]!.receive({ type: 'subscribed', filter: {} });
    assert.equal(resyncs, 1);
    feed.stop();
  });
});
