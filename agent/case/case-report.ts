import { sniffImageFormat } from '../../src/vision/image-format.js';
import type { Answerer } from '../graph/transcript.js';
import type { CaseEntry, CaseGalleryItem, CaseRecord } from './case-record.js';

// The case's one-page report: a self-contained HTML file (inline style, the final candidates' images as
// data: URLs, no script, a CSP that forbids loading anything). Every text in it came from a witness, an
// operator, an MLLM or a file name, so all of it is escaped: none may become markup.

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const WHO: Record<Answerer, string> = { operator: 'operator', 'witness-link': 'witness (link)', mllm: 'MLLM', timeout: 'no answer (timeout)' };

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
.tiles{display:flex;flex-wrap:wrap;gap:8px}.tile{border:1px solid #ccc;padding:4px;width:140px;font-size:12px}
.tile img{max-width:132px;max-height:200px;display:block}.picked{border:3px solid #0a0}.demo{color:#a50}`;

/** The report of `record`; `images` holds the bytes of the images it shows, by id. */
export function caseReportHtml(record: CaseRecord, images: ReadonlyMap<number, Buffer>): string {
  const e = escapeHtml;
  const head = [
    ['Conversation', record.thread],
    ['Started by', record.owner ?? 'unknown'],
    ['Status', record.status === 'done' ? 'closed' : 'open'],
    ['Description (q)', record.description],
    ['Final description (q̂)', record.refined],
    ['Rounds', String(record.rounds)],
    ['Picked as the person', record.picked.length > 0 ? record.picked.map((id) => `image ${id}`).join(', ') : 'none'],
    ['Exported', `${record.exportedAt} by ${record.exportedBy}`],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>ctgi case ${e(record.thread)}</title><style>${STYLE}</style></head>
<body>
<h1>ctgi case report</h1>
${record.demo ? '<p class="demo">Synthetic demo world: these are generated people, not footage.</p>' : ''}
<table>${head.map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`).join('')}</table>
<h2>Final candidates</h2>
<div class="tiles">${record.finalCandidates.map((i) => tile(i, images.get(i.imageId), record.picked.includes(i.imageId))).join('\n')}</div>
<h2>Questions and answers</h2>
<table><tr><th>Round</th><th>Question</th><th>Answer</th><th>Who</th></tr>${record.transcript.map(row).join('')}</table>
<p>Every file of this case is listed with its SHA-256 in manifest.json; check them with <code>ctgi case verify</code>.</p>
</body></html>
`;
}

function tile(item: CaseGalleryItem, bytes: Buffer | undefined, picked: boolean): string {
  const e = escapeHtml;
  const sniffed = bytes ? sniffImageFormat(bytes.subarray(0, 16)) : undefined;
  const img = bytes && sniffed?.accepted ? `<img alt="image ${item.imageId}" src="data:image/${sniffed.format};base64,${bytes.toString('base64')}">` : '<p>(image not available)</p>';
  const where = [item.camera ? `camera ${item.camera}` : '', item.takenAt ?? ''].filter(Boolean).join(', ');
  return `<div class="tile${picked ? ' picked' : ''}">${img}<b>#${item.rank}</b> image ${item.imageId}<br>score ${item.score.toFixed(3)}${item.mark ? ` (${e(item.mark)})` : ''}${where ? `<br>${e(where)}` : ''}</div>`;
}

function row(entry: CaseEntry): string {
  const e = escapeHtml;
  if (entry.kind === 'answer') return `<tr><td>${entry.round}</td><td>${e(entry.question)}</td><td>${e(entry.text || '—')}</td><td>${e(WHO[entry.by])}</td></tr>`;
  if (entry.kind === 'pending') return `<tr><td>${entry.round}</td><td>${e(entry.text)}</td><td>(waiting)</td><td></td></tr>`;
  if (entry.kind === 'description') return `<tr><td>${entry.round}</td><td colspan="3">${entry.round === 0 ? 'Description' : 'Refined description'}: ${e(entry.text)}</td></tr>`;
  if (entry.kind === 'gallery') return `<tr><td>${entry.round}</td><td colspan="3">Gallery shown: ${entry.items.map((i) => `#${i.rank} image ${i.imageId}`).join(', ')}</td></tr>`;
  return '';
}
