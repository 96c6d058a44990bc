// Live updates in headless Chromium against the stack `make dev` runs (AUTH=off): the page keeps one
// WebSocket to the local WebSocket gateway (xtask's stand-in for API Gateway's, fed by the stream
// poller), and other people's changes, made here through the REST API and never through the page,
// show up without a reload: on the list (added on top, changed in place, removed, or counted in a
// "refresh" notice where the page cannot place them) and on the edit form (changed or deleted
// elsewhere). A dropped socket reconnects and the list is read again. Screenshots go to
// target/web-screenshots/.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Browser, Page, WebSocketRoute } from 'playwright-core';

import { Api } from './support/api.ts';
import { type Session, launch, open, screenshots } from './support/browser.ts';
import { type Stack, startStack } from './support/stack.ts';

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
/** Waits until the page's socket is subscribed: from then on, every change reaches it. */
const live = (page: Page) => page.locator('#live[data-state="live"]').waitFor();
/** What has focus, as `tag:id-or-text`. */
const active = (page: Page) => page.evaluate(() => {
  const el = document.activeElement as HTMLElement | null;
  return `${el?.tagName.toLowerCase()}:${el?.id || el?.textContent?.trim()}`;
});
/** Counts the page's list requests (GET /people). */
function listings(page: Page): () => number {
  let n = 0;
  page.on('request', (request) => {
    if (request.method() === 'GET' && new URL(request.url()).pathname === '/people') n += 1;
  });
  return () => n;
}

before(async () => {
  stack = await startStack('live');
  api = new Api(stack.base);
  browser = await launch();
});

after(async () => {
  for (const s of sessions) assert.deepEqual(s.problems, [], 'no page errors');
  await browser?.close();
  await stack?.stop();
});

describe('live updates', () => {
  test('the list shows people added, changed and deleted through the API as it happens, and focus stays put', async () => {
    const grace = await api.create({ name: 'Grace Hopper', email: 'grace@example.com', tags: ['navy'] });
    const page = await session();
    const lists = listings(page);
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto('/');
    await page.getByRole('link', { name: 'Grace Hopper' }).waitFor();
    await live(page);
    assert.equal(await page.locator('#live').textContent(), 'Live updates on');
    assert.deepEqual(sockets, [`${stack.webSocketUrl}/`], 'one socket, to the local WebSocket gateway, without a token (AUTH=off)');
    // The reader is on Grace's link; nothing that follows moves them.
    await page.getByRole('link', { name: 'Grace Hopper' }).focus();

    const ada = await api.create({ name: 'Ada Lovelace', email: 'ada@example.com', tags: ['math'] });
    await page.getByRole('link', { name: 'Ada Lovelace' }).waitFor();
    assert.deepEqual(await names(page), ['Ada Lovelace', 'Grace Hopper'], 'on top: newest first');
    await announced(page, 'Ada Lovelace was added by someone else.');
    assert.equal(await active(page), 'a:Grace Hopper', 'focus stays');
    assert.equal(await page.locator('.people > li').first().getAttribute('class'), 'person fresh', 'highlighted');

    await api.replace(grace.id, { name: 'Grace Brewster Hopper', phone: '+1 202 555 0100' });
    await page.getByRole('link', { name: 'Grace Brewster Hopper' }).waitFor();
    assert.deepEqual(await names(page), ['Ada Lovelace', 'Grace Brewster Hopper'], 'changed in place');
    assert.equal(await page.locator('.people > li').nth(1).locator('.phone').textContent(), '+12025550100');
    await announced(page, 'Grace Brewster Hopper was changed by someone else.');
    assert.equal(await active(page), 'a:Grace Brewster Hopper', 'focus follows the changed row');

    await api.delete(ada.id);
    await page.getByRole('link', { name: 'Ada Lovelace' }).waitFor({ state: 'detached' });
    assert.deepEqual(await names(page), ['Grace Brewster Hopper']);
    await announced(page, 'Ada Lovelace was removed by someone else.');
    assert.equal(await active(page), 'a:Grace Brewster Hopper');
    await screenshots(page, 'live-list');

    // The reader's own row goes: focus moves to the results' heading, not to the page's body.
    await api.delete(grace.id);
    await page.getByText('No people yet.').waitFor();
    assert.equal(await active(page), 'h2:results-title');
    assert.equal(lists(), 1, 'all of it without reading the list again');
    assert.equal(sockets.length, 1);
  });

  test('where a new person cannot be placed, a notice counts the changes, and Refresh shows them', async () => {
    const page = await session();
    await page.goto('/#/?tag=live');
    await page.getByText('No people match these filters.').waitFor();
    await live(page);
    // Someone who does not match the filter is not counted.
    await api.create({ name: 'Not Live', email: 'notlive@example.com', tags: ['other'] });
    await api.create({ name: 'Live One', email: 'one@example.com', tags: ['live'] });
    await api.create({ name: 'Live Two', email: 'two@example.com', tags: ['live'] });
    const notice = page.locator('.changes-notice');
    await notice.getByText('2 changes since this list was loaded.').waitFor();
    // Changes arrive in order within a few hundred milliseconds: a count still right after a second is final.
    await page.waitForTimeout(1_000);
    assert.equal(await notice.locator('#changes-text').textContent(), '2 changes since this list was loaded.');
    assert.equal(await page.locator('.people > li').count(), 0, 'nothing placed where it may not belong');
    await screenshots(page, 'live-notice');
    await notice.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('link', { name: 'Live Two' }).waitFor();
    assert.deepEqual(await names(page), ['Live Two', 'Live One']);
    assert.equal(await notice.isHidden(), true);
    assert.equal(await active(page), 'h2:results-title');
  });

  test('editing someone changed elsewhere: told at once, their version on request; deleted elsewhere: told too', async () => {
    const kay = await api.create({ name: 'Kay Edit', email: 'kay@example.com', tags: ['edit'] });
    const page = await session();
    await page.goto(`/#/people/${kay.id}`);
    await page.getByRole('heading', { level: 1, name: 'Edit Kay Edit' }).waitFor();
    await live(page);
    await page.getByLabel('Name', { exact: true }).fill('Kay Edited');

    await api.replace(kay.id, { phone: '+44 20 7946 0958' });
    const notice = page.locator('.notice.warning');
    await notice.getByText('This person was just changed by someone else').waitFor();
    assert.match(await notice.textContent() ?? '', /saved a newer version \(version 2\) while you were editing/);
    await announced(page, 'Kay Edit was just changed by someone else.');
    assert.equal(await active(page), 'input:f-name', 'focus stays where the reader types');
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Kay Edited', 'nothing typed is lost');
    await screenshots(page, 'live-changed-elsewhere');

    // Their version, what they changed, and the reader's edit on top: the flow of a refused save.
    await notice.getByRole('button', { name: 'Load the newer version' }).click();
    const changes = notice.locator('table.changes');
    await changes.waitFor();
    assert.deepEqual(await changes.locator('tbody tr').allTextContents(), ['Phoneempty+442079460958']);
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Kay Edit', 'their version is in the form');
    await page.getByRole('button', { name: 'Apply my edits to their version' }).click();
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Kay Edited');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('link', { name: 'Kay Edited' }).waitFor();
    await announced(page, 'Saved changes to Kay Edited.');
    const saved = (await api.get(kay.id))!.person;
    assert.deepEqual([saved.name, saved.phone, saved.version], ['Kay Edited', '+442079460958', 3]);

    // Its own save is not news to the page.
    await page.waitForTimeout(1_000);
    assert.equal(await page.locator('#status').filter({ hasText: 'by someone else' }).count(), 0);

    await page.getByRole('link', { name: 'Kay Edited' }).click();
    await page.getByRole('heading', { level: 1, name: 'Edit Kay Edited' }).waitFor();
    await page.getByLabel('Email', { exact: true }).fill('kay.edited@example.com');
    await api.delete(kay.id);
    await notice.getByText('This person was deleted').waitFor();
    assert.match(await notice.textContent() ?? '', /Someone else deleted this person while you were editing/);
    await announced(page, 'Someone else deleted this person while you were editing.');
    assert.equal(await active(page), 'input:f-email', 'focus stays');
    await screenshots(page, 'live-deleted-elsewhere');
    // Saving now asks nothing of the API: the notice says why, and has focus.
    const writes: string[] = [];
    page.on('request', (request) => {
      if (request.method() !== 'GET') writes.push(`${request.method()} ${request.url()}`);
    });
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForFunction(() => document.activeElement?.classList.contains('warning'));
    assert.deepEqual(writes, []);
  });

  test('a dropped socket reconnects, and the list is read again for what it missed', async () => {
    const page = await session();
    const lists = listings(page);
    const routes: WebSocketRoute[] = [];
    // The page's socket goes through a route to the gateway, which the test can cut.
    const servers: WebSocketRoute[] = [];
    await page.routeWebSocket((url) => url.origin === new URL(stack.webSocketUrl).origin, (ws) => {
      routes.push(ws);
      servers.push(ws.connectToServer());
    });
    await page.goto('/');
    await page.locator('.people > li, .empty').first().waitFor();
    await live(page);
    assert.equal(lists(), 1);

    // Both ends, as when the network drops: the gateway forgets the connection too.
    await servers[0]!.close({ code: 1001, reason: 'gone' });
    await routes[0]!.close({ code: 1011, reason: 'gone' });
    await page.locator('#live[data-state="reconnecting"]').waitFor();
    assert.equal(await page.locator('#live').textContent(), 'Live updates interrupted, reconnecting…');
    await screenshots(page, 'live-reconnecting');
    // Made while the page has no socket: only reading the list again shows it.
    await api.create({ name: 'Missed Meanwhile', email: 'missed@example.com' });

    await live(page);
    await page.getByRole('link', { name: 'Missed Meanwhile' }).waitFor();
    assert.equal(routes.length, 2, 'a new socket');
    assert.equal(lists(), 2, 'the list read once more after the reconnect');
    assert.equal((await names(page))[0], 'Missed Meanwhile');
  });
});
