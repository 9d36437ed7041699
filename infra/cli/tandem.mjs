#!/usr/bin/env node
// `npx tandem …`: the operator's CLI (TypeScript, loaded through tsx).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
