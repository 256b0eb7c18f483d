import { afterAll, afterEach, beforeAll } from 'vitest';
import { startWebServer, type WebServer, type WebServerOptions } from '../../bots/web/web-server.js';
import { ScriptedConversationService } from '../fakes/scripted-conversation-service.js';

/**
 * Registers the hooks of a web-server test file: one scripted conversation service for the file, every web
 * server started through `serve` closed after each test. `service()` is valid inside tests.
 */
export function webServerHooks(): { service: () => ScriptedConversationService; serve: (options?: Partial<WebServerOptions>) => Promise<WebServer> } {
  let service: ScriptedConversationService | undefined;
  const servers: WebServer[] = [];
  beforeAll(async () => {
    service = await ScriptedConversationService.create();
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await service?.close();
  });
  return {
    service: () => service!,
    serve: async (options = {}) => {
      const web = await startWebServer({ service: service!, port: 0, ...options });
      servers.push(web);
      return web;
    },
  };
}
