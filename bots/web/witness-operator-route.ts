import type { BotUser, ThreadKey } from '../../src/conversation/conversation-types.js';
import type { WitnessLinks } from '../../src/witness/witness-links.js';
import { runWitnessAction, type OperatorReply, type WitnessAction } from '../common/witness-commands.js';
import { isLoopbackHost } from './web-security.js';
import { HttpError } from './http-io.js';

// POST /api/witness {action}: the web operator's witness-link actions on the session's current conversation.

const ACTIONS: readonly WitnessAction[] = ['create', 'revoke', 'show-gallery', 'hide-gallery'];

/**
 * Runs a witness action for the web operator. `base` is the public address, or the one the operator's
 * browser used when none is configured (then a loopback address gets a warning: a phone cannot reach it).
 * @throws HttpError 400 for an unknown action.
 */
export async function witnessAction(links: WitnessLinks, thread: ThreadKey, operator: BotUser, action: unknown, base: string, configured: boolean): Promise<OperatorReply> {
  if (typeof action !== 'string' || !ACTIONS.includes(action as WitnessAction)) throw new HttpError(400, `"action" must be one of ${ACTIONS.join(', ')}.`);
  const reply = await runWitnessAction(links, thread, operator, action as WitnessAction, base);
  if (reply.url && !configured && isLoopbackHost(new URL(base).hostname)) {
    reply.message += '\nThis address only works on this machine: set CTGI_PUBLIC_URL to the address where a witness’s phone reaches ctgi serve.';
  }
  return reply;
}
