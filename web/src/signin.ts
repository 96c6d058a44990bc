// Sign-in: deployed, a button that goes to Cognito (authorization code with PKCE); under
// `AUTH=on make dev`, a form that asks the local gateway for a development token with the chosen
// user and permissions (so a missing permission can be tried out).

import { beginCognitoSignIn, devSignIn, identity } from './auth.ts';
import { focus, h, replace } from './dom.ts';
import { errorBox } from './errors.ts';
import type { App } from './main.ts';

const DESCRIBED: Record<string, string> = {
  'people/read': 'read and list everyone',
  'people/write': 'add, change and delete anyone',
  'people/self': 'one person of your own',
};

export function renderSignIn(main: HTMLElement, app: App, generation: number): void {
  const signIn = app.config.signIn;
  const heading = h('h1', { tabindex: '-1' }, 'Sign in');
  if (!signIn) {
    replace(main, heading, h('p', null, 'This page needs no sign-in.'), h('a', { href: '#/' }, 'All people'));
    return;
  }
  const who = identity();
  const intro = h('p', null, who
    ? `You are signed in as ${who.subject}. Sign in again to change user or permissions.`
    : 'Sign in to see and manage people.');
  const problem = h('div', { class: 'form-problem' });

  if (signIn.kind === 'cognito') {
    const go = h('button', { type: 'button' }, 'Continue to sign-in');
    go.addEventListener('click', () => {
      go.disabled = true;
      beginCognitoSignIn(signIn, app.returnRoute()).catch((error) => {
        go.disabled = false;
        replace(problem, errorBox(error));
      });
    });
    replace(main, heading, intro, problem, go);
    return;
  }

  const subject = h('input', { id: 'signin-sub', name: 'sub', value: who?.subject ?? 'dev-user', autocomplete: 'username', required: true, spellcheck: 'false', autocapitalize: 'none' });
  const granted = new Set(who?.scopes ?? ['people/read', 'people/write']);
  const boxes = signIn.scopes.map((scope) => {
    const box = h('input', { type: 'checkbox', id: `scope-${scope.replace('/', '-')}`, name: 'scope', value: scope, checked: granted.has(scope) });
    return h('div', { class: 'check' }, box, h('label', { for: box.id }, h('code', null, scope), DESCRIBED[scope] ? ` – ${DESCRIBED[scope]}` : ''));
  });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'person-form' },
    h('div', { class: 'field' }, h('label', { for: 'signin-sub' }, 'User'), subject),
    h('fieldset', null, h('legend', null, 'Permissions'), boxes),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const scopes = [...form.querySelectorAll<HTMLInputElement>('input[name=scope]:checked')].map((b) => b.value);
    submit.disabled = true;
    replace(problem);
    devSignIn(signIn, subject.value.trim() || 'dev-user', scopes).then(() => {
      if (app.alive(generation)) app.signedIn();
    }, (error) => {
      submit.disabled = false;
      replace(problem, errorBox(error));
      focus(problem.firstElementChild as HTMLElement);
    });
  });
  replace(main, heading,
    intro,
    h('p', { class: 'hint' }, 'Local development (make dev with AUTH=on): the local gateway signs a token with the development key in .tools/dev-jwt/. Nothing here exists in a deployed stack.'),
    problem, form);
}
