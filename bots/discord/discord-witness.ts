import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import type { AccessPolicy } from '../../src/access/allow-list.js';
import type { WitnessFrontEnd } from '../common/witness-front-end.js';
import type { WitnessAction } from '../common/witness-commands.js';
import { WITNESS_ACTION_OPTION } from './discord-commands.js';
import { parentOf, roleIds, subject, type DiscordConversations, type Place } from './discord-conversations.js';
import { discordThreadKey, NO_MENTIONS } from './discord-renderer.js';
import type { Client } from 'discord.js';

// `/witness` inside a search thread: creates, revokes or widens the thread's witness link. The reply is an
// ephemeral interaction reply, so the link reaches the operator only; the witness's answers then appear in
// the thread like anyone's.

const ACTIONS: readonly WitnessAction[] = ['create', 'revoke', 'show-gallery', 'hide-gallery'];

/** Handles one `/witness` interaction. */
export async function onWitnessCommand(i: ChatInputCommandInteraction, deps: { client: Client; policy: AccessPolicy; witness: WitnessFrontEnd; conversations: DiscordConversations }): Promise<void> {
  const privately = (content: string) => i.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
  const parent = i.channel?.isThread() ? (i.channel.parentId ?? undefined) : await parentOf(deps.client, i.channelId);
  const place: Place = { guild: i.guildId, channel: parent ?? i.channelId, roles: roleIds(i.member), user: { id: i.user.id, name: i.user.username } };
  const decision = deps.policy.check(subject(place));
  if (!decision.allowed) {
    deps.conversations.refused(discordThreadKey(place.channel, '-'), place, decision.reason, '/witness');
    await privately(decision.refusal);
    return;
  }
  if (!parent) {
    await privately('Use /witness inside the search thread whose questions the witness should answer.');
    return;
  }
  const chosen = i.options.getString(WITNESS_ACTION_OPTION) ?? 'create';
  const action = ACTIONS.find((a) => a === chosen) ?? 'create';
  const thread = discordThreadKey(parent, i.channelId);
  if (!(await deps.witness.isConversation(thread))) {
    await privately('This thread has no search: start one with /search, then use /witness in its thread.');
    return;
  }
  await privately(await deps.witness.run(thread, place.user, action));
}
