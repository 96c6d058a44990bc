// Live updates: one WebSocket to the real-time feed (config.json's `webSocketUrl`; API Gateway's
// WebSocket API deployed, xtask's stand-in under `make dev`), subscribed to every person, shared by the
// views. The access token goes in the query string (`?token=`), since a browser cannot set headers on
// a WebSocket; the API's authorizer reads it there.
//
// A socket that drops is opened again after a pause that doubles up to 30 s (with jitter), at once
// when the browser comes back online; once subscribed again, the views are told to re-read what
// they show (`resync`), since changes made in between were missed. A ping every few minutes keeps
// API Gateway's 10-minute idle timeout away, and a ping left unanswered means a dead connection.
// The socket is closed cleanly when the page is left (which also keeps the back/forward cache open).

import { type PersonChange, backoff, parseMessage } from './changes.ts';

export type LiveState = 'off' | 'connecting' | 'live' | 'reconnecting';

export interface LiveListener {
  change?(change: PersonChange): void;
  /** The socket is back after a drop: what a view shows may have missed changes. */
  resync?(): void;
  state?(state: LiveState): void;
}

/** What the feed needs from its surroundings (the browser's, or a test's). */
export interface LiveEnv {
  WebSocket: new (url: string) => WebSocketLike;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
}

export interface WebSocketLike {
  readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

const OPEN = 1;
/** API Gateway closes a connection idle for 10 minutes. */
export const PING_EVERY = 4 * 60_000;
/** A ping not answered within this is a dead connection. */
export const PONG_WITHIN = 15_000;
const SUBSCRIBE = JSON.stringify({ action: 'subscribe', filter: {} });
const PING = JSON.stringify({ action: 'ping' });

const browser = (): LiveEnv => ({
  WebSocket: WebSocket as unknown as LiveEnv['WebSocket'],
  setTimeout: (fn, ms) => window.setTimeout(fn, ms),
  clearTimeout: (handle) => window.clearTimeout(handle as number),
  random: Math.random,
});

export class LiveFeed {
  state: LiveState = 'off';
  private socket: WebSocketLike | null = null;
  private listeners = new Set<LiveListener>();
  private failures = 0;
  /** A subscription was in force and the socket dropped since: views re-read once subscribed again. */
  private missed = false;
  private wanted = false;
  private retry: unknown = null;
  private ping: unknown = null;
  private pong: unknown = null;

  /**
   * `url`: the WebSocket API's URL; `token`: the current access token, or null; `needsToken`: the
   * page signs in, so there is no connection without a token.
   */
  constructor(
    private readonly url: string,
    private readonly token: () => string | null,
    private readonly needsToken: boolean,
    private readonly env: LiveEnv = browser(),
  ) {}

  /** Adds a listener; the function returned removes it. */
  listen(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Connects (when not connected yet) and stays connected until stop(). */
  start(): void {
    this.wanted = true;
    if (!this.socket && this.retry === null) this.open();
  }

  /** Closes the socket cleanly; nothing reconnects until start(). */
  stop(): void {
    this.wanted = false;
    this.clearTimers();
    if (this.retry !== null) this.env.clearTimeout(this.retry);
    this.retry = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = socket.onmessage = socket.onerror = socket.onopen = null;
      socket.close(1000, 'page closed the feed');
    }
    this.failures = 0;
    this.missed = false;
    this.setState('off');
  }

  /**
   * Closes the socket cleanly as the page is left; when it comes back (from the back/forward
   * cache), start() connects again and the views re-read what they show.
   */
  pause(): void {
    const missed = this.missed || this.state === 'live';
    this.stop();
    this.missed = missed;
  }

  /** A new socket with the current token (after signing in again). */
  restart(): void {
    this.stop();
    this.start();
  }

  /** Connects again now if it is waiting to (the browser is back online). */
  hurry(): void {
    if (!this.wanted || this.retry === null) return;
    this.env.clearTimeout(this.retry);
    this.retry = null;
    this.open();
  }

  private open(): void {
    const token = this.token();
    if (this.needsToken && !token) {
      // Signed out, or the token expired: wait for a sign-in (which calls restart()).
      this.setState('off');
      return;
    }
    this.setState(this.missed ? 'reconnecting' : 'connecting');
    let socket: WebSocketLike;
    try {
      let url = this.url;
      if (token) {
        const u = new URL(url);
        u.searchParams.set('token', token);
        url = u.toString();
      }
      socket = new this.env.WebSocket(url);
    } catch {
      this.dropped();
      return;
    }
    this.socket = socket;
    socket.onopen = () => socket.send(SUBSCRIBE);
    socket.onmessage = (event) => this.received(typeof event.data === 'string' ? event.data : '');
    socket.onerror = () => {};
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.dropped();
    };
  }

  private received(text: string): void {
    const message = parseMessage(text);
    if (!message) return;
    // Any answer shows the connection is alive.
    if (this.pong !== null) {
      this.env.clearTimeout(this.pong);
      this.pong = null;
    }
    switch (message.type) {
      case 'subscribed': {
        this.failures = 0;
        this.setState('live');
        this.clearTimers();
        this.schedulePing();
        if (this.missed) {
          this.missed = false;
          for (const l of [...this.listeners]) l.resync?.();
        }
        return;
      }
      case 'error':
        // Not subscribed (the connection is unknown, or the subscription could not be stored):
        // start over on a new connection. An error once live (a refused ping) changes nothing.
        if (this.state !== 'live') this.socket?.close(4000, 'subscription failed');
        return;
      case 'person.created':
      case 'person.updated':
      case 'person.deleted':
        for (const l of [...this.listeners]) l.change?.(message);
        return;
      default:
    }
  }

  private dropped(): void {
    this.clearTimers();
    if (this.state === 'live') this.missed = true;
    if (!this.wanted) return;
    // Once live, views have something to re-read; before, the first view loads after or beside it.
    this.setState(this.missed ? 'reconnecting' : 'connecting');
    const wait = backoff(this.failures++, this.env.random);
    this.retry = this.env.setTimeout(() => {
      this.retry = null;
      this.open();
    }, wait);
  }

  private schedulePing(): void {
    if (this.ping !== null) this.env.clearTimeout(this.ping);
    this.ping = this.env.setTimeout(() => {
      this.ping = null;
      const socket = this.socket;
      if (!socket || socket.readyState !== OPEN) return;
      socket.send(PING);
      this.pong = this.env.setTimeout(() => {
        this.pong = null;
        // No answer: the connection is dead without the browser knowing yet.
        if (this.socket === socket) {
          socket.onclose = socket.onmessage = socket.onerror = null;
          socket.close(4001, 'no pong');
          this.socket = null;
          this.dropped();
        }
      }, PONG_WITHIN);
      this.schedulePing();
    }, PING_EVERY);
  }

  private clearTimers(): void {
    if (this.ping !== null) this.env.clearTimeout(this.ping);
    this.ping = null;
    if (this.pong !== null) this.env.clearTimeout(this.pong);
    this.pong = null;
  }

  private setState(state: LiveState): void {
    if (this.state === state) return;
    this.state = state;
    for (const l of [...this.listeners]) l.state?.(state);
  }
}

/** Changes this page made itself, by id: their echo from the feed is applied without being announced. */
const own = new Map<string, string>();

/**
 * Notes that this page made a change: created or updated `version` of person `id`, or deleted it at
 * `version` (a delete's event carries the last version, which the update before it carries too).
 */
export function wrote(type: PersonChange['type'], id: string, version: number): void {
  own.delete(id);
  own.set(id, `${type} ${version}`);
  if (own.size > 100) own.delete(own.keys().next().value!);
}

/** True for the echo of a change this page made. */
export function isOwn(change: PersonChange): boolean {
  return own.get(change.id) === `${change.type} ${change.version}`;
}
