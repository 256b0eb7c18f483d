import { describe, expect, it } from 'vitest';
import { discordAccessPolicy, slackAccessPolicy } from '../../src/access/allow-list.js';
import { loadConfig } from '../../src/config/config.js';

describe('slackAccessPolicy', () => {
  it('allows everything when no list is set, and says so in a warning', () => {
    const policy = slackAccessPolicy(loadConfig({ CTGI_HOME: '/tmp/x' }).slack);
    expect(policy.open).toBe(true);
    expect(policy.check({ team: 'T1', channel: 'C1', user: 'U1' })).toEqual({ allowed: true });
    expect(policy.check({})).toEqual({ allowed: true });
    expect(policy.startupNotice()).toMatch(/^Warning: .*everyone/);
    expect(policy.startupNotice()).toContain('CTGI_SLACK_ALLOWED_CHANNELS');
  });

  it('restricts only the axes that have ids (comma lists from the environment)', () => {
    const config = loadConfig({ CTGI_HOME: '/tmp/x', CTGI_SLACK_ALLOWED_CHANNELS: 'C1, C2', CTGI_SLACK_ALLOWED_USERS: '' }).slack;
    const policy = slackAccessPolicy(config);
    expect(policy.open).toBe(false);
    expect(policy.startupNotice()).not.toMatch(/Warning/);
    expect(policy.check({ team: 'Tany', channel: 'C2', user: 'Uany' })).toEqual({ allowed: true });
    const refused = policy.check({ team: 'T1', channel: 'C9', user: 'U1' });
    expect(refused).toMatchObject({ allowed: false, axis: 'channel', id: 'C9' });
    if (refused.allowed) throw new Error('unreachable');
    // One sentence for the user that leaks no configuration names; the detail is for the logs.
    expect(refused.refusal).toMatch(/^[^.]+\.$/);
    expect(refused.refusal).not.toMatch(/CTGI|C1|C2/);
    expect(refused.reason).toContain('CTGI_SLACK_ALLOWED_CHANNELS');
  });

  it('requires every restricted axis to pass', () => {
    const policy = slackAccessPolicy({ allowedTeams: ['T1'], allowedChannels: ['C1'], allowedUsers: ['U1', 'U2'] });
    expect(policy.check({ team: 'T1', channel: 'C1', user: 'U2' })).toEqual({ allowed: true });
    expect(policy.check({ team: 'T2', channel: 'C1', user: 'U2' })).toMatchObject({ allowed: false, axis: 'team' });
    expect(policy.check({ team: 'T1', channel: 'C1', user: 'U3' })).toMatchObject({ allowed: false, axis: 'user', id: 'U3' });
    // A missing id on a restricted axis is a refusal, not a pass.
    expect(policy.check({ team: 'T1', user: 'U1' })).toMatchObject({ allowed: false, axis: 'channel', id: 'none' });
  });
});

describe('discordAccessPolicy', () => {
  it('passes a member with any one allowed role', () => {
    const policy = discordAccessPolicy({ allowedGuilds: ['G1'], allowedChannels: [], allowedRoles: ['R-security'] });
    expect(policy.check({ guild: 'G1', channel: 'anything', role: ['R-everyone', 'R-security'] })).toEqual({ allowed: true });
    expect(policy.check({ guild: 'G1', channel: 'anything', role: ['R-everyone'] })).toMatchObject({ allowed: false, axis: 'role' });
    // Direct messages have no guild: refused when guilds are restricted.
    expect(policy.check({ guild: null, channel: 'D1', role: [] })).toMatchObject({ allowed: false, axis: 'guild', id: 'none' });
  });

  it('is open with empty lists', () => {
    const policy = discordAccessPolicy({ allowedGuilds: [], allowedChannels: [], allowedRoles: [] });
    expect(policy.open).toBe(true);
    expect(policy.check({ guild: null, channel: 'D1', role: [] })).toEqual({ allowed: true });
    expect(policy.startupNotice()).toMatch(/^Warning: no Discord allow-list/);
  });
});
