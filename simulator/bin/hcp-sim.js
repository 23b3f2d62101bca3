#!/usr/bin/env node
// hcp-sim: runs the built CLI (build first: npx tsc -b simulator).
import { main, processIo } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2), processIo);
