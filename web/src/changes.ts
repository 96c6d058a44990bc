// The real-time feed's messages (crates/people/src/ws/message.rs and feed.rs) and what a change
// means for what the page shows: pure functions, no DOM and no socket, so they are unit tested
// (tests/changes.test.ts).

import type { Person } from './api.ts';

export type ChangeType = 'person.created' | 'person.updated' | 'person.deleted';

/** One change of a person, as the stream function pushes it. */
export interface PersonChange {
  type: ChangeType;
  id: string;
  /** The version after the change; for a delete, the last version the person had. */
  version: number;
  /** The person after the change, as the REST API returns it; null for a delete. */
  person: Person | null;
  /** When it was written (RFC 3339). */
  at: string;
}

export type ServerMessage =
  | PersonChange
  | { type: 'subscribed'; filter: unknown }
  | { type: 'unsubscribed' }
  | { type: 'pong' }
  | { type: 'error'; status: number; title: string; detail: string };

const CHANGES: readonly string[] = ['person.created', 'person.updated', 'person.deleted'];

/** A frame from the server, or null for one this page does not understand (it is ignored). */
export function parseMessage(text: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'subscribed':
    case 'unsubscribed':
    case 'pong':
      return m as ServerMessage;
    case 'error':
      return { type: 'error', status: Number(m.status) || 0, title: String(m.title ?? ''), detail: String(m.detail ?? '') };
    default: {
      if (typeof m.type !== 'string' || !CHANGES.includes(m.type)) return null;
      if (typeof m.id !== 'string' || !m.id || typeof m.version !== 'number') return null;
      const person = m.person as Person | null | undefined;
      if (m.type === 'person.deleted' ? person != null : !isPerson(person, m.id)) return null;
      return { type: m.type as ChangeType, id: m.id, version: m.version, person: person ?? null, at: String(m.at ?? '') };
    }
  }
}

function isPerson(value: unknown, id: string): value is Person {
  const p = value as Partial<Person> | null | undefined;
  return !!p && p.id === id && typeof p.name === 'string' && typeof p.email === 'string' && typeof p.version === 'number';
}

/** How long to wait before connecting again after `attempt` failures: 1 s doubling to 30 s, with jitter (half to all of it). */
export function backoff(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(30_000, 1_000 * 2 ** Math.max(0, attempt));
  return Math.round(ceiling * (0.5 + random() / 2));
}

export interface Filters {
  tag: string;
  name: string;
  email: string;
}

/**
 * Whether `person` may be in a listing with `filters`, as the list function filters (tags and email
 * are stored trimmed and lowercase, names are matched by lowercase prefix). Used only to decide
 * whether a change is worth a "refresh" notice, so when in doubt it says yes.
 */
export function mayMatch(person: Person, filters: Filters): boolean {
  const tag = filters.tag.trim().toLowerCase();
  const name = filters.name.toLowerCase();
  const email = filters.email.trim().toLowerCase();
  if (tag && !(person.tags ?? []).some((t) => t.toLowerCase() === tag)) return false;
  if (name && !person.name.toLowerCase().startsWith(name)) return false;
  if (email && person.email.toLowerCase() !== email) return false;
  return true;
}

/** What a listing shows: the versions of the people on screen, its filters and page. */
export interface ListView {
  shown: ReadonlyMap<string, number>;
  filters: Filters;
  page: number;
}

export type ListAction =
  /** Put the person at the top of the list (newest first). */
  | { kind: 'insert'; person: Person }
  /** Show the person's new version in its row; `stale`: it may not belong here any more. */
  | { kind: 'replace'; person: Person; stale: boolean }
  /** Take the person's row away. */
  | { kind: 'remove'; id: string }
  /** The listing may be out of date: count it in the "refresh" notice. */
  | { kind: 'notice' }
  | { kind: 'none' };

/**
 * What a change does to a listing. New people come first (ids are time-ordered), so a created person
 * goes on top of the first page without filters; anywhere else the page cannot know where it
 * belongs, and says so. Rows change and go in place. Changes arrive at least once and may repeat: a
 * version already shown changes nothing.
 */
export function listAction(view: ListView, change: PersonChange): ListAction {
  const filtered = Boolean(view.filters.tag || view.filters.name || view.filters.email);
  const shown = view.shown.get(change.id);
  if (change.type === 'person.deleted') return shown === undefined ? { kind: 'none' } : { kind: 'remove', id: change.id };
  const person = change.person!;
  if (shown !== undefined) {
    if (change.version <= shown) return { kind: 'none' };
    return { kind: 'replace', person, stale: filtered && !mayMatch(person, view.filters) };
  }
  if (change.type === 'person.created') {
    if (!filtered) return view.page === 0 ? { kind: 'insert', person } : { kind: 'notice' };
    return mayMatch(person, view.filters) ? { kind: 'notice' } : { kind: 'none' };
  }
  // An update of someone not on screen: on another page, unless it now matches the filters.
  return filtered && mayMatch(person, view.filters) ? { kind: 'notice' } : { kind: 'none' };
}

/** What the edit form of a person at `version` makes of a change. */
export function formAction(id: string, version: number, change: PersonChange): 'changed' | 'deleted' | 'none' {
  if (change.id !== id) return 'none';
  if (change.type === 'person.deleted') return 'deleted';
  return change.version > version ? 'changed' : 'none';
}

/** A sentence for screen readers about changes the page applied (names of one to three people). */
export function describeChanges(applied: { type: ChangeType; name: string }[], notices: number): string {
  const parts: string[] = [];
  const verbs: Record<ChangeType, string> = { 'person.created': 'added', 'person.updated': 'changed', 'person.deleted': 'removed' };
  if (applied.length === 1) {
    const [one] = applied;
    parts.push(`${one!.name} was ${verbs[one!.type]} by someone else.`);
  } else if (applied.length > 1) {
    const counts = (['person.created', 'person.updated', 'person.deleted'] as const)
      .map((t) => [applied.filter((a) => a.type === t).length, verbs[t]] as const)
      .filter(([n]) => n > 0)
      .map(([n, verb]) => `${n} ${verb}`);
    parts.push(`${applied.length} people changed by someone else: ${counts.join(', ')}.`);
  }
  if (notices > 0) parts.push(`${notices === 1 ? '1 change' : `${notices} changes`} to this list; refresh to see ${notices === 1 ? 'it' : 'them'}.`);
  return parts.join(' ');
}
