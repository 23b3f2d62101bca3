/**
 * One simulated counter device in its own process: the real device runtime (real outbox file,
 * real MQTT connection, provisioned through the hub's real flow) with simulated citizens as its
 * input and screen. The fleet starts one per device and may SIGKILL it at any moment.
 *
 *   node simulator/dist/fleet/device-child.js --config FILE --data-dir DIR --journal FILE [--seed N]
 *     [--think-min MS] [--think-max MS] [--levels 5:70,4:15,3:8,2:4,1:3] [--sessions staff-key|business]
 *     [--clock-skew-ms MS]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createDevice, systemClock, type Clock } from '@hcp/device';
import { seededRandom } from '../business/random.js';
import { CitizenInput, CitizenScreen, DEFAULT_LEVEL_WEIGHTS, parseLevelWeights, realTimers } from './citizen.js';
import { ThanksJournal } from './journal.js';

export const CHILD_HELP = `usage: device-child --config FILE --data-dir DIR --journal FILE [--seed N] [--think-min MS] [--think-max MS]
                    [--levels 5:70,4:15,3:8,2:4,1:3] [--sessions staff-key|business] [--clock-skew-ms MS]
One simulated device (real runtime, simulated citizens). Started by \`hcp-sim fleet\`.`;

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      config: { type: 'string' }, 'data-dir': { type: 'string' }, journal: { type: 'string' }, seed: { type: 'string' },
      'think-min': { type: 'string' }, 'think-max': { type: 'string' }, levels: { type: 'string' }, sessions: { type: 'string' },
      'clock-skew-ms': { type: 'string' }, help: { type: 'boolean' },
    },
  });
  if (v.help) {
    console.log(CHILD_HELP);
    return;
  }
  if (!v.config || !v['data-dir'] || !v.journal) {
    console.error(CHILD_HELP);
    process.exit(2);
  }
  const weights = v.levels ? parseLevelWeights(v.levels) : DEFAULT_LEVEL_WEIGHTS;
  if (!weights) {
    console.error('device-child: --levels must look like 5:70,4:15,3:8,2:4,1:3');
    process.exit(2);
  }
  const skew = Number(v['clock-skew-ms'] ?? 0);
  const clock: Clock = skew === 0 ? systemClock : { ...systemClock, now: () => Date.now() + skew };
  const random = seededRandom(Number(v.seed ?? 1));
  const journal = new ThanksJournal(v.journal);
  journal.start();
  const input = new CitizenInput();
  const screen = new CitizenScreen(input, {
    random,
    timers: realTimers,
    weights,
    thinkMs: [Number(v['think-min'] ?? 300), Number(v['think-max'] ?? 1500)],
    sessions: v.sessions === 'business' ? 'business' : 'staff-key',
    onThanks: (id) => {
      journal.record(id);
      process.send?.({ type: 'thanks', id });
    },
  });
  const raw: unknown = JSON.parse(readFileSync(v.config, 'utf8'));
  const log = pino({ level: process.env.HCP_LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const device = await createDevice(raw, v['data-dir'], { input, screens: [screen], clock, log, onReboot: () => process.exit(0) });
  const stop = async (): Promise<void> => {
    await device.stop();
    journal.stop();
    process.exit(0);
  };
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'quiesce') screen.quiesce();
  });
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  // Periodic health to the parent (backlog, link) for the progress line.
  setInterval(() => {
    const h = device.health();
    process.send?.({ type: 'health', backlog: h.backlog, link: h.link, phase: h.phase, session: h.session });
  }, 1000).unref();
  process.send?.({ type: 'started' });
}

main().catch((err: unknown) => {
  console.error(`device-child: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
