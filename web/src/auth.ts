// Sign-in, configured at run time by /config.json (written by the stack at deploy; answered by the
// local gateway of `make dev`):
//
//   {"signIn": null}                                   no sign-in (make dev with AUTH=off)
//   {"signIn": {"kind": "dev", "tokenUrl": "/_dev/token", "scopes": [...]}}
//                                                      make dev with AUTH=on: a token signed with the
//                                                      local development key, on loopback only
//   {"signIn": {"kind": "cognito", "authority": "https://<domain>.auth.<region>.amazoncognito.com",
//               "clientId": "...", "scopes": ["openid", "people/read", ...]}}
//                                                      deployed: the authorization code flow with PKCE
//
// and, when the stack has the real-time feed, its WebSocket URL: {"webSocketUrl": "wss://..."} (the
// stage's URL deployed, ws://127.0.0.1:$WS_PORT under make dev); without it, no live updates.
//
// The access token is kept in memory only (a reload signs in again; Cognito's own session makes that
// a redirect without a prompt). Only the PKCE verifier and state survive the redirect, in
// sessionStorage, and are removed when the code is redeemed.

export interface CognitoSignIn {
  kind: 'cognito';
  authority: string;
  clientId: string;
  scopes: string[];
}

export interface DevSignIn {
  kind: 'dev';
  tokenUrl: string;
  /** The scopes a development token may carry. */
  scopes: string[];
}

export type SignIn = CognitoSignIn | DevSignIn;

export interface RuntimeConfig {
  /** Another origin for the API; the page's own when absent. */
  apiBase?: string;
  signIn?: SignIn | null;
  /** The real-time feed's WebSocket URL (web/src/live.ts); no live updates when absent. */
  webSocketUrl?: string | null;
}

interface Token {
  value: string;
  /** Milliseconds since the epoch. */
  expires: number;
  subject: string;
  scopes: string[];
}

let token: Token | null = null;

/** The current access token, or null when there is none or it has expired. */
export function accessToken(): string | null {
  if (token && token.expires - 5_000 > Date.now()) return token.value;
  return null;
}

/** Who is signed in and what the token allows, or null. */
export function identity(): { subject: string; scopes: string[] } | null {
  return accessToken() && token ? { subject: token.subject, scopes: token.scopes } : null;
}

export function forget(): void {
  token = null;
}

function remember(value: string, expiresIn: number | undefined): void {
  const claims = decodeClaims(value);
  const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : Date.now() + (expiresIn ?? 3600) * 1000;
  const scope = typeof claims.scope === 'string' ? claims.scope : Array.isArray(claims.scp) ? claims.scp.join(' ') : '';
  token = {
    value,
    expires: exp,
    subject: String(claims.username ?? claims['cognito:username'] ?? claims.sub ?? 'signed in'),
    scopes: scope.split(' ').filter(Boolean),
  };
}

/** The token's claims, read for display only: the API verifies the token, the page never trusts it. */
function decodeClaims(jwt: string): Record<string, unknown> {
  try {
    const payload = jwt.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export async function loadConfig(): Promise<RuntimeConfig> {
  try {
    const response = await fetch('/config.json', { cache: 'no-cache', credentials: 'omit' });
    if (!response.ok) return {};
    return (await response.json()) as RuntimeConfig;
  } catch {
    return {};
  }
}

// ---- make dev with AUTH=on -------------------------------------------------------------------

/** Asks the local gateway for a development token for `subject` with `scopes`. */
export async function devSignIn(config: DevSignIn, subject: string, scopes: string[]): Promise<void> {
  const response = await fetch(config.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: subject, scopes: scopes.join(' ') }),
    cache: 'no-store',
    credentials: 'omit',
  });
  const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; message?: string };
  if (!response.ok || !body.access_token) throw new Error(body.message ?? `the token endpoint answered ${response.status}`);
  remember(body.access_token, body.expires_in);
}

// ---- Cognito: authorization code with PKCE ---------------------------------------------------

const PENDING = 'people.signin';

interface Pending {
  state: string;
  verifier: string;
  /** The hash route to return to. */
  returnTo: string;
}

function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const random = (n: number) => base64url(crypto.getRandomValues(new Uint8Array(n)));
const redirectUri = () => `${location.origin}/`;

/**
 * Sends the browser to Cognito's sign-in page; it comes back to / with ?code=...&state=..., and then
 * goes on to the hash route `returnTo`.
 */
export async function beginCognitoSignIn(config: CognitoSignIn, returnTo: string): Promise<void> {
  const pending: Pending = { state: random(16), verifier: random(48), returnTo };
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(pending.verifier));
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const url = new URL('/oauth2/authorize', config.authority);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: config.scopes.join(' '),
    state: pending.state,
    code_challenge: base64url(new Uint8Array(digest)),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/**
 * Finishes a sign-in when the page is Cognito's redirect back (?code=&state= or ?error=): redeems
 * the code for tokens, and puts the address back to the route the user left. Throws on a mismatched
 * state or a refused code; does nothing on an ordinary page load.
 */
export async function completeCognitoSignIn(config: RuntimeConfig): Promise<void> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (!code && !error) return;
  const saved = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  const pending = saved ? (JSON.parse(saved) as Pending) : null;
  history.replaceState(null, '', `/${pending?.returnTo ?? '#/'}`);
  if (error) throw new Error(`Sign-in was not completed: ${params.get('error_description') ?? error}.`);
  const signIn = config.signIn;
  if (signIn?.kind !== 'cognito') throw new Error('Sign-in is not configured for this page.');
  if (!pending || pending.state !== params.get('state')) throw new Error('The sign-in answer did not match this browser tab; sign in again.');
  const response = await fetch(new URL('/oauth2/token', signIn.authority), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: signIn.clientId,
      code: code!,
      redirect_uri: redirectUri(),
      code_verifier: pending.verifier,
    }),
    credentials: 'omit',
  });
  const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string };
  if (!response.ok || !body.access_token) throw new Error(`Sign-in failed (${body.error ?? response.status}); sign in again.`);
  remember(body.access_token, body.expires_in);
}

/** Forgets the token; with Cognito, also ends the hosted sign-in session. */
export function signOut(config: RuntimeConfig): void {
  forget();
  const signIn = config.signIn;
  if (signIn?.kind === 'cognito') {
    const url = new URL('/logout', signIn.authority);
    url.search = new URLSearchParams({ client_id: signIn.clientId, logout_uri: redirectUri() }).toString();
    location.assign(url.toString());
  }
}

/** Which scopes an action needs (one of them), as the route table gives them. */
export function scopesFor(action: 'list' | 'read' | 'create' | 'replace' | 'delete'): string[] {
  return action === 'list' || action === 'read' ? ['people/read', 'people/write', 'people/self'] : ['people/write', 'people/self'];
}
