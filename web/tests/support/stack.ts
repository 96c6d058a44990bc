// The stack `make dev` runs (DynamoDB Local, the functions under `cargo lambda watch`, the local API
// Gateway serving web/dist and the API on one port), started from the xtask binary on free ports with
// its own in-memory table, as `make contract-test` does. xtask reports ready once every function has
// answered, so no clock in a test includes a function's start. `WEB_TEST_URL` points the tests at a stack
// that is already running instead (its AUTH must match what the test file needs; `WEB_TEST_WS_URL` is
// its WebSocket gateway, ws://127.0.0.1:9001 unless set).

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const TARGET = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
export const XTASK = path.join(TARGET, 'debug', 'xtask');
/** Where the tests leave screenshots, the stack's log and measurements. */
export const OUT = path.join(ROOT, 'target', 'web-tests');
export const SCREENSHOTS = path.join(ROOT, 'target', 'web-screenshots');

export interface Stack {
  /** http://127.0.0.1:PORT: the page at /, the API at /people. */
  base: string;
  auth: boolean;
  /** ws://127.0.0.1:WS_PORT: the local WebSocket gateway of the real-time feed. */
  webSocketUrl: string;
  /** A development token (AUTH=on), minted with the same key the stack verifies with. */
  token(subject: string, scopes: string): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function mint(subject: string, scopes: string): string {
  return execFileSync(XTASK, ['token', '--sub', subject, '--scopes', scopes, '--ttl', '3600'], { encoding: 'utf8' }).trim();
}

export async function startStack(name: string, { auth = false } = {}): Promise<Stack> {
  if (process.env.WEB_TEST_URL) {
    const webSocketUrl = process.env.WEB_TEST_WS_URL || 'ws://127.0.0.1:9001';
    return { base: process.env.WEB_TEST_URL.replace(/\/$/, ''), auth, webSocketUrl, token: mint, stop: async () => {} };
  }
  if (!fs.existsSync(XTASK)) throw new Error(`${XTASK} is missing: build it with cargo build --locked -p xtask (make web-test does)`);
  if (!fs.existsSync(path.join(ROOT, 'web', 'dist', 'index.html'))) throw new Error('web/dist is missing: npm run build in web/ (make web-test does)');
  fs.mkdirSync(OUT, { recursive: true });
  const [api, db, ws] = [await freePort(), await freePort(), await freePort()];
  const log = path.join(OUT, `${name}-stack.log`);
  const out = fs.openSync(log, 'w');
  const child: ChildProcess = spawn(XTASK, ['dev'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(api),
      DYNAMODB_PORT: String(db),
      WS_PORT: String(ws),
      TABLE_NAME: `people-web-${name}`,
      AUTH: auth ? 'on' : 'off',
      RUST_LOG: 'warn',
      PERSIST: '',
      // No restart of the functions under a running test when a file in the work tree changes.
      RELOAD: 'off',
    },
    stdio: ['ignore', out, out],
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = async () => {
    if (exited) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await gone;
    clearTimeout(timer);
  };
  // Whatever happens to the test process, the stack goes with it.
  process.once('exit', () => {
    if (!exited) child.kill('SIGINT');
  });
  const deadline = Date.now() + 180_000;
  while (!fs.readFileSync(log, 'utf8').includes('Ctrl-C stops')) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`the stack did not start:\n${fs.readFileSync(log, 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const base = `http://127.0.0.1:${api}`;
  const stack: Stack = { base, auth, webSocketUrl: `ws://127.0.0.1:${ws}`, token: mint, stop };
  return stack;
}
