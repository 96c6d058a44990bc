// Debian's Chromium driven by playwright-core (its own browser download does not work here), headless,
// with what keeps it off the network: no background services, no component updates.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';

import { SCREENSHOTS } from './stack.ts';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  // Root (CI containers) cannot use Chromium's sandbox.
  ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
];

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export async function launch(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (make web-test installs it as root)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors and console errors the page produced, expected 4xx answers aside. */
  problems: string[];
}

/** A fresh context (nothing shared between tests) and page; page errors are collected. */
export async function open(browser: Browser, base: string, viewport = DESKTOP): Promise<Session> {
  const context = await browser.newContext({ viewport, baseURL: base, reducedMotion: 'reduce' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Chromium logs every 4xx/5xx answer to fetch as a console error; the tests provoke some on purpose.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  page.setDefaultTimeout(15_000);
  return { context, page, problems };
}

/** Writes target/web-screenshots/<name>-<desktop|phone>.png at both widths. */
export async function screenshots(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const before = page.viewportSize() ?? DESKTOP;
  for (const [label, size] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    await page.setViewportSize(size);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${label}.png`), fullPage: true, animations: 'disabled', caret: 'hide' });
  }
  await page.setViewportSize(before);
}
