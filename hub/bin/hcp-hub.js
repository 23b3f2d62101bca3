#!/usr/bin/env node
// Runs the compiled CLI (build first: npx tsc -b hub).
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`hcp-hub: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
