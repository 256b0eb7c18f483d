import type { BotUser, ThreadKey } from '../../src/conversation/conversation-types.js';
import type { OperatorOutcome, WitnessLinks } from '../../src/witness/witness-links.js';
import { witnessLinkUrl } from '../../src/witness/witness-relay.js';

// The operator's witness-link actions as every front end names them: `witness` (create a link), `witness
// revoke`, `witness gallery` (show the gallery to the witness) and `witness hide gallery`.

export type WitnessAction = 'create' | 'revoke' | 'show-gallery' | 'hide-gallery';

/** The action a typed operator command asks for, or undefined when the text is not a witness command. */
export function parseWitnessCommand(text: string): WitnessAction | undefined {
  const t = text.trim().toLowerCase().replace(/\s+/g, ' ');
  if (t === 'witness' || t === 'witness link' || t === 'witness create') return 'create';
  if (t === 'witness revoke') return 'revoke';
  if (t === 'witness gallery' || t === 'witness show gallery') return 'show-gallery';
  if (t === 'witness hide gallery' || t === 'witness no gallery') return 'hide-gallery';
  return undefined;
}

/** The sentence a front end shows when no public address is configured. */
export const NO_PUBLIC_URL =
  'Set CTGI_PUBLIC_URL to the address where witnesses reach `ctgi serve` (it must be running and reachable from their phone); the link is /w/<token> on that address.';

/** The result of an action for the operator's eyes only: a sentence and, for a new link, its address. */
export interface OperatorReply extends OperatorOutcome {
  url?: string;
}

/** Runs `action` on `thread`'s links for `operator`; the new link's address uses `publicUrl` when known. */
export async function runWitnessAction(links: WitnessLinks, thread: ThreadKey, operator: BotUser, action: WitnessAction, publicUrl: string | undefined): Promise<OperatorReply> {
  if (action === 'revoke') return links.revoke(thread, operator);
  if (action === 'show-gallery' || action === 'hide-gallery') return links.showGallery(thread, operator, action === 'show-gallery');
  const created = await links.create(thread, operator);
  if (!created.ok || !created.token) return created;
  const until = new Date(created.expiresAt!).toISOString().slice(11, 16);
  if (!publicUrl) return { ...created, message: `Witness link created (valid until ${until} UTC, one browser only), but ${NO_PUBLIC_URL.charAt(0).toLowerCase()}${NO_PUBLIC_URL.slice(1)} Path: /w/${created.token}` };
  const url = witnessLinkUrl(publicUrl, created.token);
  return {
    ...created,
    url,
    message: `Send this link to the witness (valid until ${until} UTC; it works in the first browser that opens it): ${url}\nThey see the open question only; the gallery stays hidden unless you choose "witness gallery". Revoke it with "witness revoke".`,
  };
}
