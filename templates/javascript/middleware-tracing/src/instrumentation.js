// Loaded with `node --import ./src/instrumentation.js` (the start script and the Dockerfile do
// this): tracing must hook http, Express and the clients before the application imports them.
import { startTracing } from './tracing.js';

await startTracing(process.env);
