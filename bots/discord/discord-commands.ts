import { InteractionContextType, REST, Routes, SlashCommandBuilder, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { DiscordConfig } from '../../src/config/config.js';
import { CtgiError } from '../../src/errors/ctgi-error.js';

/** The slash command's name and its one option. */
export const SEARCH_COMMAND = 'search';
export const DESCRIPTION_OPTION = 'description';

/** `/search description:<text>`, usable in server channels and threads (not in DMs). */
export function searchCommand(): RESTPostAPIChatInputApplicationCommandsJSONBody {
  return new SlashCommandBuilder()
    .setName(SEARCH_COMMAND)
    .setDescription('Search the camera gallery for a person by description')
    .setContexts(InteractionContextType.Guild)
    .addStringOption((o) =>
      o.setName(DESCRIPTION_OPTION).setDescription('What the person looks like, e.g. "woman in a red coat with a black backpack"').setRequired(true).setMaxLength(1000),
    )
    .toJSON();
}

/** `/witness [action]`, used inside a search thread: hands its questions to a witness through a one-time link. */
export const WITNESS_COMMAND = 'witness';
export const WITNESS_ACTION_OPTION = 'action';

/** `/witness action:<create|revoke|show-gallery|hide-gallery>`; the reply is ephemeral (the operator's only). */
export function witnessCommand(): RESTPostAPIChatInputApplicationCommandsJSONBody {
  return new SlashCommandBuilder()
    .setName(WITNESS_COMMAND)
    .setDescription('Hand this search thread\'s questions to a witness through a one-time link (only you see it)')
    .setContexts(InteractionContextType.Guild)
    .addStringOption((o) =>
      o
        .setName(WITNESS_ACTION_OPTION)
        .setDescription('What to do with the link (default: create one)')
        .setRequired(false)
        .addChoices(
          { name: 'create a link', value: 'create' },
          { name: 'revoke the link', value: 'revoke' },
          { name: 'show the gallery to the witness', value: 'show-gallery' },
          { name: 'hide the gallery again', value: 'hide-gallery' },
        ),
    )
    .toJSON();
}

/** What `ctgi discord register` did. */
export interface RegisterResult {
  /** `global`, or the guild id. */
  scope: string;
  names: string[];
}

/**
 * Registers the bot's slash commands for DISCORD_APPLICATION_ID, replacing any it had: globally (may take up
 * to an hour to appear) or in one guild (immediate).
 * @throws CtgiError CONFIG_INVALID when the token or application id is missing, UPSTREAM_FAILED when Discord refuses.
 */
export async function registerDiscordCommands(config: Pick<DiscordConfig, 'token' | 'applicationId'>, options: { guildId?: string; restApi?: string } = {}): Promise<RegisterResult> {
  if (!config.token) throw new CtgiError('CONFIG_INVALID', 'Set DISCORD_TOKEN to the bot token from the Discord developer portal ("Bot" → "Reset Token").');
  if (!config.applicationId) throw new CtgiError('CONFIG_INVALID', 'Set DISCORD_APPLICATION_ID to the application id from the Discord developer portal ("General Information").');
  const rest = new REST({ version: '10', ...(options.restApi ? { api: options.restApi } : {}) }).setToken(config.token);
  const route = options.guildId ? Routes.applicationGuildCommands(config.applicationId, options.guildId) : Routes.applicationCommands(config.applicationId);
  const body = [searchCommand(), witnessCommand()];
  try {
    await rest.put(route, { body });
  } catch (err) {
    const status = (err as { status?: number }).status;
    const hint = status === 401 ? 'the token is wrong' : status === 403 || status === 404 ? 'check DISCORD_APPLICATION_ID and that the bot was invited to that server' : 'Discord refused the request';
    throw new CtgiError('UPSTREAM_FAILED', `Cannot register /${SEARCH_COMMAND}: ${hint} (${err instanceof Error ? err.message : String(err)}).`, { cause: err });
  }
  return { scope: options.guildId ?? 'global', names: body.map((c) => c.name) };
}
