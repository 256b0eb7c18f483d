// The witness page: polls its link's state, shows the pending question with one-tap options and a free-text
// box, and the gallery only when the operator chose to show it. No framework, no inline script (CSP).
(function () {
  'use strict';
  var base = location.pathname.replace(/\/+$/, '');
  var content = document.getElementById('content');
  var message = document.getElementById('message');
  var shown = '';
  var stopped = false;
  var busy = false;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function say(text) { message.textContent = text || ''; }

  function end(text) {
    stopped = true;
    content.replaceChildren(el('p', { 'data-testid': 'w-closed' }, text));
  }

  function send(body) {
    if (busy) return;
    busy = true;
    content.querySelectorAll('button').forEach(function (b) { b.disabled = true; });
    fetch(base + '/api/answer', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); })
      .then(function (r) {
        if (r.body.refusal) return end(r.body.error);
        say(r.body.message || r.body.error || '');
        if (r.body.status === 'closed') return end(r.body.message);
      })
      .catch(function () { say('Could not send the answer; check the connection and try again.'); })
      .then(function () { busy = false; shown = ''; refresh(); });
  }

  function renderQuestion(q) {
    var box = el('section', { 'data-testid': 'w-question', 'data-question-id': q.id });
    box.appendChild(el('p', { class: 'w-question' }, q.text));
    var options = el('div', { class: 'w-options' });
    q.options.forEach(function (o) {
      var b = el('button', { type: 'button', 'data-testid': 'w-option' }, o.label);
      b.addEventListener('click', function () { send({ text: o.value, inReplyTo: 'q:' + q.id }); });
      options.appendChild(b);
    });
    box.appendChild(options);
    if (q.freeText) {
      var form = el('form', { class: 'w-free', autocomplete: 'off' });
      var input = el('input', { type: 'text', maxlength: '1000', 'aria-label': 'Your answer', placeholder: 'Or type your answer', 'data-testid': 'w-free-text' });
      var go = el('button', { type: 'submit', 'data-testid': 'w-send' }, 'Send');
      form.append(input, go);
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        if (input.value.trim()) send({ text: input.value, inReplyTo: 'q:' + q.id });
      });
      box.appendChild(form);
    }
    return box;
  }

  function renderGallery(g) {
    var box = el('section', { 'data-testid': 'w-gallery' });
    box.appendChild(el('p', { class: 'w-question' }, 'Is the person you saw among these pictures?'));
    var grid = el('div', { class: 'w-grid' });
    g.items.forEach(function (item) {
      var tile = el('figure', { class: 'w-tile', 'data-testid': 'w-tile', 'data-rank': String(item.rank) });
      tile.appendChild(el('img', { src: base + '/images/' + item.imageId, alt: 'Picture ' + item.rank, loading: 'lazy' }));
      var pick = el('button', { type: 'button', 'data-testid': 'w-pick' }, '#' + item.rank + ': that’s the person');
      pick.addEventListener('click', function () { send({ pick: item.rank, inReplyTo: g.target }); });
      tile.appendChild(pick);
      grid.appendChild(tile);
    });
    box.appendChild(grid);
    var options = el('div', { class: 'w-options' });
    g.options.forEach(function (o) {
      var b = el('button', { type: 'button', class: 'secondary', 'data-testid': 'w-gallery-option' }, o.label);
      b.addEventListener('click', function () { send({ text: o.value, inReplyTo: g.target }); });
      options.appendChild(b);
    });
    box.appendChild(options);
    return box;
  }

  function render(view) {
    var key = JSON.stringify(view);
    if (key === shown) return;
    shown = key;
    if (view.status === 'closed') return end('This search is finished; there is nothing left to answer. Thank you.');
    var parts = [];
    if (view.question) parts.push(renderQuestion(view.question));
    if (view.gallery) parts.push(renderGallery(view.gallery));
    if (parts.length === 0) parts.push(el('p', { class: 'w-waiting', 'data-testid': 'w-waiting' }, 'Nothing to answer right now. The next question appears here by itself; keep this page open.'));
    content.replaceChildren.apply(content, parts);
    document.body.setAttribute('data-ready', 'true');
  }

  function refresh() {
    if (stopped) return;
    fetch(base + '/api/state')
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (j.refusal || j.error) return end(j.error);
        render(j);
      })
      .catch(function () { say('Connection lost; retrying…'); });
  }

  refresh();
  setInterval(function () { if (!busy) refresh(); }, 2000);
})();
