// The people app: a hash router over three views (the list, the person form, sign-in), a header that
// shows who is signed in and whether live updates are on, and one live region for what just happened.

import { ApiError, setApiBase } from './api.ts';
import { type RuntimeConfig, accessToken, completeCognitoSignIn, identity, loadConfig, signOut } from './auth.ts';
import { announce, byId, focus, h, replace } from './dom.ts';
import { errorBox } from './errors.ts';
import { renderForm } from './form.ts';
import { renderList } from './list.ts';
import { LiveFeed, type LiveListener, type LiveState } from './live.ts';
import { renderSignIn } from './signin.ts';

export interface App {
  config: RuntimeConfig;
  /** True while the view rendered as `generation` is still the one on screen. */
  alive(generation: number): boolean;
  /** Goes to a hash route (`#/`, `#/new`, `#/people/<id>`), with a message for the live region. */
  go(route: string, message?: string): void;
  /** Handles an error every view treats alike (401: sign in); false when the view must show it. */
  handled(error: unknown): boolean;
  /** Redraws the header's account area. */
  refreshAccount(): void;
  /** Called by the sign-in view with a token in hand: back to the route that needed it. */
  signedIn(): void;
  /** The route to show after signing in: the one that needed it, or the list. */
  returnRoute(): string;
  /**
   * Listens to the live feed while the view rendered as `generation` is on screen; nothing happens
   * without a feed (no `webSocketUrl` in config.json).
   */
  watch(generation: number, listener: LiveListener): void;
}

let generation = 0;
/** The route that needed a sign-in, to return to afterwards. */
let afterSignIn: string | null = null;
/** The live feed, when config.json names one. */
let live: LiveFeed | null = null;
/** What the view on screen listens to; removed when another view renders. */
let unwatch: (() => void)[] = [];

const app: App = {
  config: {},
  alive: (g) => g === generation,
  go(route, message) {
    if (message) announce(message);
    if (location.hash === route) render();
    else location.hash = route;
  },
  handled(error) {
    if (error instanceof ApiError && error.status === 401 && app.config.signIn) {
      afterSignIn = location.hash || '#/';
      app.go('#/signin');
      return true;
    }
    return false;
  },
  refreshAccount,
  signedIn() {
    refreshAccount();
    // A new token (maybe another user's): a new connection.
    live?.restart();
    const to = app.returnRoute();
    afterSignIn = null;
    app.go(to, `Signed in as ${identity()?.subject ?? 'you'}.`);
  },
  returnRoute: () => (afterSignIn && afterSignIn !== '#/signin' ? afterSignIn : '#/'),
  watch(g, listener) {
    if (live && g === generation) unwatch.push(live.listen(listener));
  },
};

function refreshAccount(): void {
  const account = byId('account');
  const signIn = app.config.signIn;
  if (!signIn) {
    replace(account);
    return;
  }
  const who = identity();
  replace(account, who
    ? [h('span', { class: 'who' }, 'Signed in as ', h('strong', null, who.subject)),
      h('button', { type: 'button', class: 'link', onclick: () => { live?.stop(); signOut(app.config); refreshAccount(); app.go('#/signin', 'Signed out.'); } }, 'Sign out')]
    : location.hash !== '#/signin' && h('a', { href: '#/signin', class: 'link' }, 'Sign in'));
}

/** The view on screen (its path without the query), to tell a new view from a new query. */
let shown: string | null = null;

function render(): void {
  const hash = location.hash;
  // In-page links (#main) are not routes.
  if (hash && !hash.startsWith('#/')) return;
  const g = ++generation;
  for (const stop of unwatch) stop();
  unwatch = [];
  const main = byId('main');
  const [path = '/', query = ''] = hash.slice(1).split('?');
  const params = new URLSearchParams(query);
  refreshAccount();
  if (path === '/new') renderForm(main, app, g, null);
  else if (path.startsWith('/people/')) renderForm(main, app, g, decodeURIComponent(path.slice('/people/'.length)));
  else if (path === '/signin') renderSignIn(main, app, g);
  else renderList(main, app, g, params);
  // A new view starts the reader (and the keyboard) at its heading; the first one as the page loads.
  if (shown !== null && shown !== path && !main.contains(document.activeElement)) focus(main.querySelector('h1'));
  shown = path;
}

async function start(): Promise<void> {
  app.config = await loadConfig();
  setApiBase(app.config.apiBase);
  try {
    await completeCognitoSignIn(app.config);
    if (identity()) announce(`Signed in as ${identity()!.subject}.`);
  } catch (error) {
    replace(byId('main'), errorBox(error));
    focus(byId('main'));
    return;
  }
  document.querySelector<HTMLAnchorElement>('a.skip')?.addEventListener('click', (event) => {
    event.preventDefault();
    focus(document.querySelector('main h1') ?? byId('main'));
  });
  window.addEventListener('hashchange', render);
  startLive();
  render();
}

const LIVE_TEXT: Record<LiveState, string> = {
  off: '',
  connecting: 'Connecting live updates…',
  live: 'Live updates on',
  reconnecting: 'Live updates interrupted, reconnecting…',
};

/** The live feed, if config.json names one: connected now, or once signed in. */
function startLive(): void {
  const url = app.config.webSocketUrl;
  if (!url) return;
  const needsToken = Boolean(app.config.signIn);
  live = new LiveFeed(url, accessToken, needsToken);
  const indicator = byId('live');
  live.listen({
    state(state) {
      indicator.textContent = LIVE_TEXT[state];
      indicator.dataset.state = state;
      indicator.hidden = state === 'off';
    },
  });
  if (!needsToken || accessToken()) live.start();
  window.addEventListener('online', () => live?.hurry());
  // Leaving the page (or into the back/forward cache): a clean close; back from the cache: again.
  window.addEventListener('pagehide', () => live?.pause());
  window.addEventListener('pageshow', (event) => {
    if (event.persisted && (!needsToken || accessToken())) live?.start();
  });
}

void start();
