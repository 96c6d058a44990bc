// The list: newest first, 20 a page, next and previous through the API's cursors, filters by tag,
// name prefix and email in the address (#/?tag=math&name=ad), so a filtered list can be bookmarked
// and Back returns to it.

import { ApiError, type Page, type Person, listPeople } from './api.ts';
import { announce, focus, h, replace } from './dom.ts';
import { errorBox } from './errors.ts';
import type { App } from './main.ts';

export const PAGE_SIZE = 20;

interface Filters {
  tag: string;
  name: string;
  email: string;
}

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

  replace(main,
    h('div', { class: 'heading' },
      h('h1', { tabindex: '-1' }, 'People'),
      h('a', { href: '#/new', class: 'button' }, 'Add person')),
    form,
    h('section', { class: 'listing', 'aria-labelledby': 'results-title' }, title, results, pager));

  /** `moveFocus`: to the results, or the pager button pressed (kept there unless it is now disabled). */
  const load = async (moveFocus: 'results' | HTMLButtonElement | null) => {
    const page = paging.page;
    results.setAttribute('aria-busy', 'true');
    replace(results, h('p', { class: 'loading' }, 'Loading people…'));
    title.textContent = filtered ? 'Matching people' : 'Everyone, newest first';
    pager.hidden = true;
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
      if (app.handled(error)) return;
      // A cursor from an hour-old tab can expire (24 h) or outlive a restart of the stack.
      if (error instanceof ApiError && error.status === 400 && error.fieldErrors.some((e) => e.field === 'cursor') && page > 0) {
        Object.assign(paging, { cursors: [null], page: 0 });
        announce('That page has expired; showing the first page again.');
        void load('results');
        return;
      }
      replace(results, errorBox(error, () => void load('results')));
      return;
    }
    if (!app.alive(generation)) return;
    results.removeAttribute('aria-busy');
    paging.cursors[page + 1] = answer.next_cursor;
    paging.cursors.length = page + 2;
    if (answer.items.length === 0) {
      replace(results, page > 0
        ? h('p', { class: 'empty' }, 'No more people.')
        : filtered
          ? h('div', { class: 'empty' }, h('p', null, 'No people match these filters.'),
            h('button', { type: 'button', class: 'secondary', onclick: () => app.go('#/') }, 'Clear filters'))
          : h('div', { class: 'empty' }, h('p', null, 'No people yet.'), h('a', { href: '#/new' }, 'Add the first person')));
    } else {
      replace(results, h('ul', { class: 'people' }, answer.items.map(card)));
    }
    const more = Boolean(answer.next_cursor);
    pager.hidden = page === 0 && !more;
    previous.disabled = page === 0;
    next.disabled = !more;
    const first = page * PAGE_SIZE + 1;
    const last = page * PAGE_SIZE + answer.items.length;
    position.textContent = answer.items.length ? `Page ${page + 1} · ${first}–${last}` : `Page ${page + 1}`;
    if (page > 0 || more) title.textContent += `, page ${page + 1}`;
    if (firstList && answer.items.length) {
      firstList = false;
      performance.mark('people:list-shown');
    }
    if (moveFocus === 'results' || moveFocus?.disabled) focus(title);
    if (moveFocus === 'results' || page > 0) {
      announce(answer.items.length ? `Showing people ${first} to ${last}.` : 'No people to show.');
    }
  };

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

function card(person: Person): HTMLElement {
  const updated = new Date(person.updated_at);
  return h('li', { class: 'person' },
    h('h3', null, h('a', { href: `#/people/${encodeURIComponent(person.id)}` }, person.name)),
    h('p', { class: 'email' }, person.email),
    person.phone && h('p', { class: 'phone' }, person.phone),
    person.tags?.length ? h('ul', { class: 'tags', 'aria-label': 'Tags' }, person.tags.map((t) => h('li', null, t))) : null,
    h('p', { class: 'meta' }, 'Updated ', h('time', { datetime: person.updated_at }, updated.toLocaleString())));
}
