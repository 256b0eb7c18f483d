#!/usr/bin/env node
// The `ctgi` command. Sources are TypeScript, loaded through tsx (no build step to forget).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../app/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
