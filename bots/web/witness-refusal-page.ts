// The plain page a refused witness link answers with: one sentence, no operator UI, no script.

/** A minimal HTML page with a title and one sentence (both escaped). */
export function plainPage(title: string, sentence: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/w/static/witness.css">
</head>
<body class="witness">
<main class="card refusal" data-testid="refusal">
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(sentence)}</p>
</main>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
