// A worker thread does not inherit the parent's --import tsx (its loader hooks are per thread):
// this plain-JS entry registers tsx in the new thread, then loads the TypeScript thread.
import { register } from 'tsx/esm/api';

register();
await import('./transfer-thread.ts');
