// Sign-in against the stack with AUTH=on: a 401 sends the reader to sign in, the local gateway's
// development token endpoint signs in with chosen permissions, a 403 names the missing one, the token
// lives in memory only, and the endpoint refuses other sites.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Browser, Page, WebSocket } from 'playwright-core';

import { Api } from './support/api.ts';
import { type Session, launch, open, screenshots } from './support/browser.ts';
import { type Stack, startStack } from './support/stack.ts';

let stack: Stack;
let browser: Browser;
const sessions: Session[] = [];

before(async () => {
  stack = await startStack('auth', { auth: true });
  browser = await launch();
});

after(async () => {
  for (const s of sessions) assert.deepEqual(s.problems, [], 'no page errors');
  await browser?.close();
  await stack?.stop();
});

async function signIn(page: Page, user: string, scopes: string[]): Promise<void> {
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  await page.getByLabel('User').fill(user);
  for (const scope of ['people/read', 'people/write', 'people/self']) {
    await page.getByRole('checkbox', { name: new RegExp(`^${scope}`) }).setChecked(scopes.includes(scope));
  }
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#account .who').filter({ hasText: `Signed in as ${user}` }).waitFor();
}

describe('sign-in with AUTH=on', () => {
  test('the page is told how to sign in', async () => {
    const config = await (await fetch(`${stack.base}/config.json`)).json();
    assert.deepEqual(config, {
      signIn: { kind: 'dev', tokenUrl: '/_dev/token', scopes: ['people/read', 'people/write', 'people/self'] },
      webSocketUrl: stack.webSocketUrl,
    });
  });

  test('401 leads to sign-in, 403 names the missing permission, a writer adds, a reload forgets the token', async () => {
    const { page, ...rest } = await open(browser, stack.base);
    sessions.push({ page, ...rest });
    await page.goto('/');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await screenshots(page, 'sign-in');

    await signIn(page, 'reader', ['people/read']);
    await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();
    await page.getByText('No people yet.').waitFor();

    await page.getByRole('link', { name: 'Add person' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Rita Reader');
    await page.getByLabel('Email', { exact: true }).fill('rita@example.com');
    await page.getByRole('button', { name: 'Add person' }).click();
    const alert = page.locator('.notice.error');
    await alert.getByText('You do not have permission to do this').waitFor();
    const text = await alert.textContent() ?? '';
    assert.match(text, /Adding a person needs the permission “people\/write” or “people\/self”/);
    assert.match(text, /You are signed in as reader with “people\/read”/);
    await screenshots(page, 'forbidden');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, 'writer', ['people/write']);
    await page.getByRole('link', { name: 'Add person' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Walt Writer');
    await page.getByLabel('Email', { exact: true }).fill('walt@example.com');
    await page.getByRole('button', { name: 'Add person' }).click();
    await page.getByRole('link', { name: 'Walt Writer' }).waitFor();

    // In memory only: a reload has no token, so the API's 401 leads to sign-in again.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.equal(await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage })), '{}{}');
  });

  test('people/self sees only its own person', async () => {
    const writer = new Api(stack.base, stack.token('someone-else', 'people/write'));
    await writer.create({ name: 'Not Mine', email: 'notmine@example.com' });
    const { page, ...rest } = await open(browser, stack.base);
    sessions.push({ page, ...rest });
    await page.goto('/#/?name=Not');
    await signIn(page, 'selma', ['people/self']);
    // Back where sign-in was needed, and someone else's person is not hers to see.
    await page.getByRole('heading', { name: 'Matching people' }).waitFor();
    await page.getByText('No people match these filters.').waitFor();
    await page.getByRole('link', { name: 'Add person' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Selma Self');
    await page.getByLabel('Email', { exact: true }).fill('selma@example.com');
    await page.getByRole('button', { name: 'Add person' }).click();
    await page.getByRole('link', { name: 'Selma Self' }).waitFor();
    assert.deepEqual(await page.locator('.people > li h3').allTextContents(), ['Selma Self']);
  });

  test('signed in, the page\'s socket carries the token and shows others\' changes; signing out closes it', async () => {
    const { page, ...rest } = await open(browser, stack.base);
    sessions.push({ page, ...rest });
    const sockets: WebSocket[] = [];
    page.on('websocket', (ws) => sockets.push(ws));
    await page.goto('/#/?name=Live');
    await signIn(page, 'watcher', ['people/read']);
    await page.getByRole('heading', { name: 'Matching people' }).waitFor();
    await page.locator('#live[data-state="live"]').waitFor();
    assert.equal(sockets.length, 1, 'one socket, opened once signed in');
    const url = new URL(sockets[0]!.url());
    assert.equal(`${url.protocol}//${url.host}`, stack.webSocketUrl);
    assert.match(url.searchParams.get('token') ?? '', /^[\w-]+\.[\w-]+\.[\w-]+$/, 'the access token in the query string');

    const writer = new Api(stack.base, stack.token('someone-else', 'people/write'));
    const created = await writer.create({ name: 'Live Wire', email: 'wire@example.com' });
    // Filtered: counted, not placed; Refresh shows it.
    await page.locator('.changes-notice').getByText('1 change since this list was loaded.').waitFor();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('link', { name: 'Live Wire' }).waitFor();
    await writer.replace(created.id, { name: 'Live Wired' });
    await page.getByRole('link', { name: 'Live Wired' }).waitFor();

    const closed = new Promise<void>((resolve) => sockets[0]!.once('close', () => resolve()));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await closed;
    assert.equal(await page.locator('#live').isHidden(), true);
    assert.equal(sockets.length, 1, 'no socket without a token');
  });

  test('the token endpoint answers the page only', async () => {
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${stack.base}/_dev/token`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const ok = await post({ sub: 'tester', scopes: 'people/read' }, { origin: stack.base, 'sec-fetch-site': 'same-origin' });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    const token = (await ok.json()) as { access_token: string; token_type: string; expires_in: number };
    assert.equal(token.token_type, 'Bearer');
    assert.equal((await new Api(stack.base, token.access_token).list()).length >= 0, true);
    // Another site's page cannot get a token, even one on another loopback port.
    assert.equal((await post({ sub: 'x', scopes: 'people/read' }, { origin: 'http://127.0.0.1:1' })).status, 403);
    assert.equal((await post({ sub: 'x', scopes: 'people/read' }, { 'sec-fetch-site': 'cross-site' })).status, 403);
    // Only the API's scopes, a subject, JSON, POST.
    assert.equal((await post({ sub: 'x', scopes: 'admin' })).status, 400);
    assert.equal((await post({ sub: '', scopes: 'people/read' })).status, 400);
    assert.equal((await fetch(`${stack.base}/_dev/token`, { method: 'POST', body: 'sub=x' })).status, 415);
    assert.equal((await fetch(`${stack.base}/_dev/token`)).status, 405);
  });
});
