// Loaded with `node --import ./src/instrumentation.ts` (the start script and the Dockerfile do
// this): tracing must hook http, Express and the clients before the application imports them.
import { startTracing } from './tracing.ts';

await startTracing(process.env);
