import type { DiscordConfig, SlackConfig } from '../config/config.js';

// Who may search, and where. Surveillance images are sensitive, so each chat platform checks every incoming
// request (start, answer, button) against the configured ids before the conversation service sees it.

/** One dimension of an allow-list, e.g. Slack channels. An empty `ids` list means "no restriction here". */
export interface AllowAxis {
  /** Short name for logs and audit rows: `team`, `channel`, `user`, `guild`, `role`. */
  name: string;
  /** The environment variable that lists the ids (for the start-up notice). */
  setting: string;
  ids: readonly string[];
}

/** The outcome of a check: allowed, or refused on one axis (the first one that failed). */
export type AccessDecision =
  | { allowed: true }
  | {
      allowed: false;
      /** The axis that refused, e.g. `channel`. */
      axis: string;
      /** The id that is not on the list (`none` when the request had no id on that axis, e.g. a DM). */
      id: string;
      /** The one sentence shown to the user; names no configuration. */
      refusal: string;
      /** Detail for logs and the audit trail. */
      reason: string;
    };

/** Where a request comes from; an array means "any of these" (a Discord member's roles). */
export type AccessSubject = Record<string, string | readonly string[] | null | undefined>;

/** An allow-list over several axes; a request must pass every restricted axis. */
export interface AccessPolicy {
  readonly platform: string;
  readonly axes: readonly AllowAxis[];
  /** True when no axis is restricted: everyone everywhere the bot is installed may search. */
  readonly open: boolean;
  /** Checks one request. */
  check(subject: AccessSubject): AccessDecision;
  /** The line to log at start-up: a warning when open, otherwise which axes are restricted. */
  startupNotice(): string;
}

const REFUSALS: Record<string, string> = {
  team: 'Sorry, person search is not enabled for this workspace.',
  guild: 'Sorry, person search is not enabled on this server.',
  channel: 'Sorry, person search is not enabled in this channel.',
  user: 'Sorry, you are not on the list of people allowed to use person search.',
  role: 'Sorry, none of your roles is allowed to use person search.',
};

/** Builds a policy from explicit axes; each axis is checked against the subject field of the same name. */
export function accessPolicy(platform: string, axes: AllowAxis[]): AccessPolicy {
  const restricted = axes.filter((a) => a.ids.length > 0);
  const sets = new Map(restricted.map((a) => [a.name, new Set(a.ids)]));
  return {
    platform,
    axes,
    open: restricted.length === 0,
    check(subject) {
      for (const axis of restricted) {
        const allowed = sets.get(axis.name)!;
        const value = subject[axis.name];
        const ids = value == null ? [] : typeof value === 'string' ? [value] : value;
        if (ids.some((id) => allowed.has(id))) continue;
        const id = ids.length === 0 ? 'none' : ids.join('|');
        return {
          allowed: false,
          axis: axis.name,
          id,
          refusal: REFUSALS[axis.name] ?? 'Sorry, person search is not enabled here.',
          reason: `${platform} ${axis.name} ${id} is not in ${axis.setting}`,
        };
      }
      return { allowed: true };
    },
    startupNotice() {
      if (restricted.length === 0) {
        return (
          `Warning: no ${platform} allow-list is configured (${axes.map((a) => a.setting).join(', ')} are all empty), ` +
          `so everyone everywhere the bot is installed may search.`
        );
      }
      return `${platform} access restricted to ${restricted.map((a) => `${a.ids.length} ${a.name}${a.ids.length === 1 ? '' : 's'}`).join(', ')}.`;
    },
  };
}

/** Slack: team (workspace), channel and user ids; the subject fields are `team`, `channel`, `user`. */
export function slackAccessPolicy(config: Pick<SlackConfig, 'allowedTeams' | 'allowedChannels' | 'allowedUsers'>): AccessPolicy {
  return accessPolicy('Slack', [
    { name: 'team', setting: 'CTGI_SLACK_ALLOWED_TEAMS', ids: config.allowedTeams },
    { name: 'channel', setting: 'CTGI_SLACK_ALLOWED_CHANNELS', ids: config.allowedChannels },
    { name: 'user', setting: 'CTGI_SLACK_ALLOWED_USERS', ids: config.allowedUsers },
  ]);
}

/**
 * Discord: guild, channel and role ids; the subject fields are `guild`, `channel` (for a thread, its parent
 * channel) and `role` (all of the member's role ids; one match is enough).
 */
export function discordAccessPolicy(config: Pick<DiscordConfig, 'allowedGuilds' | 'allowedChannels' | 'allowedRoles'>): AccessPolicy {
  return accessPolicy('Discord', [
    { name: 'guild', setting: 'CTGI_DISCORD_ALLOWED_GUILDS', ids: config.allowedGuilds },
    { name: 'channel', setting: 'CTGI_DISCORD_ALLOWED_CHANNELS', ids: config.allowedChannels },
    { name: 'role', setting: 'CTGI_DISCORD_ALLOWED_ROLES', ids: config.allowedRoles },
  ]);
}
