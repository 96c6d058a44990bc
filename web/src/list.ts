// The list: newest first, 20 a page, next and previous through the API's cursors, filters by tag,
// name prefix and email in the address (#/?tag=math&name=ad), so a filtered list can be bookmarked
// and Back returns to it. With the live feed (live.ts), others' changes show as they happen: what
// they do to the page is decided in changes.ts (listAction), applied here without moving focus, and
// announced in the polite live region a moment later, several at once.

import { ApiError, type Page, type Person, listPeople } from './api.ts';
import { type ChangeType, type Filters, type PersonChange, describeChanges, listAction } from './changes.ts';
import { announce, focus, h, replace } from './dom.ts';
import { errorBox } from './errors.ts';
import { isOwn } from './live.ts';
import type { App } from './main.ts';

export const PAGE_SIZE = 20;

/**
 * Where the reader is in the listing. The API only hands out the next page's cursor, so the cursor
 * of every page visited is kept to go back. Kept across views: returning from a person to the same
 * filters shows the same page.
 */
const paging = { key: '', cursors: [null] as (string | null)[], page: 0 };

/** Starts the listing over at the first page (after an add, the new person is there). */
export function restartPaging(): void {
  paging.key = '';
}

let firstList = true;

export function renderList(main: HTMLElement, app: App, generation: number, params: URLSearchParams): void {
  const filters: Filters = { tag: params.get('tag') ?? '', name: params.get('name') ?? '', email: params.get('email') ?? '' };
  const filtered = Boolean(filters.tag || filters.name || filters.email);
  const key = JSON.stringify(filters);
  if (paging.key !== key) Object.assign(paging, { key, cursors: [null], page: 0 });

  const input = (name: keyof Filters, label: string, attrs: Record<string, string> = {}) =>
    h('div', { class: 'field' },
      h('label', { for: `filter-${name}` }, label),
      h('input', { id: `filter-${name}`, name, value: filters[name], autocomplete: 'off', ...attrs }));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter people' },
    input('tag', 'Tag', { spellcheck: 'false', autocapitalize: 'none' }),
    input('name', 'Name starts with'),
    input('email', 'Email (exact)', { type: 'email', spellcheck: 'false', autocapitalize: 'none' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Apply filters'),
      filtered && h('button', { type: 'button', class: 'secondary', onclick: () => app.go('#/') }, 'Clear filters')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const query = new URLSearchParams();
    for (const name of ['tag', 'name', 'email'] as const) {
      const value = String(data.get(name) ?? '').trim();
      if (value) query.set(name, value);
    }
    const route = query.size ? `#/?${query}` : '#/';
    // Applying the same filters again reloads the first page.
    if (route === (location.hash || '#/')) restartPaging();
    focusResults = true;
    app.go(route);
  });

  const title = h('h2', { id: 'results-title', tabindex: '-1' });
  const results = h('div', { class: 'results', 'aria-labelledby': 'results-title' });
  const previous = h('button', { type: 'button', class: 'secondary', id: 'previous' }, '← Previous');
  const next = h('button', { type: 'button', class: 'secondary', id: 'next' }, 'Next →');
  const position = h('span', { class: 'position' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' }, previous, position, next);
  // Changes from the live feed this page cannot place: a count, and a way to see them.
  const changesText = h('span', { id: 'changes-text' });
  const refresh = h('button', { type: 'button', class: 'secondary', 'aria-describedby': 'changes-text' }, 'Refresh');
  const changes = h('div', { class: 'changes-notice', hidden: true }, changesText, refresh);

  replace(main,
    h('div', { class: 'heading' },
      h('h1', { tabindex: '-1' }, 'People'),
      h('a', { href: '#/new', class: 'button' }, 'Add person')),
    form,
    h('section', { class: 'listing', 'aria-labelledby': 'results-title' }, title, changes, results, pager));

  /** The people on screen, in order, and their rows by id. */
  let shown: Person[] = [];
  const rows = new Map<string, HTMLElement>();
  /** The list is on screen (not loading, not an error): live changes apply to it. */
  let ready = false;
  /** Live changes that arrived while the page loaded, applied once it is shown. */
  let held: PersonChange[] | null = null;
  /** The feed came back while the page loaded: read it once more when done. */
  let again = false;
  let pending = 0;

  const emptyState = () => (paging.page > 0
    ? h('p', { class: 'empty' }, 'No more people.')
    : filtered
      ? h('div', { class: 'empty' }, h('p', null, 'No people match these filters.'),
        h('button', { type: 'button', class: 'secondary', onclick: () => app.go('#/') }, 'Clear filters'))
      : h('div', { class: 'empty' }, h('p', null, 'No people yet.'), h('a', { href: '#/new' }, 'Add the first person')));

  /** The page's people on screen; focus on a person's link stays on that person's link. */
  const show = (people: Person[]) => {
    const active = document.activeElement;
    const focusedId = active instanceof HTMLElement && results.contains(active) ? active.closest<HTMLElement>('li.person')?.dataset.id : undefined;
    const hadFocus = Boolean(active && results.contains(active));
    shown = [...people];
    rows.clear();
    if (people.length === 0) {
      replace(results, emptyState());
    } else {
      const list = h('ul', { class: 'people' });
      for (const person of people) {
        const row = card(person);
        rows.set(person.id, row);
        list.append(row);
      }
      replace(results, list);
    }
    if (focusedId && rows.has(focusedId)) rows.get(focusedId)!.querySelector('a')?.focus();
    else if (hadFocus) focus(title);
  };

  const showPosition = () => {
    const page = paging.page;
    const first = page * PAGE_SIZE + 1;
    const last = page * PAGE_SIZE + shown.length;
    position.textContent = shown.length ? `Page ${page + 1} · ${first}–${last}` : `Page ${page + 1}`;
    return { first, last };
  };

  const showChanges = () => {
    changes.hidden = pending === 0;
    changesText.textContent = `${pending === 1 ? '1 change' : `${pending} changes`} since this list was loaded.`;
  };

  /** `moveFocus`: to the results, or the pager button pressed (kept there unless it is now disabled). `quiet`: re-read after the live feed dropped, keeping the list on screen meanwhile. */
  const load = async (moveFocus: 'results' | HTMLButtonElement | null, quiet = false) => {
    const page = paging.page;
    ready = false;
    held = [];
    results.setAttribute('aria-busy', 'true');
    if (!quiet) {
      replace(results, h('p', { class: 'loading' }, 'Loading people…'));
      title.textContent = filtered ? 'Matching people' : 'Everyone, newest first';
      pager.hidden = true;
    }
    let answer: Page;
    try {
      answer = await listPeople({
        limit: PAGE_SIZE,
        cursor: paging.cursors[page],
        tag: filters.tag.toLowerCase(),
        name_prefix: filters.name,
        email: filters.email.toLowerCase(),
      });
    } catch (error) {
      if (!app.alive(generation)) return;
      results.removeAttribute('aria-busy');
      held = null;
      if (app.handled(error)) return;
      // A cursor from an hour-old tab can expire (24 h) or outlive a restart of the stack.
      if (error instanceof ApiError && error.status === 400 && error.fieldErrors.some((e) => e.field === 'cursor') && page > 0) {
        Object.assign(paging, { cursors: [null], page: 0 });
        announce('That page has expired; showing the first page again.');
        void load('results');
        return;
      }
      if (quiet && shown.length) {
        // The list stays; it may be out of date, and the notice says so.
        ready = true;
        pending = Math.max(pending, 1);
        showChanges();
        return;
      }
      replace(results, errorBox(error, () => void load('results')));
      return;
    }
    if (!app.alive(generation)) return;
    results.removeAttribute('aria-busy');
    paging.cursors[page + 1] = answer.next_cursor;
    paging.cursors.length = page + 2;
    title.textContent = filtered ? 'Matching people' : 'Everyone, newest first';
    show(answer.items);
    pending = 0;
    showChanges();
    const more = Boolean(answer.next_cursor);
    pager.hidden = page === 0 && !more;
    previous.disabled = page === 0;
    next.disabled = !more;
    const { first, last } = showPosition();
    if (page > 0 || more) title.textContent += `, page ${page + 1}`;
    if (firstList && answer.items.length) {
      firstList = false;
      performance.mark('people:list-shown');
    }
    if (moveFocus === 'results' || moveFocus?.disabled) focus(title);
    if (!quiet && (moveFocus === 'results' || page > 0)) {
      announce(answer.items.length ? `Showing people ${first} to ${last}.` : 'No people to show.');
    }
    ready = true;
    const replay = held;
    held = null;
    for (const change of replay) apply(change);
    if (again) {
      again = false;
      void load(null, true);
    }
  };

  // ---- live changes ---------------------------------------------------------------------------

  /** What was applied since the last announcement, announced together a moment later. */
  let told: { type: ChangeType; name: string }[] = [];
  let newNotices = 0;
  let telling: number | null = null;
  const tell = () => {
    if (telling !== null) return;
    telling = window.setTimeout(() => {
      telling = null;
      if (!app.alive(generation)) return;
      const text = describeChanges(told, newNotices);
      told = [];
      newNotices = 0;
      if (text) announce(text);
    }, 1_000);
  };

  const apply = (change: PersonChange) => {
    if (held) {
      held.push(change);
      return;
    }
    if (!ready) return;
    const action = listAction({ shown: new Map(shown.map((p) => [p.id, p.version])), filters, page: paging.page }, change);
    const mine = isOwn(change);
    const name = change.person?.name ?? shown.find((p) => p.id === change.id)?.name ?? 'A person';
    switch (action.kind) {
      case 'none':
        return;
      case 'notice':
        pending += 1;
        showChanges();
        if (!mine) newNotices += 1;
        break;
      case 'insert': {
        const row = card(action.person, true);
        if (shown.length === 0) {
          replace(results, h('ul', { class: 'people' }));
          pager.hidden = true;
        }
        results.querySelector('ul.people')!.prepend(row);
        shown.unshift(action.person);
        rows.set(action.person.id, row);
        showPosition();
        if (!mine) told.push({ type: change.type, name });
        break;
      }
      case 'replace': {
        const old = rows.get(action.person.id)!;
        const hadFocus = old.contains(document.activeElement);
        const row = card(action.person, true);
        old.replaceWith(row);
        rows.set(action.person.id, row);
        shown[shown.findIndex((p) => p.id === action.person.id)] = action.person;
        if (hadFocus) row.querySelector('a')?.focus();
        if (action.stale) {
          pending += 1;
          showChanges();
        }
        if (!mine) told.push({ type: change.type, name });
        break;
      }
      case 'remove': {
        const old = rows.get(action.id)!;
        const index = shown.findIndex((p) => p.id === action.id);
        const hadFocus = old.contains(document.activeElement);
        old.remove();
        rows.delete(action.id);
        shown.splice(index, 1);
        if (shown.length === 0) replace(results, emptyState());
        showPosition();
        if (hadFocus) {
          // Focus goes to the next person, or the one before, or the results' heading.
          const neighbour = shown[index] ?? shown[index - 1];
          if (neighbour) rows.get(neighbour.id)!.querySelector('a')?.focus();
          else focus(title);
        }
        if (!mine) told.push({ type: change.type, name });
        break;
      }
    }
    tell();
  };

  app.watch(generation, {
    change: apply,
    // The feed was down: changes may have been missed, so the page is read again.
    resync: () => {
      if (held) again = true;
      else if (ready) void load(null, true);
    },
  });

  refresh.addEventListener('click', () => {
    Object.assign(paging, { cursors: [null], page: 0 });
    void load('results');
  });
  previous.addEventListener('click', () => {
    if (paging.page === 0) return;
    paging.page -= 1;
    void load(previous);
  });
  next.addEventListener('click', () => {
    if (!paging.cursors[paging.page + 1]) return;
    paging.page += 1;
    void load(next);
  });
  void load(focusResults ? 'results' : null);
  focusResults = false;
}

/** Set by the filter form: after the re-render, focus goes to the results. */
let focusResults = false;

/** A person's row; `fresh`: just changed elsewhere (highlighted for a moment). */
function card(person: Person, fresh = false): HTMLElement {
  const updated = new Date(person.updated_at);
  return h('li', { class: fresh ? 'person fresh' : 'person', 'data-id': person.id },
    h('h3', null, h('a', { href: `#/people/${encodeURIComponent(person.id)}` }, person.name)),
    h('p', { class: 'email' }, person.email),
    person.phone && h('p', { class: 'phone' }, person.phone),
    person.tags?.length ? h('ul', { class: 'tags', 'aria-label': 'Tags' }, person.tags.map((t) => h('li', null, t))) : null,
    h('p', { class: 'meta' }, 'Updated ', h('time', { datetime: person.updated_at }, updated.toLocaleString())));
}
