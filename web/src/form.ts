// Adding and editing a person. The API validates (the form sends what was typed and shows each of
// the problem document's `errors` beside its field); edits carry If-Match with the ETag the form was
// filled from, so someone else's change in between is a 412 and is shown, never overwritten. With the
// live feed, someone else's change (or delete) is shown as it happens, before a save finds it.

import {
  ApiError, type FieldError, type Person, type PersonInput, type Versioned,
  createPerson, deletePerson, getPerson, replacePerson,
} from './api.ts';
import { type PersonChange, formAction } from './changes.ts';
import { announce, focus, h, replace } from './dom.ts';
import { errorBox, explain } from './errors.ts';
import { restartPaging } from './list.ts';
import { isOwn, wrote } from './live.ts';
import type { App } from './main.ts';

type FieldName = 'name' | 'email' | 'phone' | 'tags';

const FIELDS: { name: FieldName; label: string; hint?: string; attrs: Record<string, string | boolean> }[] = [
  { name: 'name', label: 'Name', attrs: { autocomplete: 'name', required: true, maxlength: '300' } },
  { name: 'email', label: 'Email', attrs: { type: 'email', autocomplete: 'email', required: true, spellcheck: 'false', autocapitalize: 'none' } },
  { name: 'phone', label: 'Phone (optional)', hint: 'International format, for example +44 20 7946 0958.', attrs: { type: 'tel', autocomplete: 'tel' } },
  { name: 'tags', label: 'Tags (optional)', hint: 'Separated by commas, for example: math, poet.', attrs: { spellcheck: 'false', autocapitalize: 'none' } },
];

const LABEL: Record<FieldName, string> = { name: 'Name', email: 'Email', phone: 'Phone', tags: 'Tags' };

/** The form's text for each field of a person. */
function values(person: Person): Record<FieldName, string> {
  return { name: person.name, email: person.email, phone: person.phone ?? '', tags: (person.tags ?? []).join(', ') };
}

/** The field a problem's `field` belongs to: `tags[2]` is the tags field. */
function fieldOf(error: FieldError): FieldName | null {
  const base = error.field.replace(/\[\d+\]$/, '');
  return base === 'name' || base === 'email' || base === 'phone' || base === 'tags' ? base : null;
}

function message(error: FieldError): string {
  const index = /\[(\d+)\]$/.exec(error.field);
  return index ? `Tag ${Number(index[1]) + 1}: ${error.message}` : error.message;
}

export function renderForm(main: HTMLElement, app: App, generation: number, id: string | null): void {
  const heading = h('h1', { tabindex: '-1' }, id ? 'Edit person' : 'Add a person');
  const body = h('div', { class: 'form-body' });
  replace(main, h('p', { class: 'back' }, h('a', { href: '#/' }, '← All people')), heading, body);
  if (!id) {
    form(null);
    return;
  }
  body.setAttribute('aria-busy', 'true');
  replace(body, h('p', { class: 'loading' }, 'Loading…'));
  getPerson(id).then((loaded) => {
    if (!app.alive(generation)) return;
    body.removeAttribute('aria-busy');
    form(loaded);
  }, (error) => {
    if (!app.alive(generation) || app.handled(error)) return;
    body.removeAttribute('aria-busy');
    replace(body, errorBox(error, () => renderForm(main, app, generation, id)));
  });

  function form(opened: Versioned | null): void {
    /** The version an edit replaces: the one opened, or the newer one loaded after a conflict. */
    let base = opened;
    /** The last create attempt's body and Idempotency-Key: the same body resent keeps its key. */
    let attempt: { body: string; key: string } | null = null;
    let busy = false;
    /**
     * What the conflict panel shows: nothing; a live notice that someone else saved a newer version;
     * a save or delete refused for that (412); their version loaded into the form; or that the person
     * was deleted.
     */
    let panel: 'none' | 'live' | 'conflict' | 'loaded' | 'deleted' = 'none';
    /** Live changes that arrive while this form writes: its own echo, or what made it fail. */
    let held: PersonChange[] | null = null;
    if (base) heading.textContent = `Edit ${base.person.name}`;

    const inputs = {} as Record<FieldName, HTMLInputElement>;
    const errors = {} as Record<FieldName, HTMLElement>;
    const fields = FIELDS.map(({ name, label, hint, attrs }) => {
      const hintId = hint ? `f-${name}-hint` : null;
      errors[name] = h('p', { id: `f-${name}-error`, class: 'field-error', hidden: true });
      inputs[name] = h('input', { id: `f-${name}`, name, ...attrs, 'aria-describedby': [hintId, `f-${name}-error`].filter(Boolean).join(' ') });
      if (base) inputs[name].value = values(base.person)[name];
      return h('div', { class: 'field' },
        h('label', { for: `f-${name}` }, label),
        hint && h('p', { id: hintId, class: 'hint' }, hint),
        inputs[name],
        errors[name]);
    });
    const summary = h('div', { class: 'notice error', role: 'alert', tabindex: '-1', hidden: true });
    const conflict = h('div', { class: 'notice warning', tabindex: '-1', hidden: true });
    const save = h('button', { type: 'submit' }, base ? 'Save changes' : 'Add person');
    const remove = base && h('button', { type: 'button', class: 'danger', onclick: () => confirmDelete() }, 'Delete…');
    // novalidate: the API's rules are the rules; its answer is shown beside each field.
    const el = h('form', { class: 'person-form', novalidate: true },
      summary, conflict, fields,
      h('div', { class: 'actions' }, save, h('a', { href: '#/', class: 'button secondary' }, 'Cancel'), remove));
    el.addEventListener('submit', (event) => {
      event.preventDefault();
      void submit();
    });
    replace(body, el);

    const read = (): PersonInput => {
      const input: PersonInput = { name: inputs.name.value, email: inputs.email.value.trim() };
      const phone = inputs.phone.value.trim();
      const tags = inputs.tags.value.split(/[\s,]+/).filter(Boolean);
      if (phone) input.phone = phone;
      if (tags.length) input.tags = tags;
      return input;
    };

    const clearErrors = () => {
      summary.hidden = true;
      replace(summary);
      for (const name of Object.keys(inputs) as FieldName[]) {
        errors[name].hidden = true;
        replace(errors[name]);
        inputs[name].removeAttribute('aria-invalid');
      }
    };

    /** Each field error beside its field, and a summary that links to them. */
    const showErrors = (list: FieldError[], omitted = 0, title = 'The person was not saved') => {
      const general: string[] = [];
      const links: HTMLElement[] = [];
      // In the order of the form, not of the API's answer.
      const order = (e: FieldError) => {
        const name = fieldOf(e);
        return name ? FIELDS.findIndex((f) => f.name === name) : FIELDS.length;
      };
      for (const error of [...list].sort((a, b) => order(a) - order(b))) {
        const name = fieldOf(error);
        if (!name) {
          general.push(`${error.field}: ${error.message}`);
          continue;
        }
        const text = message(error);
        errors[name].hidden = false;
        errors[name].append(h('span', null, text));
        inputs[name].setAttribute('aria-invalid', 'true');
        links.push(h('li', null, h('a', {
          href: `#f-${name}`,
          onclick: (event: Event) => {
            event.preventDefault();
            focus(inputs[name]);
          },
        }, `${LABEL[name]}: ${text}`)));
      }
      for (const text of general) links.push(h('li', null, text));
      if (omitted) links.push(h('li', null, `and ${omitted} more`));
      replace(summary, h('p', { class: 'notice-title' }, title), links.length ? h('ul', null, links) : null);
      summary.hidden = false;
      focus(summary);
    };

    const showFailure = (error: unknown) => {
      const { title, detail } = explain(error);
      replace(summary, h('p', { class: 'notice-title' }, title), detail && h('p', null, detail));
      summary.hidden = false;
      focus(summary);
    };

    const setBusy = (on: boolean, label: string) => {
      busy = on;
      el.setAttribute('aria-busy', String(on));
      save.textContent = label;
    };

    async function submit(): Promise<void> {
      if (busy) return;
      // Known before asking: the person is gone, or someone else's newer version would refuse the save.
      if (panel === 'deleted') {
        focus(conflict);
        return;
      }
      clearErrors();
      if (panel === 'live') {
        showConflict('save');
        return;
      }
      const input = read();
      setBusy(true, 'Saving…');
      if (base) held = [];
      try {
        if (base) {
          const saved = await replacePerson(base.person.id, input, base.etag);
          wrote('person.updated', saved.person.id, saved.person.version);
          if (!app.alive(generation)) return;
          app.go('#/', `Saved changes to ${saved.person.name}.`);
        } else {
          const text = JSON.stringify(input);
          if (attempt?.body !== text) attempt = { body: text, key: crypto.randomUUID() };
          const created = await createPerson(input, attempt.key);
          wrote('person.created', created.person.id, created.person.version);
          if (!app.alive(generation)) return;
          restartPaging();
          app.go('#/', `Added ${created.person.name}.`);
        }
      } catch (error) {
        if (!app.alive(generation)) return;
        setBusy(false, base ? 'Save changes' : 'Add person');
        if (app.handled(error)) {
          held = null;
          return;
        }
        if (error instanceof ApiError && error.status === 412 && base) showConflict('save');
        else if (error instanceof ApiError && error.fieldErrors.length) {
          showErrors(error.fieldErrors, error.problem.errors_omitted, error.status === 409 ? 'This email is already used' : 'Please correct the highlighted fields');
        } else showFailure(error);
        // What arrived meanwhile, after the failure is shown (after a 412, only a delete adds to it).
        releaseHeld();
      }
    }

    /**
     * Someone saved (or deleted) the person after this form was filled. Nothing of theirs is
     * overwritten: the reader loads their version, sees what changed, and decides.
     */
    function showConflict(what: 'save' | 'delete'): void {
      const mine = read();
      const load = h('button', { type: 'button', onclick: () => void loadNewer(mine) }, 'Load the newer version');
      replace(conflict,
        h('p', { class: 'notice-title' }, 'Someone else changed this person'),
        h('p', null, `They saved a change after you opened this form, so ${what === 'save' ? 'your changes were not saved' : 'it was not deleted'}. `
          + 'Load their version to see what changed, then decide.'),
        load);
      conflict.setAttribute('role', 'alert');
      conflict.hidden = false;
      panel = 'conflict';
      focus(load);
    }

    /**
     * The live feed says someone else saved `version` while this form is open: said at once, with the
     * same way on (load their version, see what changed, decide), without taking focus from the form.
     */
    function showChangedElsewhere(version: number): void {
      if (!base) return;
      const text = `They saved a newer version (version ${version}) while you were editing. Nothing you typed is lost, and nothing is saved yet: `
        + 'load their version to see what changed, then decide.';
      if (panel === 'live') {
        // Another change on top: the same notice, its text brought up to date, focus left alone.
        conflict.querySelector('.live-detail')!.textContent = text;
        return;
      }
      const hadFocus = conflict.contains(document.activeElement);
      const load = h('button', { type: 'button', onclick: () => void loadNewer(read()) }, 'Load the newer version');
      conflict.removeAttribute('role');
      replace(conflict,
        h('p', { class: 'notice-title' }, 'This person was just changed by someone else'),
        h('p', { class: 'live-detail' }, text),
        load);
      conflict.hidden = false;
      panel = 'live';
      if (hadFocus) focus(load);
      announce(`${base.person.name} was just changed by someone else. Load the newer version to see what changed.`);
    }

    /** The person is gone (found by loading it, or told by the live feed). */
    function showDeleted(moveFocus: boolean): void {
      const hadFocus = conflict.contains(document.activeElement);
      conflict.removeAttribute('role');
      replace(conflict, h('p', { class: 'notice-title' }, 'This person was deleted'),
        h('p', null, 'Someone else deleted this person while you were editing, so your changes cannot be saved.'),
        h('a', { href: '#/' }, 'Back to all people'));
      conflict.hidden = false;
      panel = 'deleted';
      if (moveFocus || hadFocus) focus(conflict);
      else announce('Someone else deleted this person while you were editing.');
    }

    /** A change of anyone from the live feed: this person's newer version, or its delete. */
    function changed(change: PersonChange): void {
      if (!base || !app.alive(generation)) return;
      if (held) {
        held.push(change);
        return;
      }
      const what = formAction(base.person.id, base.person.version, change);
      if (what === 'deleted' && !isOwn(change) && panel !== 'deleted') showDeleted(false);
      // After a refused save the panel already says so, and loading their version gets the latest.
      else if (what === 'changed' && panel !== 'conflict' && panel !== 'deleted') showChangedElsewhere(change.version);
    }

    /** A save or delete failed: the changes that arrived meanwhile count after all. */
    function releaseHeld(): void {
      const changes = held ?? [];
      held = null;
      for (const change of changes) changed(change);
    }

    /** The live feed was down: someone may have changed or deleted this person meanwhile. */
    async function recheck(): Promise<void> {
      /** The panel already tells what there is to know (a refused save, a deleted person). */
      const told = () => panel === 'conflict' || panel === 'deleted';
      if (!base || held || told()) return;
      const id = base.person.id;
      try {
        const now = await getPerson(id);
        if (app.alive(generation) && base && !held && !told() && now.person.version > base.person.version) showChangedElsewhere(now.person.version);
      } catch (error) {
        // Only a sure answer counts; anything else shows when the form is saved.
        if (app.alive(generation) && !told() && error instanceof ApiError && error.status === 404) showDeleted(false);
      }
    }

    if (base) app.watch(generation, { change: changed, resync: () => void recheck() });

    async function loadNewer(mine: PersonInput): Promise<void> {
      if (!base) return;
      const before = base.person;
      let newer: Versioned;
      try {
        newer = await getPerson(before.id);
      } catch (error) {
        if (!app.alive(generation) || app.handled(error)) return;
        if (error instanceof ApiError && error.status === 404) {
          showDeleted(true);
          return;
        }
        replace(conflict, errorBox(error, () => void loadNewer(mine)));
        focus(conflict);
        return;
      }
      if (!app.alive(generation)) return;
      base = newer;
      panel = 'loaded';
      heading.textContent = `Edit ${newer.person.name}`;
      const was = values(before);
      const now = values(newer.person);
      const typed: Record<FieldName, string> = { name: mine.name, email: mine.email, phone: mine.phone ?? '', tags: (mine.tags ?? []).join(', ') };
      const names = Object.keys(LABEL) as FieldName[];
      const changed = names.filter((n) => was[n] !== now[n]);
      for (const n of names) inputs[n].value = now[n];
      clearErrors();
      const shown = (text: string) => (text ? text : h('em', null, 'empty'));
      const rows = changed.map((n) => h('tr', null, h('th', { scope: 'row' }, LABEL[n]), h('td', null, shown(was[n])), h('td', null, shown(now[n]))));
      // Only what the reader changed in the form goes back on top of their version.
      const edited = names.filter((n) => typed[n] !== was[n] && typed[n] !== now[n]);
      const reapply = edited.length > 0 && h('button', {
        type: 'button',
        class: 'secondary',
        onclick: () => {
          for (const n of edited) inputs[n].value = typed[n];
          reapply && reapply.remove();
          replace(next, 'Your edits are back in the form, on top of their version. Save to keep them.');
          focus(inputs[edited[0]!]);
        },
      }, 'Apply my edits to their version');
      const next = h('p', null, edited.length
        ? `Your edits (${edited.map((n) => `${LABEL[n]}: ${typed[n] || 'empty'}`).join('; ')}) are not in the form. `
          + 'Apply them to their version, or change the form, then save.'
        : 'Save again to keep this version, or change it first.');
      conflict.removeAttribute('role');
      replace(conflict,
        h('p', { class: 'notice-title', id: 'conflict-title' }, `The form now shows their version (version ${newer.person.version})`),
        changed.length
          ? h('table', { class: 'changes' },
            h('caption', null, 'What they changed'),
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'When you opened it'), h('th', { scope: 'col' }, 'Now'))),
            h('tbody', null, rows))
          : h('p', null, 'Their change did not touch the fields shown here.'),
        next,
        h('div', { class: 'actions' }, reapply));
      focus(conflict);
    }

    function confirmDelete(): void {
      if (!base) return;
      const person = base.person;
      const yes = h('button', { type: 'button', class: 'danger' }, 'Delete');
      const no = h('button', { type: 'button', class: 'secondary', autofocus: true }, 'Cancel');
      const dialog = h('dialog', { 'aria-labelledby': 'delete-title', 'aria-describedby': 'delete-detail' },
        h('h2', { id: 'delete-title' }, `Delete ${person.name}?`),
        h('p', { id: 'delete-detail' }, `${person.name} (${person.email}) will be removed for everyone. This cannot be undone.`),
        h('div', { class: 'actions' }, yes, no));
      /** Set when what follows the dialog moves focus itself. */
      let moved = false;
      const close = () => dialog.close();
      // Every way out (Cancel, Escape, after deleting) ends here: focus goes back where it came from.
      dialog.addEventListener('close', () => {
        if (!moved) focus(remove);
        dialog.remove();
      });
      no.addEventListener('click', close);
      yes.addEventListener('click', async () => {
        if (!base) return;
        yes.disabled = true;
        yes.textContent = 'Deleting…';
        const version = base.person.version;
        held = [];
        try {
          await deletePerson(person.id, base.etag);
          wrote('person.deleted', person.id, version);
          moved = true;
          close();
          if (!app.alive(generation)) return;
          app.go('#/', `Deleted ${person.name}.`);
        } catch (error) {
          moved = true;
          close();
          if (!app.alive(generation) || app.handled(error)) {
            held = null;
            return;
          }
          if (error instanceof ApiError && error.status === 412) showConflict('delete');
          else if (error instanceof ApiError && error.status === 404) app.go('#/', `${person.name} was already deleted.`);
          else showFailure(error);
          releaseHeld();
        }
      });
      document.body.append(dialog);
      dialog.showModal();
      no.focus();
    }
  }
}
