/** Process entry for `hcp-device` (bin/hcp-device.js imports this). */
import { main } from './cli.js';

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`hcp-device: fatal: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
