// The app in headless Chromium against the stack `make dev` runs (AUTH=off, its default): the whole
// life of a person with a concurrent change in the middle, validation and duplicate emails beside
// their fields, 45 people paged 20 at a time, the filters, keyboard-only use, the loading, empty and
// error states, and what the gateway serves. Screenshots go to target/web-screenshots/.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { Api } from './support/api.ts';
import { type Session, launch, open, screenshots } from './support/browser.ts';
import { OUT, type Stack, startStack } from './support/stack.ts';

let stack: Stack;
let browser: Browser;
let api: Api;
const sessions: Session[] = [];

async function session(): Promise<Page> {
  const s = await open(browser, stack.base);
  sessions.push(s);
  return s.page;
}

/** The names in the list, top to bottom. */
const names = (page: Page) => page.locator('.people > li h3').allTextContents();
/** Waits for the live region to say `text`. */
const announced = (page: Page, text: string) => page.locator('#status').filter({ hasText: text }).waitFor();

before(async () => {
  stack = await startStack('app');
  api = new Api(stack.base);
  browser = await launch();
});

after(async () => {
  for (const s of sessions) assert.deepEqual(s.problems, [], 'no page errors');
  await browser?.close();
  await stack?.stop();
});

describe('the people app', () => {
  test('an empty table shows the empty state, and the list appears within a second', async () => {
    const page = await session();
    await page.goto('/');
    await page.getByText('No people yet.').waitFor();
    await screenshots(page, 'empty');
    // Time to the first list, on a page that has people, measured by the page (navigation start to
    // the list in the document), as a reader would see it.
    await api.create({ name: 'Grace Hopper', email: 'grace@example.com', tags: ['navy'] });
    const timings: number[] = [];
    for (let i = 0; i < 3; i++) {
      const fresh = await session();
      await fresh.goto('/');
      await fresh.locator('.people > li').first().waitFor();
      timings.push(await fresh.evaluate(() => performance.getEntriesByName('people:list-shown')[0]!.startTime));
      await fresh.context().close();
    }
    fs.mkdirSync(OUT, { recursive: true });
    fs.writeFileSync(path.join(OUT, 'first-list-ms.json'), JSON.stringify(timings));
    assert.ok(Math.max(...timings) <= 1000, `the list took ${timings.join(', ')} ms`);
  });

  test('create, see it listed, edit, meet a concurrent change, load it, save again, delete', async () => {
    const page = await session();
    await page.goto('/');
    await page.getByRole('link', { name: 'Add person' }).click();
    await page.getByRole('heading', { level: 1, name: 'Add a person' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
    await page.getByLabel('Email', { exact: true }).fill('ada@example.com');
    await page.getByLabel('Tags (optional)').fill('math, poet');
    await screenshots(page, 'create');
    await page.getByRole('button', { name: 'Add person' }).click();

    await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();
    await page.getByRole('link', { name: 'Ada Lovelace' }).waitFor();
    await announced(page, 'Added Ada Lovelace.');
    assert.deepEqual((await names(page))[0], 'Ada Lovelace', 'newest first');
    await screenshots(page, 'list');
    const [ada] = await api.list('?email=ada@example.com');
    assert.ok(ada);
    assert.deepEqual(ada.tags, ['math', 'poet']);

    await page.getByRole('link', { name: 'Ada Lovelace' }).click();
    await page.getByRole('heading', { level: 1, name: 'Edit Ada Lovelace' }).waitFor();
    assert.equal(await page.getByLabel('Email', { exact: true }).inputValue(), 'ada@example.com');
    await page.getByLabel('Name', { exact: true }).fill('Ada King');

    // Meanwhile someone else changes her through the API.
    await api.replace(ada.id, { phone: '+44 20 7946 0958', tags: ['math', 'poet', 'countess'] });

    await page.getByRole('button', { name: 'Save changes' }).click();
    const conflict = page.locator('.notice.warning');
    await conflict.getByText('Someone else changed this person').waitFor();
    assert.match(await conflict.textContent() ?? '', /your changes were not saved/);
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Load the newer version', 'focus on the way out');
    await screenshots(page, 'conflict');

    await page.getByRole('button', { name: 'Load the newer version' }).click();
    const changes = conflict.locator('table.changes');
    await changes.waitFor();
    const rows = await changes.locator('tbody tr').allTextContents();
    assert.deepEqual(rows, ['Phoneempty+442079460958', 'Tagsmath, poetmath, poet, countess']);
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Ada Lovelace', 'their version is in the form');
    assert.equal(await page.getByLabel('Phone (optional)').inputValue(), '+442079460958');
    await screenshots(page, 'conflict-loaded');

    await page.getByRole('button', { name: 'Apply my edits to their version' }).click();
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Ada King', 'my edit is back');
    assert.equal(await page.getByLabel('Phone (optional)').inputValue(), '+442079460958', 'their edit stays');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('link', { name: 'Ada King' }).waitFor();
    await announced(page, 'Saved changes to Ada King.');
    const saved = (await api.get(ada.id))!.person;
    assert.equal(saved.name, 'Ada King');
    assert.equal(saved.phone, '+442079460958');
    assert.deepEqual(saved.tags, ['math', 'poet', 'countess']);
    assert.equal(saved.version, 3);

    await page.getByRole('link', { name: 'Ada King' }).click();
    await page.getByRole('heading', { level: 1, name: 'Edit Ada King' }).waitFor();
    await page.getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Ada King?' });
    await dialog.waitFor();
    await screenshots(page, 'delete-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.ok(await api.get(ada.id), 'Cancel deletes nothing');
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();
    await announced(page, 'Deleted Ada King.');
    assert.equal(await page.getByRole('link', { name: 'Ada King' }).count(), 0);
    assert.equal(await api.get(ada.id), null);
  });

  test('validation errors and a duplicate email show beside their fields', async () => {
    await api.create({ name: 'Taken', email: 'taken@example.com' });
    const page = await session();
    await page.goto('/#/new');
    await page.getByLabel('Email', { exact: true }).fill('not-an-email');
    await page.getByLabel('Tags (optional)').fill('ok, not ok!');
    await page.getByRole('button', { name: 'Add person' }).click();
    const email = page.locator('#f-email-error');
    await email.waitFor();
    assert.match(await email.textContent() ?? '', /not a valid email/);
    assert.match(await page.locator('#f-name-error').textContent() ?? '', /length/);
    assert.match(await page.locator('#f-tags-error').textContent() ?? '', /Tag 3: may contain only/);
    assert.equal(await page.getByLabel('Email', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('Phone (optional)').getAttribute('aria-invalid'), null);
    // The error is part of the field's description, so a screen reader reads it with the field.
    assert.match(await page.getByLabel('Email', { exact: true }).getAttribute('aria-describedby') ?? '', /f-email-error/);
    // Focus on the summary, whose links lead to the fields.
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('role')), 'alert');
    await screenshots(page, 'validation');
    await page.getByRole('link', { name: /^Email: not a valid email/ }).click();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-email');

    await page.getByLabel('Name', { exact: true }).fill('Another');
    await page.getByLabel('Email', { exact: true }).fill('Taken@Example.com');
    await page.getByLabel('Tags (optional)').fill('');
    await page.getByRole('button', { name: 'Add person' }).click();
    await page.locator('#f-email-error').getByText('must be unique across people').waitFor();
    assert.equal(await page.locator('#f-name-error').isHidden(), true, 'the name is fine now');
    assert.match(await page.locator('.notice.error').textContent() ?? '', /This email is already used/);
    await screenshots(page, 'duplicate-email');
  });

  test('45 people, 20 a page: next and previous through the cursor', async () => {
    const created: string[] = [];
    for (let i = 1; i <= 45; i++) {
      const n = String(i).padStart(2, '0');
      created.push((await api.create({ name: `Paged ${n}`, email: `paged${n}@example.com`, tags: ['paged'] })).name);
    }
    const newestFirst = created.reverse();
    const page = await session();
    await page.goto('/#/?tag=paged');
    await page.locator('.people > li').first().waitFor();
    const next = page.getByRole('button', { name: 'Next →' });
    const previous = page.getByRole('button', { name: '← Previous' });
    const position = page.locator('.position');

    assert.deepEqual(await names(page), newestFirst.slice(0, 20));
    assert.equal(await position.textContent(), 'Page 1 · 1–20');
    assert.equal(await previous.isDisabled(), true);
    await screenshots(page, 'paged');
    await next.click();
    await position.getByText('Page 2 · 21–40').waitFor();
    assert.deepEqual(await names(page), newestFirst.slice(20, 40));
    await next.click();
    await position.getByText('Page 3 · 41–45').waitFor();
    assert.deepEqual(await names(page), newestFirst.slice(40));
    assert.equal(await next.isDisabled(), true, 'no page after the last');
    // The pressed button became disabled: focus went to the results' heading, not to the body.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'results-title');
    await previous.click();
    await position.getByText('Page 2 · 21–40').waitFor();
    assert.deepEqual(await names(page), newestFirst.slice(20, 40));
    await previous.click();
    await position.getByText('Page 1 · 1–20').waitFor();
    assert.deepEqual(await names(page), newestFirst.slice(0, 20));

    // Without a filter the same 45 are there, among the others, newest first.
    await page.goto('/#/');
    await page.locator('.people > li').first().waitFor();
    assert.deepEqual((await names(page)).slice(0, 20), newestFirst.slice(0, 20));
  });

  test('filters: tag, name prefix, exact email, and clearing them', async () => {
    await api.create({ name: 'Filtered Zed', email: 'zed@example.com', tags: ['filtered'] });
    await api.create({ name: 'Filtered Amy', email: 'amy@example.com', tags: ['filtered', 'other'] });
    const page = await session();
    await page.goto('/');
    await page.locator('.people > li').first().waitFor();
    await page.getByLabel('Tag', { exact: true }).fill('Filtered');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/#\/\?tag=Filtered$/);
    await page.getByRole('heading', { name: 'Matching people' }).waitFor();
    await page.locator('.people > li').first().waitFor();
    assert.deepEqual(await names(page), ['Filtered Amy', 'Filtered Zed']);

    await page.goto('/#/?name=filtered%20z');
    await page.getByRole('link', { name: 'Filtered Zed' }).waitFor();
    assert.deepEqual(await names(page), ['Filtered Zed']);
    assert.equal(await page.getByLabel('Name starts with').inputValue(), 'filtered z');

    await page.goto('/#/?email=AMY@example.com');
    await page.getByRole('link', { name: 'Filtered Amy' }).waitFor();
    assert.deepEqual(await names(page), ['Filtered Amy']);

    await page.goto('/#/?tag=nobody-has-this');
    await page.getByText('No people match these filters.').waitFor();
    await page.locator('.empty').getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForURL(/#\/$/);
    await page.getByRole('heading', { name: /Everyone, newest first/ }).waitFor();
  });

  test('keyboard only: add a person, fix an error, open and delete it', async () => {
    const page = await session();
    await page.goto('/');
    await page.locator('.people > li').first().waitFor();
    const active = () => page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return `${el?.tagName.toLowerCase()}:${el?.id || el?.textContent?.trim()}`;
    });
    /** Presses Tab until `target` has focus (at most 20 times); fails otherwise. */
    const tabTo = async (target: string, key = 'Tab') => {
      for (let i = 0; i < 20; i++) {
        await page.keyboard.press(key);
        if ((await active()) === target) return;
      }
      assert.fail(`Tab never reached ${target}`);
    };

    await tabTo('a:Skip to content');
    await tabTo('a:Add person');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Add a person' }).waitFor();
    assert.equal(await active(), 'h1:Add a person', 'a new view starts at its heading');
    await tabTo('input:f-name');
    await page.keyboard.type('Kay Board');
    await page.keyboard.press('Tab');
    assert.equal(await active(), 'input:f-email');
    await page.keyboard.type('kay@');
    await page.keyboard.press('Enter');
    await page.locator('#f-email-error').waitFor();
    assert.match(await active(), /^div:/, 'the error summary has focus');
    await page.keyboard.press('Tab');
    assert.match(await active(), /^a:Email: /);
    await page.keyboard.press('Enter');
    assert.equal(await active(), 'input:f-email');
    await page.keyboard.press('End');
    await page.keyboard.type('example.com');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await active(), 'input:f-tags');
    await page.keyboard.type('keys');
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'Kay Board' }).waitFor();
    assert.equal(await active(), 'h1:People');
    await announced(page, 'Added Kay Board.');
    const [kay] = await api.list('?email=kay@example.com');
    assert.deepEqual([kay?.name, kay?.tags], ['Kay Board', ['keys']]);

    await tabTo('a:Kay Board');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Edit Kay Board' }).waitFor();
    await tabTo('button:Delete…');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    assert.equal(await active(), 'button:Cancel', 'the safe choice has focus');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    assert.equal(await active(), 'button:Delete…', 'focus returns to the button');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Shift+Tab');
    assert.equal(await active(), 'button:Delete');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();
    await announced(page, 'Deleted Kay Board.');
    assert.equal(await api.get(kay!.id), null);
  });

  test('loading and error states, and trying again', async () => {
    const page = await session();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let fail = true;
    await page.route(/\/people(\?.*)?$/, async (route) => {
      if (route.request().resourceType() !== 'fetch') return route.continue();
      await held;
      if (fail) {
        await route.fulfill({
          status: 503,
          contentType: 'application/problem+json',
          headers: { 'retry-after': '2' },
          body: JSON.stringify({ type: '/problems/unavailable', title: 'Service Unavailable', status: 503, detail: 'Storage is busy.', request_id: 'r1' }),
        });
      } else {
        await route.continue();
      }
    });
    await page.goto('/');
    await page.getByText('Loading people…').waitFor();
    assert.equal(await page.locator('.results').getAttribute('aria-busy'), 'true');
    await screenshots(page, 'loading');
    release();
    const alert = page.getByRole('alert');
    await alert.getByText('The service is busy').waitFor();
    assert.match(await alert.textContent() ?? '', /Try again in 2 seconds/);
    await screenshots(page, 'error');
    fail = false;
    await alert.getByRole('button', { name: 'Try again' }).click();
    await page.locator('.people > li').first().waitFor();
  });

  test('deployed sign-in: the authorization code flow with PKCE against a stand-in Cognito', async () => {
    // What the stack deploys: /config.json names the Cognito domain and web client, and CloudFront's
    // policy adds the domain to connect-src. Cognito itself is played by routes; the API by the stack,
    // behind a stand-in for API Gateway's authorizer that answers 401 without a bearer token.
    const authority = 'https://people-auth.example.test';
    const page = await session();
    await page.route(`${stack.base}/config.json`, (route) => route.fulfill({
      json: { signIn: { kind: 'cognito', authority, clientId: 'web-client', scopes: ['openid', 'people/read', 'people/write', 'people/self'] } },
    }));
    await page.route((url) => url.origin === stack.base && url.pathname === '/', async (route) => {
      const response = await route.fetch();
      const headers = response.headers();
      headers['content-security-policy'] = headers['content-security-policy']!.replace("connect-src 'self'", `connect-src 'self' ${authority}`);
      await route.fulfill({ response, headers });
    });
    const bearers: string[] = [];
    await page.route(/\/people(\?.*)?$/, async (route) => {
      const authorization = route.request().headers().authorization;
      if (!authorization) return route.fulfill({ status: 401, json: { message: 'Unauthorized' }, headers: { 'www-authenticate': 'Bearer' } });
      bearers.push(authorization);
      return route.continue();
    });
    const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${b64url({ alg: 'RS256', kid: 'k' })}.${b64url({
      sub: '8f0c6f1e', username: 'alice', scope: 'openid people/read people/write', client_id: 'web-client', token_use: 'access',
      exp: Math.floor(Date.now() / 1000) + 3600,
    })}.c2lnbmF0dXJl`;
    let authorize: URLSearchParams | null = null;
    let redeemed: URLSearchParams | null = null;
    await page.route(`${authority}/oauth2/authorize?*`, (route) => {
      authorize = new URL(route.request().url()).searchParams;
      // Cognito redirects back; a page that navigates on is the same for the app, and its request is
      // routed too (one that follows a 302 is not).
      const back = `${stack.base}/?code=the-code&state=${authorize.get('state')}`;
      return route.fulfill({ contentType: 'text/html', body: `<meta http-equiv="refresh" content="0;url=${back}">` });
    });
    await page.route(`${authority}/oauth2/token`, (route) => {
      redeemed = new URLSearchParams(route.request().postData() ?? '');
      return route.fulfill({ json: { access_token: token, id_token: 'unused', token_type: 'Bearer', expires_in: 3600 }, headers: { 'access-control-allow-origin': stack.base } });
    });
    await page.route(`${authority}/logout?*`, (route) => route.fulfill({ contentType: 'text/html', body: `<meta http-equiv="refresh" content="0;url=${stack.base}/">` }));

    await page.goto('/#/?tag=cognito');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.getByRole('button', { name: 'Continue to sign-in' }).click();
    await page.locator('#account .who').filter({ hasText: 'Signed in as alice' }).waitFor();
    await page.getByRole('heading', { name: 'Matching people' }).waitFor();
    assert.equal(new URL(page.url()).hash, '#/?tag=cognito', 'back where sign-in was needed');
    assert.equal(new URL(page.url()).search, '', 'the code is gone from the address');

    const sent = authorize as URLSearchParams | null;
    const code = redeemed as URLSearchParams | null;
    assert.ok(sent && code);
    assert.equal(sent.get('response_type'), 'code');
    assert.equal(sent.get('client_id'), 'web-client');
    assert.equal(sent.get('redirect_uri'), `${stack.base}/`);
    assert.equal(sent.get('scope'), 'openid people/read people/write people/self');
    assert.equal(sent.get('code_challenge_method'), 'S256');
    assert.equal(code.get('grant_type'), 'authorization_code');
    assert.equal(code.get('code'), 'the-code');
    assert.equal(code.get('client_id'), 'web-client');
    assert.equal(code.get('redirect_uri'), `${stack.base}/`);
    const verifier = code.get('code_verifier') ?? '';
    assert.match(verifier, /^[A-Za-z0-9_-]{43,128}$/);
    assert.equal(createHash('sha256').update(verifier).digest('base64url'), sent.get('code_challenge'), 'the verifier matches the challenge');
    assert.ok(bearers.length > 0 && bearers.every((b) => b === `Bearer ${token}`), 'the API gets the access token');
    assert.equal(await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage })), '{}{}', 'only memory holds the token');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.getByRole('button', { name: 'Continue to sign-in' }).waitFor();
  });

  test('the gateway serves the page with its caching and security headers, and no token endpoint', async () => {
    const index = await fetch(`${stack.base}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    // The page may connect to its own origin and to the local WebSocket gateway, nothing else.
    assert.match(csp, new RegExp(`(^|; )connect-src 'self' ${stack.webSocketUrl}(;|$)`));
    assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
    assert.match(index.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
    assert.equal(index.headers.get('referrer-policy'), 'strict-origin-when-cross-origin');
    const html = await index.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'index.html loads a hashed script');
    const js = await fetch(stack.base + script);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const head = await fetch(`${stack.base}/index.html`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    assert.equal((await fetch(`${stack.base}/assets/missing.js`)).status, 404);
    assert.equal((await fetch(`${stack.base}/assets/..%2f..%2fCargo.toml`)).status, 404);
    assert.deepEqual(await (await fetch(`${stack.base}/config.json`)).json(), { signIn: null, webSocketUrl: stack.webSocketUrl });
    // Only AUTH=on has the development token endpoint; here the path is the API's (404 problem).
    const token = await fetch(`${stack.base}/_dev/token`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(token.status, 404);
  });
});
