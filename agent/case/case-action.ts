import { basename } from 'node:path';
import type { BotEvent, BotUser, ConversationService, ThreadKey } from '../../src/conversation/conversation-types.js';

// The "export" action of the front ends (a button, `export`, an operator's request): writes the thread's case
// under the service's case folder (`<CTGI_HOME>/cases/`) and says so in the thread.

/** What a front end injects to export a thread's case on its user's request. */
export type CaseExporter = (thread: ThreadKey, user: BotUser) => Promise<BotEvent[]>;

/** The export action over `service`: one text event naming the zip written, or saying why not. */
export function caseExporter(service: Pick<ConversationService, 'exportCase'>): CaseExporter {
  return async (thread, user) => {
    if (!service.exportCase) return [{ kind: 'text', tone: 'error', text: 'This service cannot export cases.' }];
    const result = await service.exportCase(thread, user);
    if (!result.ok) return [{ kind: 'text', tone: 'error', text: result.text }];
    return [
      {
        kind: 'text',
        tone: 'info',
        text: `Case exported as ${basename(result.path)} (${result.files} files with a SHA-256 manifest) in the server's cases folder; check it with "ctgi case verify ${basename(result.path)}".`,
      },
    ];
  };
}
