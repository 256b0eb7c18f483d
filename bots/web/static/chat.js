// The web chat page. Plain browser JavaScript (served as a file so the CSP can forbid inline script).
// Every piece of bot or user text is inserted with textContent; nothing here uses innerHTML.
'use strict';

(() => {
  const log = document.getElementById('log');
  const composer = document.getElementById('composer');
  const query = document.getElementById('query');
  const sendButton = document.getElementById('send');
  const demoLabel = document.getElementById('demo-label');
  const lightbox = document.getElementById('lightbox');
  const lightboxImg = document.getElementById('lightbox-img');
  const lightboxCaption = document.getElementById('lightbox-caption');
  let conversation = '';
  let busy = false;
  let lastFocus = null;

  /** Creates an element; `text` goes in through textContent only. */
  function el(tag, props, children) {
    const node = document.createElement(tag);
    const p = props || {};
    if (p.className) node.className = p.className;
    if (p.text !== undefined) node.textContent = String(p.text);
    if (p.attrs) for (const [k, v] of Object.entries(p.attrs)) node.setAttribute(k, String(v));
    for (const child of children || []) node.append(child);
    return node;
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function say(text, className) {
    log.append(el('div', { className: `msg ${className}`, text }));
    scrollDown();
  }

  /**
   * Disables the controls of earlier blocks of the given kinds (all by default): a new question replaces the
   * open question but leaves the gallery above it pickable; a new gallery or the end retires everything.
   */
  function retireInteractive(kinds) {
    for (const block of log.querySelectorAll('.interactive')) {
      if (kinds && !kinds.includes(block.dataset.testid)) continue;
      block.classList.remove('interactive');
      for (const control of block.querySelectorAll('button, input')) {
        if (!control.classList.contains('tile-image')) control.disabled = true;
      }
    }
  }

  async function post(path, body) {
    const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin' });
    let data = {};
    try {
      data = await res.json();
    } catch {
      data = {};
    }
    if (!res.ok) throw new Error(data.error || `The server answered ${res.status}.`);
    return data;
  }

  let working = null;

  /** Marks a request in flight: the send button waits and a "working" line shows (searches can take seconds). */
  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    document.body.setAttribute('aria-busy', String(value));
    if (value && !working) {
      working = el('div', { className: 'msg bot working', text: 'Working…', attrs: { 'data-testid': 'working', role: 'status' } });
      log.append(working);
      scrollDown();
    } else if (!value && working) {
      working.remove();
      working = null;
    }
  }

  /** Sends a reply to the pending question or gallery; `shown` is what the user bubble says. */
  async function reply(payload, shown, block, chosen) {
    if (busy) return;
    for (const control of block.querySelectorAll('button, input')) {
      if (!control.classList.contains('tile-image')) control.disabled = true;
    }
    if (chosen) chosen.classList.add('chosen');
    block.classList.remove('interactive');
    say(shown, 'user');
    setBusy(true);
    try {
      const data = await post('/api/answer', Object.assign({ conversation }, payload));
      render(data.events);
    } catch (err) {
      say(err.message, 'tone-error');
      // Let the witness try again.
      block.classList.add('interactive');
      for (const control of block.querySelectorAll('button, input')) control.disabled = false;
    } finally {
      setBusy(false);
    }
  }

  function renderText(event) {
    say(event.text, `bot tone-${event.tone}`);
  }

  function renderQuestion(event) {
    const block = el('section', { className: 'question interactive', attrs: { 'data-testid': 'question', 'data-question-id': event.id } });
    block.append(el('p', { className: 'question-text', text: event.text }));
    const choices = el('div', { className: 'choices' });
    for (const option of event.options) {
      const button = el('button', { text: option.label, attrs: { type: 'button', 'data-testid': 'answer' } });
      button.addEventListener('click', () => reply({ text: option.value, inReplyTo: `q:${event.id}` }, option.label, block, button));
      choices.append(button);
    }
    block.append(choices);
    if (event.freeText) {
      const input = el('input', { attrs: { type: 'text', maxlength: '2000', 'aria-label': 'Your answer', placeholder: 'Or type your answer', 'data-testid': 'reply' } });
      const send = el('button', { text: 'Send', attrs: { type: 'submit' } });
      const form = el('form', { className: 'free-text' }, [input, send]);
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const text = input.value.trim();
        if (text) reply({ text }, text, block, send);
      });
      block.append(form);
    }
    if (event.timeoutSeconds > 0) {
      block.append(el('p', { className: 'hint', text: `No answer within ${formatSeconds(event.timeoutSeconds)} counts as "don't know".` }));
    }
    log.append(block);
  }

  function formatSeconds(s) {
    return s >= 120 ? `${Math.round(s / 60)} minutes` : `${s} seconds`;
  }

  /** "cam3 · 14:05" per item (the browser's clock), with the day when the items span several days. */
  function whereWhenLabels(items) {
    const times = items.map((i) => (i.takenAt ? new Date(i.takenAt) : null));
    const days = new Set(times.filter((t) => t && !isNaN(t.getTime())).map((t) => t.toDateString()));
    return items.map((item, k) => {
      const parts = [];
      if (item.camera) parts.push(item.camera);
      const t = times[k];
      if (t && !isNaN(t.getTime())) {
        const hm = `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}`;
        parts.push(days.size > 1 ? `${t.getDate()} ${t.toLocaleString('en', { month: 'short' })} ${hm}` : hm);
      } else if (item.takenAt) parts.push(item.takenAt);
      return parts.join(' · ');
    });
  }

  function renderGallery(event) {
    const block = el('section', { className: 'gallery interactive', attrs: { 'data-testid': 'gallery', 'data-round': event.round } });
    const head = el('div', { className: 'gallery-head' }, [el('h2', { text: event.round === 0 ? 'Best matches' : `Best matches after round ${event.round}` })]);
    if (event.demo) head.append(el('span', { className: 'demo-badge', text: 'demo data' }));
    head.append(el('span', { className: 'gallery-query', text: `for: ${event.query}` }));
    block.append(head);
    const grid = el('ol', { className: 'grid' });
    const places = whereWhenLabels(event.items);
    for (const [k, item] of event.items.entries()) {
      const label = `#${item.rank}, score ${item.score.toFixed(2)}${places[k] ? `, ${places[k]}` : ''}`;
      const img = el('img', { attrs: { src: `/images/${item.imageId}`, alt: `Candidate ${label}` } });
      // Pictures change the gallery's height as they arrive; keep the newest gallery in view.
      img.addEventListener('load', () => {
        if (log.lastElementChild === block) scrollDown();
      });
      const open = el('button', { className: 'tile-image', attrs: { type: 'button', 'aria-label': `Enlarge ${label}` } }, [img]);
      open.addEventListener('click', () => openLightbox(item, label, open));
      const meta = el('div', { className: 'tile-meta' }, [
        el('span', { className: 'tile-rank', text: `#${item.rank}${item.anchor ? ' ★' : ''}` }),
        el('span', { className: 'tile-score', text: item.score.toFixed(2), attrs: { title: 'score' } }),
      ]);
      const pick = el('button', { className: 'tile-pick secondary', text: `#${item.rank} is them`, attrs: { type: 'button', 'data-testid': 'pick' } });
      pick.addEventListener('click', () => reply({ pick: item.rank, inReplyTo: `g:${event.round}` }, `#${item.rank} is them`, block, pick));
      const parts = [open, meta];
      if (places[k]) parts.push(el('span', { className: 'tile-where', text: places[k], attrs: { 'data-testid': 'tile-where' } }));
      parts.push(pick);
      const tile = el('li', { className: item.anchor ? 'tile anchor' : 'tile', attrs: { 'data-testid': 'tile', 'data-rank': item.rank, 'data-image-id': item.imageId } }, parts);
      grid.append(tile);
    }
    block.append(grid);
    const choices = el('div', { className: 'choices' });
    for (const option of event.options) {
      const button = el('button', { className: 'secondary', text: option.label, attrs: { type: 'button', 'data-testid': 'gallery-option' } });
      button.addEventListener('click', () => reply({ text: option.value, inReplyTo: `g:${event.round}` }, option.label, block, button));
      choices.append(button);
    }
    block.append(choices);
    log.append(block);
  }

  /** A confirmed person's sightings as a strip, in the order given (own track, then other cameras, by time). */
  function renderTimeline(event) {
    const block = el('section', { className: 'timeline', attrs: { 'data-testid': 'timeline', 'data-image-id': event.imageId } });
    const head = el('div', { className: 'gallery-head' }, [el('h2', { text: 'Timeline' })]);
    if (event.demo) head.append(el('span', { className: 'demo-badge', text: 'demo data' }));
    block.append(head, el('p', { className: 'hint', text: event.text }));
    const strip = el('ol', { className: 'strip' });
    const places = whereWhenLabels(event.items);
    for (const [k, item] of event.items.entries()) {
      const label = `${k + 1}, ${places[k] || 'unknown place and time'}`;
      const img = el('img', { attrs: { src: `/images/${item.imageId}`, alt: `Sighting ${label}` } });
      const open = el('button', { className: 'tile-image', attrs: { type: 'button', 'aria-label': `Enlarge sighting ${label}` } }, [img]);
      open.addEventListener('click', () => openLightbox(item, label, open));
      const confirmed = item.imageId === event.imageId;
      const tile = el('li', { className: confirmed ? 'tile anchor' : 'tile', attrs: { 'data-testid': 'timeline-tile', 'data-image-id': item.imageId } }, [
        open,
        el('span', { className: 'tile-where', text: places[k] || '—', attrs: { 'data-testid': 'tile-where' } }),
        el('span', { className: 'tile-score', text: confirmed ? 'confirmed' : item.cosine.toFixed(2) }),
      ]);
      strip.append(tile);
    }
    block.append(strip);
    log.append(block);
  }

  function renderDone(event) {
    const block = el('div', { className: 'msg done', attrs: { 'data-testid': 'done', 'data-reason': event.reason } }, [el('span', { text: event.text })]);
    if (event.imageId !== undefined) {
      block.append(el('img', { className: 'done-image', attrs: { src: `/images/${event.imageId}`, alt: 'The confirmed person' } }));
    }
    if (event.reason === 'confirmed' && event.imageId !== undefined) {
      // Retired like a gallery's buttons when a new search starts.
      block.classList.add('interactive');
      const button = el('button', { className: 'secondary', text: 'Timeline', attrs: { type: 'button', 'data-testid': 'timeline-button' } });
      button.addEventListener('click', () => reply({ text: 'timeline' }, 'Timeline', block, button));
      block.append(el('div', { className: 'choices' }, [button]));
    }
    log.append(block);
    query.focus();
  }

  function render(events) {
    if (!Array.isArray(events) || events.length === 0) return;
    // Bot output goes above the "working" line, which stays last while a request is in flight.
    if (working) working.remove();
    if (events.some((e) => e.kind === 'gallery' || e.kind === 'done')) retireInteractive();
    else if (events.some((e) => e.kind === 'question')) retireInteractive(['question']);
    for (const event of events) {
      if (event.kind === 'text') renderText(event);
      else if (event.kind === 'question') renderQuestion(event);
      else if (event.kind === 'gallery') renderGallery(event);
      else if (event.kind === 'done') renderDone(event);
      else if (event.kind === 'timeline') renderTimeline(event);
    }
    if (working) log.append(working);
    scrollDown();
    const first = log.querySelector('.interactive button:not(:disabled)');
    if (first && document.activeElement === document.body) first.focus({ preventScroll: true });
  }

  function openLightbox(item, label, opener) {
    lastFocus = opener;
    lightboxImg.src = `/images/${item.imageId}`;
    lightboxImg.alt = `Candidate ${label}`;
    lightboxCaption.textContent = label;
    lightbox.hidden = false;
    document.getElementById('lightbox-close').focus();
  }

  function closeLightbox() {
    if (lightbox.hidden) return;
    lightbox.hidden = true;
    lightboxImg.removeAttribute('src');
    if (lastFocus) lastFocus.focus();
  }

  function clearLog() {
    retireInteractive();
    for (const child of [...log.children]) if (child.id !== 'welcome') child.remove();
  }

  composer.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = query.value.trim();
    if (!text || busy) return;
    retireInteractive();
    say(text, 'user');
    query.value = '';
    setBusy(true);
    try {
      const data = await post('/api/start', { text });
      conversation = data.conversation;
      render(data.events);
    } catch (err) {
      say(err.message, 'tone-error');
    } finally {
      setBusy(false);
    }
  });

  query.addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter adds a line.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      composer.requestSubmit();
    }
  });

  document.getElementById('new-search').addEventListener('click', async () => {
    try {
      const data = await post('/api/new', {});
      conversation = data.conversation;
      clearLog();
      query.focus();
    } catch (err) {
      say(err.message, 'tone-error');
    }
  });

  document.getElementById('export-case').addEventListener('click', async () => {
    try {
      const res = await fetch('/api/case', { credentials: 'same-origin' });
      if (!res.ok) {
        const data = await res.json().catch(() => ({}));
        throw new Error(data.error || `The case could not be exported (HTTP ${res.status}).`);
      }
      const blob = await res.blob();
      const name = (/filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '') || [])[1] || 'case.zip';
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    } catch (err) {
      say(err.message, 'tone-error');
    }
  });

  document.getElementById('lightbox-close').addEventListener('click', closeLightbox);
  lightbox.addEventListener('click', (e) => {
    if (e.target === lightbox) closeLightbox();
  });
  document.addEventListener('keydown', (e) => {
    if (lightbox.hidden) return;
    if (e.key === 'Escape') closeLightbox();
    // The dialog is modal: Tab stays on its one control.
    if (e.key === 'Tab') {
      e.preventDefault();
      document.getElementById('lightbox-close').focus();
    }
  });

  async function restore() {
    try {
      const res = await fetch('/api/state', { credentials: 'same-origin' });
      const data = await res.json();
      if (!res.ok) throw new Error(data.error || `The server answered ${res.status}.`);
      demoLabel.hidden = !data.demo;
      conversation = data.conversation;
      if (data.events.length > 0) {
        say('Your search so far is still open:', 'bot tone-info');
        render(data.events);
      }
    } catch (err) {
      say(`Could not load the conversation: ${err.message}`, 'tone-error');
    }
    document.body.dataset.ready = 'true';
  }

  function listen() {
    if (typeof EventSource === 'undefined') return;
    const source = new EventSource('/api/events');
    source.addEventListener('events', (e) => {
      const data = JSON.parse(e.data);
      if (data.conversation === conversation) render(data.events);
    });
    source.addEventListener('error', () => {
      // A refused stream (too many pages open from here, or a busy server) is not retried by the browser.
      if (source.readyState === EventSource.CLOSED) setTimeout(listen, 30000);
    });
  }

  restore().then(listen);
  query.focus();
})();
