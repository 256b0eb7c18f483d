// The operator's witness-link controls in the web chat: a "Witness link" button with a small panel (create,
// show the gallery to the witness, revoke), and the typed commands `witness`, `witness gallery`,
// `witness hide gallery` and `witness revoke` in any text box. The server acts on this session's search.
(function () {
  'use strict';
  var COMMANDS = { 'witness': 'create', 'witness link': 'create', 'witness revoke': 'revoke', 'witness gallery': 'show-gallery', 'witness show gallery': 'show-gallery', 'witness hide gallery': 'hide-gallery' };
  var log = document.getElementById('log');
  var header = document.querySelector('.top');
  var newSearch = document.getElementById('new-search');

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var openButton = el('button', { type: 'button', class: 'secondary', 'data-testid': 'witness-open', title: 'Hand the open questions to a witness outside this chat' }, 'Witness link');
  header.insertBefore(openButton, newSearch);
  var panel = el('section', { class: 'witness-panel', 'data-testid': 'witness-panel', hidden: '' });
  var result = el('p', { class: 'witness-result', 'data-testid': 'witness-result' });
  var url = el('input', { type: 'text', readonly: '', class: 'witness-url', 'data-testid': 'witness-url', 'aria-label': 'Witness link', hidden: '' });
  var create = el('button', { type: 'button', 'data-testid': 'witness-create' }, 'Create link');
  var gallery = el('button', { type: 'button', class: 'secondary', 'data-testid': 'witness-gallery' }, 'Show gallery to witness');
  var hide = el('button', { type: 'button', class: 'secondary', 'data-testid': 'witness-hide-gallery' }, 'Hide gallery');
  var revoke = el('button', { type: 'button', class: 'secondary', 'data-testid': 'witness-revoke' }, 'Revoke');
  var close = el('button', { type: 'button', class: 'secondary' }, 'Close');
  var row = el('div', { class: 'choices' });
  row.append(create, gallery, hide, revoke, close);
  panel.append(el('p', { class: 'hint' }, 'A one-time link to a phone page with the open questions (gallery hidden unless you show it).'), row, url, result);
  header.after(panel);

  openButton.addEventListener('click', function () { panel.hidden = !panel.hidden; });
  close.addEventListener('click', function () { panel.hidden = true; });
  create.addEventListener('click', function () { act('create'); });
  gallery.addEventListener('click', function () { act('show-gallery'); });
  hide.addEventListener('click', function () { act('hide-gallery'); });
  revoke.addEventListener('click', function () { act('revoke'); });

  function note(text, ok) {
    var line = el('div', { class: 'msg bot witness-note tone-' + (ok ? 'info' : 'notice'), 'data-testid': 'witness-note' }, text);
    log.append(line);
    log.scrollTop = log.scrollHeight;
  }

  function act(action) {
    return fetch('/api/witness', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ action: action }), credentials: 'same-origin' })
      .then(function (r) { return r.status === 404 ? { error: 'Witness links are not enabled on this server.' } : r.json(); })
      .then(function (j) {
        var text = j.message || j.error || 'No answer from the server.';
        result.textContent = text;
        if (j.url) { url.value = j.url; url.hidden = false; }
        if (action === 'revoke' && j.ok) { url.value = ''; url.hidden = true; }
        note(text, Boolean(j.ok));
      })
      .catch(function () { result.textContent = 'Could not reach the server.'; });
  }

  // Typed commands in the description box or a question's answer box are handled here, before the chat sees them.
  document.addEventListener('submit', function (e) {
    var input = e.target.querySelector('textarea, input[type="text"]');
    if (!input) return;
    var action = COMMANDS[input.value.trim().toLowerCase().replace(/\s+/g, ' ')];
    if (!action) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    input.value = '';
    panel.hidden = false;
    act(action);
  }, true);
})();
