// The people API (openapi.json at the repository root), same origin by default: behind CloudFront
// the page and /people* share a host, and `make dev` serves both on one port.

import { accessToken } from './auth.ts';

export interface Person {
  id: string;
  name: string;
  email: string;
  phone?: string | null;
  tags?: string[] | null;
  created_at: string;
  updated_at: string;
  version: number;
}

/** What the create and edit forms send (PUT replaces: a member left out is removed). */
export interface PersonInput {
  name: string;
  email: string;
  phone?: string;
  tags?: string[];
}

export interface Page {
  items: Person[];
  next_cursor: string | null;
}

export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem document, or API Gateway's own `{"message": ...}` turned into one. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  errors_omitted?: number;
  request_id?: string;
}

/** What the caller tried, so a 403 can name the permission it needs. */
export type Action = 'list' | 'read' | 'create' | 'replace' | 'delete';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
    readonly action: Action,
    readonly retryAfter: number | null = null,
  ) {
    super(problem.detail || problem.title);
  }

  /** The field errors of a 400 validation problem or a 409 duplicate email. */
  get fieldErrors(): FieldError[] {
    return this.problem.errors ?? [];
  }
}

/** The network failed or the answer was not HTTP (offline, the stack is down). */
export class NetworkError extends Error {}

let base = '';

/** Points the client at another origin (from config.json's `apiBase`); same origin when empty. */
export function setApiBase(url: string | undefined): void {
  base = (url ?? '').replace(/\/+$/, '');
}

interface Answer<T> {
  body: T;
  etag: string | null;
}

async function call<T>(action: Action, method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...init.headers };
  const token = accessToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(base + path, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new NetworkError(`The API could not be reached (${(e as Error).message}).`);
  }
  const text = await response.text();
  let json: unknown = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!response.ok) {
    const retry = Number(response.headers.get('retry-after'));
    throw new ApiError(response.status, toProblem(response.status, json), action, Number.isFinite(retry) && retry > 0 ? retry : null);
  }
  return { body: json as T, etag: response.headers.get('etag') };
}

function toProblem(status: number, json: unknown): Problem {
  const value = (json ?? {}) as Partial<Problem> & { message?: string };
  if (typeof value.title === 'string') return { ...value, status } as Problem;
  // API Gateway's own answers (401, 403, 413, 429, 5xx) are {"message": "..."}.
  return { type: 'about:blank', title: value.message ?? `HTTP ${status}`, status };
}

export interface ListQuery {
  limit?: number;
  cursor?: string | null;
  tag?: string;
  name_prefix?: string;
  email?: string;
}

export async function listPeople(query: ListQuery): Promise<Page> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return (await call<Page>('list', 'GET', `/people${qs ? `?${qs}` : ''}`)).body;
}

export interface Versioned {
  person: Person;
  etag: string;
}

function versioned(answer: Answer<Person>): Versioned {
  return { person: answer.body, etag: answer.etag ?? '' };
}

const path = (id: string) => `/people/${encodeURIComponent(id)}`;

export async function getPerson(id: string): Promise<Versioned> {
  return versioned(await call<Person>('read', 'GET', path(id)));
}

export async function createPerson(input: PersonInput, idempotencyKey: string): Promise<Versioned> {
  return versioned(await call<Person>('create', 'POST', '/people', { body: input, headers: { 'idempotency-key': idempotencyKey } }));
}

/** Replaces the person if it is still at `etag` (412 otherwise). */
export async function replacePerson(id: string, input: PersonInput, etag: string): Promise<Versioned> {
  return versioned(await call<Person>('replace', 'PUT', path(id), { body: input, headers: { 'if-match': etag } }));
}

/** Deletes the person if it is still at `etag` (412 otherwise). */
export async function deletePerson(id: string, etag: string): Promise<void> {
  await call<null>('delete', 'DELETE', path(id), { headers: { 'if-match': etag } });
}
