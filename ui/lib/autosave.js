// One behaviour for every settings field (issue 15 item 5): the value is saved when the
// user leaves the field (blur or change) or presses Enter, "Đã lưu" appears beside it, an
// edit not yet saved says "Chưa lưu", and a value core refused is replaced by what core
// holds once the user leaves the field. What a field shows is always what core holds or a
// visibly unsaved edit. WebKitGTK drops the change event of an input whose value a script
// rewrote while typing (the amount fields do), so blur is listened to as well.
import { fill, icon } from './dom.js';

/**
 * Decides what a commit does, without the DOM (node tests use it).
 * @param {unknown} typed  what the field would send, or null when it is empty
 * @param {unknown} held   what core holds
 * @param {unknown} inflight what is being saved right now, if anything
 * @returns {'restore'|'same'|'pending'|'save'}
 */
export function commitAction(typed, held, inflight) {
  if (typed === null || typed === undefined || typed === '') return 'restore';
  if (String(typed) === String(held ?? '')) return 'same';
  if (inflight !== undefined && String(typed) === String(inflight)) return 'pending';
  return 'save';
}

/**
 * Wires `input` (an <input> or <select>) to save itself.
 * opts:
 *  - read(): the value to send, or null when the field is empty (empty restores core's value)
 *  - held(): what core holds now (wire form)
 *  - show(value): puts a core value into the field
 *  - save(value): async; resolves with core's value after the save (or rejects with {code, params})
 *  - showError(err, input), clearError(input): the in-place message
 *  - t: the translator ("autosave.saved", "autosave.unsaved")
 *  - mark(input): the element for the "Đã lưu" mark; defaults to the .saved-mark of the .field
 * Returns {commit} so a caller may commit by hand.
 */
export function autosave(input, opts) {
  const markOf = opts.mark ?? ((el) => el.closest('.field')?.querySelector('.saved-mark'));
  let inflight;
  let refused; // the value core refused, while the field still shows it
  let seq = 0;

  const live = () => (input.isConnected ? input : (input.id && document.getElementById(input.id)) || input);
  const setMark = (state) => {
    const el = markOf(live());
    if (!el) return;
    if (state === 'saved') fill(el, icon('check'), opts.t('autosave.saved'));
    else if (state === 'unsaved')
      fill(
        el,
        Object.assign(document.createElement('span'), {
          className: 'unsaved',
          textContent: opts.t('autosave.unsaved'),
        }),
      );
    else fill(el);
    el.dataset.state = state ?? '';
  };
  const restore = () => {
    refused = undefined;
    opts.show(opts.held());
    input.removeAttribute('aria-invalid');
    setMark(null);
  };

  async function commit() {
    const typed = opts.read();
    const action = commitAction(typed, opts.held(), inflight);
    if (action === 'restore') {
      opts.clearError?.(input);
      restore();
      return;
    }
    if (action === 'same') {
      if (markOf(live())?.dataset.state === 'unsaved') setMark(null);
      return;
    }
    if (action === 'pending') return;
    if (refused !== undefined && String(typed) === String(refused)) {
      if (document.activeElement !== input) restore();
      return;
    }
    const mine = ++seq;
    inflight = typed;
    opts.clearError?.(input);
    setMark(null);
    try {
      const value = await opts.save(typed);
      if (mine !== seq) return;
      refused = undefined;
      // Show core's form of the value (it may normalise), unless the user typed on since.
      if (String(opts.read()) === String(typed)) opts.show(value);
      setMark('saved');
    } catch (err) {
      if (mine !== seq) return;
      refused = typed;
      opts.showError(err, input);
      setMark(null);
      // Left already (Tab, a click elsewhere): show what core holds now, the message stays.
      if (document.activeElement !== input) restore();
    } finally {
      if (mine === seq) inflight = undefined;
    }
  }

  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      commit();
    } else if (e.key === 'Escape' && input.tagName !== 'SELECT') {
      opts.clearError?.(input);
      restore();
    }
  });
  input.addEventListener('change', commit);
  if (input.tagName !== 'SELECT') {
    input.addEventListener('blur', commit);
    input.addEventListener('input', (e) => {
      if (!e.isTrusted) return; // a script reformatting the value is not an edit
      refused = undefined;
      const typed = opts.read();
      setMark(commitAction(typed, opts.held(), undefined) === 'same' ? null : 'unsaved');
    });
  }
  return { commit };
}
