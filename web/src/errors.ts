// Turning failures into sentences: one place decides what a person reads for each status.

import { type Action, ApiError, NetworkError } from './api.ts';
import { identity, scopesFor } from './auth.ts';
import { h } from './dom.ts';

const DOING: Record<Action, string> = {
  list: 'Listing people',
  read: 'Opening a person',
  create: 'Adding a person',
  replace: 'Saving changes to a person',
  delete: 'Deleting a person',
};

export interface Explained {
  title: string;
  detail: string;
}

/** Which permission a 403 lacked, in words: the action's scopes and the ones the sign-in grants. */
export function explainForbidden(error: ApiError): Explained {
  const needed = scopesFor(error.action);
  const who = identity();
  const have = who?.scopes.filter((s) => s.startsWith('people/')) ?? [];
  const lines = [
    `${DOING[error.action]} needs the permission ${needed.map((s) => `“${s}”`).join(' or ')}`
      + (needed.includes('people/self') ? ' (people/self allows only your own person)' : '') + '.',
    who
      ? `You are signed in as ${who.subject} with ${have.length ? have.map((s) => `“${s}”`).join(', ') : 'no people permission'}.`
      : 'You are not signed in.',
  ];
  // The function's own 403 (people/self acting on someone else's person) says why in its detail.
  if (error.problem.type === '/problems/forbidden' && error.problem.detail) lines.unshift(error.problem.detail);
  lines.push('Ask an administrator to add you to the group that grants it, then sign in again.');
  return { title: 'You do not have permission to do this', detail: lines.join(' ') };
}

export function explain(error: unknown): Explained {
  if (error instanceof NetworkError) return { title: 'The API cannot be reached', detail: `${error.message} Check your connection and try again.` };
  if (!(error instanceof ApiError)) return { title: 'Something went wrong', detail: String((error as Error)?.message ?? error) };
  const { problem, status } = error;
  const reference = problem.request_id ? ` (request ${problem.request_id})` : '';
  switch (status) {
    case 401:
      return { title: 'Please sign in', detail: 'Your sign-in is missing or has expired.' };
    case 403:
      return explainForbidden(error);
    case 404:
      return { title: 'Not found', detail: 'This person does not exist (any more).' };
    case 429:
    case 503:
      return {
        title: 'The service is busy',
        detail: `Try again${error.retryAfter ? ` in ${error.retryAfter} second${error.retryAfter === 1 ? '' : 's'}` : ' in a moment'}.${reference}`,
      };
    default:
      return { title: problem.title, detail: `${problem.detail ?? ''}${reference}`.trim() };
  }
}

/** An alert box for a failure, with an optional retry button. */
export function errorBox(error: unknown, retry?: () => void): HTMLElement {
  const { title, detail } = explain(error);
  return h('div', { class: 'notice error', role: 'alert' },
    h('p', { class: 'notice-title' }, title),
    detail && h('p', null, detail),
    retry && h('button', { type: 'button', onclick: retry }, 'Try again'));
}
