/**
 * Generates the parts of the docs that must match the code: docs/errors.md from the error
 * catalog, and the message examples in docs/protocol.md from protocol/src/examples.ts.
 * Usage: node scripts/dist/docs.js [--check]   (--check exits 1 when a file is out of date)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERRORS, ERROR_CODES, encodeFrame, buildTopic, type SerialFrame } from '@hcp/protocol';
import * as ex from '@hcp/protocol/examples';

const root = fileURLToPath(new URL('../../', import.meta.url));

export function errorsMarkdown(): string {
  const rows = ERROR_CODES.map((c) => {
    const e = ERRORS[c] as { message: string; retryable: boolean; http: number; retired?: boolean };
    return `| \`${c}\` | ${e.retryable ? 'yes' : 'no'} | ${e.http} | ${e.message}${e.retired ? ' (retired)' : ''} |`;
  });
  return [
    '# Error codes',
    '',
    'Every error that crosses a process boundary (MQTT ack, command result, HTTP answer, log line, counter label)',
    'carries one of these codes. Codes are never reused. `retryable`: the same request may succeed later unchanged.',
    '`http`: the status the hub answers with. Generated from `protocol/src/errors.ts` by `npm run docs -w scripts`;',
    'a test fails when this file and the catalog differ.',
    '',
    '| code | retryable | http | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

const json = (v: unknown): string => ['```json', JSON.stringify(v, null, 2), '```'].join('\n');

export function examplesMarkdown(): string {
  const t = (k: Parameters<typeof buildTopic>[2]): string => `\`${buildTopic('hall-1', 'dev-0001', k)}\``;
  const frames: [string, SerialFrame][] = [
    ['star pressed (panel → host)', { type: 'star', level: 5 }],
    ['reasons chosen (panel → host)', { type: 'reason', codes: ['501', '510'] }],
    ['staff key (panel → host)', { type: 'staff', key: 'START' }],
    ['heartbeat (panel → host)', { type: 'heartbeat', seq: 17 }],
    ['panel info (panel → host)', { type: 'info', model: 'ST-5', firmware: '1.4.2', protocol: 1 }],
    ['show prompt with staff card (host → panel)', { type: 'prompt', timeoutS: 120, staffName: '王晓燕', staffNumber: 'A0107' }],
    ['show reasons (host → panel)', { type: 'reasons', items: [{ code: '501', name: '服务态度差' }, { code: '510', name: '办事效率低' }] }],
    ['show thanks (host → panel)', { type: 'thanks', level: 2 }],
    ['idle (host → panel)', { type: 'idle' }],
    ['brightness (host → panel)', { type: 'brightness', percent: 80 }],
    ['beep (host → panel)', { type: 'beep', ms: 150 }],
  ];
  return [
    '<!-- generated:examples:start (npm run docs -w scripts) -->',
    '### Rating batch — device → hub, ' + t('ratings') + ', QoS 1',
    json(ex.exampleRatingBatch),
    '### Ack — hub → device, ' + t('acks') + ', QoS 1, sent only after the commit',
    json(ex.exampleAck),
    '### Status — device → hub, ' + t('status') + ', QoS 1, retained; the LWT is the `offline`/`lwt` form',
    json(ex.exampleStatusOnline),
    json(ex.exampleStatusLwt),
    '### Telemetry — device → hub, ' + t('telemetry') + ', QoS 0, every `telemetryIntervalS`',
    json(ex.exampleTelemetry),
    '### Commands — hub → device, ' + t('commands') + ', QoS 1',
    ...ex.exampleCommands.flatMap((c) => [`#### \`${c.type}\``, json(c)]),
    '### Command results — device → hub, ' + t('results') + ', QoS 1',
    json(ex.exampleCommandResult),
    json(ex.exampleCommandRefused),
    '### Events — device → hub, ' + t('events') + ', QoS 1',
    json(ex.exampleEvent),
    '### Provisioning — device → hub over HTTP, `POST /api/provision/exchange`',
    json(ex.exampleProvisionRequest),
    json(ex.exampleProvisionResponse),
    '### Session open — business system → hub over HTTP, `POST /api/sessions`',
    json(ex.exampleSessionOpen),
    '### Serial frames',
    '| frame | wire line |',
    '|---|---|',
    ...frames.map(([name, f]) => `| ${name} | \`${encodeFrame(f).replace(/\r\n$/, '\\r\\n')}\` |`),
    '<!-- generated:examples:end -->',
  ].join('\n\n');
}

export function refreshProtocolDoc(current: string): string {
  return current.replace(/<!-- generated:examples:start[\s\S]*<!-- generated:examples:end -->/, examplesMarkdown());
}

function main(): void {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    console.log('usage: hcp-docs [--check]\n  regenerates docs/errors.md and the examples in docs/protocol.md\n  --check  exit 1 if either is out of date, write nothing');
    return;
  }
  const check = args.includes('--check');
  const targets: [string, string][] = [
    ['docs/errors.md', errorsMarkdown()],
    ['docs/protocol.md', refreshProtocolDoc(readFileSync(root + 'docs/protocol.md', 'utf8'))],
  ];
  let stale = 0;
  for (const [rel, content] of targets) {
    const path = root + rel;
    const before = readFileSync(path, 'utf8');
    if (before === content) continue;
    stale++;
    if (check) console.error(`${rel} is out of date; run: npm run docs -w scripts`);
    else writeFileSync(path, content);
  }
  if (check && stale > 0) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
