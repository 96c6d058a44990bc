// The budgets of issue 13, measured on the local stack with 25 people in it, and written to
// target/web-audit/ (budgets.json, budgets.md, Lighthouse's report, axe's violations):
//
// - the JavaScript the first screen loads, gzipped: at most 30 KB;
// - the first load shows the list within 1 s (median and worst of 5 loads in fresh browser contexts,
//   navigation start to the list in the document, after one warm-up load);
// - Lighthouse 12.2.3 (web/package-lock.json) with Debian's Chromium, its default mobile settings
//   (simulated slow 4G and a 4x slower CPU): performance, accessibility, best practices >= 95;
// - axe-core on the list, a form with field errors, the conflict panel and the delete dialog: no
//   serious or critical violation.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

import type { Browser, Page } from 'playwright-core';

import { Api } from './support/api.ts';
import { CHROMIUM, CHROMIUM_FLAGS, launch, open } from './support/browser.ts';
import { ROOT, type Stack, startStack } from './support/stack.ts';

const OUT = path.join(ROOT, 'target', 'web-audit');
const DIST = path.join(ROOT, 'web', 'dist');
const WEB = path.join(ROOT, 'web');

const BUDGET = { jsGzipKB: 30, firstListMs: 1000, lighthouse: 95 };

let stack: Stack;
let browser: Browser;
let api: Api;
const measured: Record<string, unknown> = {};
const lines: string[] = [];

function report(line: string): void {
  lines.push(line);
  console.log(`budget: ${line}`);
}

before(async () => {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  stack = await startStack('budgets');
  api = new Api(stack.base);
  for (let i = 1; i <= 25; i++) {
    await api.create({ name: `Person ${String(i).padStart(2, '0')}`, email: `person${i}@example.com`, phone: '+44 20 7946 0958', tags: ['team', i % 2 ? 'odd' : 'even'] });
  }
  browser = await launch();
});

after(async () => {
  fs.writeFileSync(path.join(OUT, 'budgets.json'), `${JSON.stringify(measured, null, 2)}\n`);
  fs.writeFileSync(path.join(OUT, 'budgets.md'), `${lines.map((l) => `- ${l}`).join('\n')}\n`);
  await browser?.close();
  await stack?.stop();
});

/** Loads the list in a fresh context; the page's own mark says when the list was in the document. */
async function firstList(): Promise<{ ms: number; scripts: string[] }> {
  const { context, page } = await open(browser, stack.base);
  await page.goto('/');
  await page.locator('.people > li').first().waitFor();
  const result = await page.evaluate(() => ({
    ms: performance.getEntriesByName('people:list-shown')[0]!.startTime,
    scripts: performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.js')),
  }));
  await context.close();
  return result;
}

async function axe(page: Page, where: string): Promise<{ where: string; id: string; impact: string; help: string; nodes: number }[]> {
  const source = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol, which the page's CSP (no inline scripts) does not govern.
  await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: { id: string; impact: string; help: string; nodes: unknown[] }[] }> } })
      .axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
  return violations.map((v) => ({ where, ...v }));
}

describe('budgets', () => {
  test('JavaScript for the first screen: at most 30 KB gzipped', async () => {
    const { scripts } = await firstList();
    assert.ok(scripts.length > 0);
    const files = scripts.map((p) => {
      const bytes = fs.readFileSync(path.join(DIST, p));
      return { path: p, bytes: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length };
    });
    const gzip = files.reduce((n, f) => n + f.gzip, 0);
    const raw = files.reduce((n, f) => n + f.bytes, 0);
    measured.firstScreenJs = { files, bytes: raw, gzipBytes: gzip };
    report(`first-screen JavaScript: ${(gzip / 1024).toFixed(1)} KB gzipped (${(raw / 1024).toFixed(1)} KB raw, ${files.length} file${files.length === 1 ? '' : 's'}); budget ${BUDGET.jsGzipKB} KB`);
    assert.ok(gzip <= BUDGET.jsGzipKB * 1024, `${gzip} bytes`);
  });

  test('first load shows the list within 1 s', async () => {
    await firstList();
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push((await firstList()).ms);
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[2]!;
    const worst = sorted[4]!;
    measured.firstListMs = { runs: times.map((t) => Math.round(t)), median: Math.round(median), worst: Math.round(worst) };
    report(`time to the list on first load: median ${Math.round(median)} ms, worst ${Math.round(worst)} ms of 5 (${times.map((t) => Math.round(t)).join(', ')}); budget ${BUDGET.firstListMs} ms`);
    assert.ok(worst <= BUDGET.firstListMs, `${times.join(', ')} ms`);
  });

  test('axe-core: no serious or critical violation', async () => {
    const { page } = await open(browser, stack.base);
    const found = [];
    await page.goto('/');
    await page.locator('.people > li').first().waitFor();
    found.push(...await axe(page, 'list'));
    await page.goto('/#/new');
    await page.getByRole('button', { name: 'Add person' }).click();
    await page.locator('#f-email-error').waitFor();
    found.push(...await axe(page, 'form with errors'));
    const [someone] = await api.list('?limit=1');
    await page.goto(`/#/people/${someone!.id}`);
    await page.getByRole('heading', { level: 1, name: `Edit ${someone!.name}` }).waitFor();
    await api.replace(someone!.id, { name: `${someone!.name} (changed)` });
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('button', { name: 'Load the newer version' }).click();
    await page.locator('table.changes').waitFor();
    found.push(...await axe(page, 'conflict'));
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('dialog').waitFor();
    found.push(...await axe(page, 'delete dialog'));
    await page.context().close();
    fs.writeFileSync(path.join(OUT, 'axe.json'), `${JSON.stringify(found, null, 2)}\n`);
    const serious = found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    measured.axe = { screens: 4, violations: found.length, seriousOrCritical: serious.length };
    report(`axe-core ${(createRequire(import.meta.url)('axe-core/package.json') as { version: string }).version}: ${found.length} violation${found.length === 1 ? '' : 's'} on 4 screens, ${serious.length} serious or critical${found.length ? ` (${found.map((v) => `${v.where}: ${v.id} ${v.impact}`).join('; ')})` : ''}`);
    assert.deepEqual(serious, []);
  });

  test('Lighthouse: performance, accessibility and best practices at least 95', async () => {
    const base = path.join(OUT, 'lighthouse');
    const flags = ['--headless=new', ...CHROMIUM_FLAGS].join(' ');
    await promisify(execFile)(path.join(WEB, 'node_modules', '.bin', 'lighthouse'), [
      `${stack.base}/`,
      '--quiet',
      '--output=json', '--output=html', `--output-path=${base}`,
      '--only-categories=performance,accessibility,best-practices',
      `--chrome-flags=${flags}`,
    ], { env: { ...process.env, CHROME_PATH: CHROMIUM }, maxBuffer: 64 * 1024 * 1024 });
    const lhr = JSON.parse(fs.readFileSync(`${base}.report.json`, 'utf8')) as {
      lighthouseVersion: string;
      categories: Record<string, { score: number }>;
      audits: Record<string, { numericValue?: number }>;
    };
    const scores = Object.fromEntries(Object.entries(lhr.categories).map(([k, c]) => [k, Math.round(c.score * 100)]));
    const metric = (id: string) => Math.round(lhr.audits[id]?.numericValue ?? NaN);
    measured.lighthouse = {
      version: lhr.lighthouseVersion,
      scores,
      fcpMs: metric('first-contentful-paint'),
      lcpMs: metric('largest-contentful-paint'),
      tbtMs: metric('total-blocking-time'),
      cls: lhr.audits['cumulative-layout-shift']?.numericValue,
    };
    report(`Lighthouse ${lhr.lighthouseVersion} (mobile, simulated throttling): performance ${scores.performance}, accessibility ${scores.accessibility}, best practices ${scores['best-practices']}; FCP ${metric('first-contentful-paint')} ms, LCP ${metric('largest-contentful-paint')} ms, TBT ${metric('total-blocking-time')} ms; budget ${BUDGET.lighthouse} each (report: target/web-audit/lighthouse.report.html)`);
    for (const category of ['performance', 'accessibility', 'best-practices']) {
      assert.ok((scores[category] ?? 0) >= BUDGET.lighthouse, `${category}: ${scores[category]}`);
    }
  });
});
