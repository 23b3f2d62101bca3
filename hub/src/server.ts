/**
 * Runs one hub process: build, listen, and close on SIGINT/SIGTERM (graceful: nothing queued is
 * lost). Nothing else lives here; the parts are wired in hub.ts.
 */
import type { Logger } from 'pino';
import type { HubConfig } from './config.js';
import { startHub, type HubExtension } from './hub.js';
import { forwardExtension } from './forward/extension.js';
import { loadProfile } from './forward/profile.js';

/** The process's components beyond the hub core: forwarding when the config has a province profile. */
export function extensionsFor(config: HubConfig): HubExtension[] {
  return config.province === undefined ? [] : [forwardExtension({ profile: loadProfile(config.province) })];
}

export async function runServer(config: HubConfig, logger?: Logger): Promise<void> {
  const extensions = extensionsFor(config);
  const h = await startHub(config, { extensions, ...(logger ? { logger } : {}) });
  // the listening line is a contract (`npm start` parses it): print it even when logs are quieter
  if (!h.hub.log.isLevelEnabled('info')) {
    process.stdout.write(`${JSON.stringify({ event: 'hub.listening', httpPort: h.httpPort, httpUrl: h.httpUrl, mqttUrl: h.mqttUrl, mqttPort: h.mqttPort })}\n`);
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    h.hub.log.info({ signal }, 'shutting down');
    h.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        h.hub.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
