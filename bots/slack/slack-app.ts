import { App, HTTPReceiver, LogLevel, SocketModeReceiver, type Logger } from '@slack/bolt';
import type { SlackConfig } from '../../src/config/config.js';
import { rejectStaleRequests } from './request-age.js';

// The Bolt app for the configured mode: Socket Mode (an outgoing WebSocket, nothing to sign) or HTTP mode,
// where Bolt checks the signature and we check the timestamp window around it.

/** A Bolt app for `config.mode`; `log` receives Bolt's warnings and errors. */
export function createSlackApp(config: SlackConfig, log: (line: string) => void, slackApiUrl: string | undefined): App {
  const clientOptions = slackApiUrl ? { slackApiUrl } : {};
  const logger = boltLogger(log);
  if (config.mode === 'socket') {
    return new App({
      token: config.botToken,
      socketMode: true,
      clientOptions,
      logger,
      receiver: new SocketModeReceiver({
        appToken: config.appToken!,
        logger,
        installerOptions: { clientOptions },
        // Exposes the envelope id to the de-duplication middleware as context.envelopeId.
        customPropertiesExtractor: (args) => ({ envelopeId: (args as { envelope_id?: string }).envelope_id }),
      }),
    });
  }
  const receiver = new HTTPReceiver({ signingSecret: config.signingSecret!, logger, processBeforeResponse: false });
  receiver.requestListener = rejectStaleRequests(receiver.requestListener, log);
  return new App({ token: config.botToken, receiver, clientOptions, logger });
}

/** Slash-command failures before a thread exists go back privately through the command's response URL. */
export async function postEphemeralFallback(responseUrl: string, text: string): Promise<void> {
  try {
    await fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', text }) });
  } catch {
    // Nothing else can reach the user; the failure is already logged.
  }
}

/** Bolt's logger, reduced to warnings and errors on our log line. */
function boltLogger(log: (line: string) => void): Logger {
  let level = LogLevel.WARN;
  let name = 'bolt';
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...msg: unknown[]) => log(`Slack (${name}) warning: ${msg.map(String).join(' ')}`),
    error: (...msg: unknown[]) => log(`Slack (${name}) error: ${msg.map(String).join(' ')}`),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: (n: string) => {
      name = n;
    },
  };
}
