#!/usr/bin/env node
// Runs a TypeScript bench file without a build step: `node hub/bench/ts-run.mjs hub/bench/forward.ts`.
// Vite's module runner transforms the file (and the hub sources it imports); the file exports main().
import { resolve } from 'node:path';
import { runnerImport } from 'vite';

const file = process.argv[2];
if (!file || file === '--help' || file === '-h') {
  console.log('usage: node hub/bench/ts-run.mjs <bench file .ts>   (the file exports main())');
  process.exit(file ? 0 : 2);
}
const { module } = await runnerImport(resolve(file), { configFile: false, logLevel: 'error', resolve: { conditions: ['source'] } });
await module.main();
