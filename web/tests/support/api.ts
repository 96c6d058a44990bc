// Calls to the API from the test, beside the browser: other people's changes, and data to page through.

import assert from 'node:assert/strict';

export interface Person {
  id: string;
  name: string;
  email: string;
  phone?: string | null;
  tags?: string[] | null;
  version: number;
}

export class Api {
  constructor(readonly base: string, private readonly token: string | null = null) {}

  private async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(this.base + path, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async create(person: Omit<Person, 'id' | 'version'>): Promise<Person> {
    const response = await this.call('POST', '/people', person);
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as Person;
  }

  async get(id: string): Promise<{ person: Person; etag: string } | null> {
    const response = await this.call('GET', `/people/${id}`);
    if (response.status === 404) return null;
    assert.equal(response.status, 200, await response.clone().text());
    return { person: (await response.json()) as Person, etag: response.headers.get('etag')! };
  }

  /** Replaces the person at its current version, as another user of the API would. */
  async replace(id: string, change: Partial<Person>): Promise<Person> {
    const current = await this.get(id);
    assert.ok(current, `${id} exists`);
    const { name, email, phone, tags } = { ...current.person, ...change };
    const body: Record<string, unknown> = { name, email };
    if (phone) body.phone = phone;
    if (tags?.length) body.tags = tags;
    const response = await this.call('PUT', `/people/${id}`, body, { 'if-match': current.etag });
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as Person;
  }

  /** Deletes the person at its current version, as another user of the API would. */
  async delete(id: string): Promise<void> {
    const current = await this.get(id);
    assert.ok(current, `${id} exists`);
    const response = await this.call('DELETE', `/people/${id}`, undefined, { 'if-match': current.etag });
    assert.equal(response.status, 204, await response.clone().text());
  }

  async list(query = ''): Promise<Person[]> {
    const response = await this.call('GET', `/people${query}`);
    assert.equal(response.status, 200, await response.clone().text());
    return ((await response.json()) as { items: Person[] }).items;
  }
}
