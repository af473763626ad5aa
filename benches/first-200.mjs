// Milliseconds from spawning a server to its first 200, measured by node itself (no shell
// between), polling every 2 ms: node first-200.mjs DIR CACHE COMMAND...
// DIR is the working directory, CACHE a NODE_COMPILE_CACHE folder or "" for none, COMMAND the
// server's command line (its last word names it in errors). PROBE_PATH is the path polled
// (/live unless set). Used by typescript.sh and startup.sh.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
const [dir, cache, ...command] = process.argv.slice(2);
// A port the system has just handed out, so no earlier run or other process holds it.
const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => resolve(String(free)));
  });
});
const entry = command.at(-1);
const probePath = process.env.PROBE_PATH ?? '/live';
// TZ is set as in the image, whose Alpine base has no zone files. Without it, Node on a host that
// has /usr/share/zoneinfo but no /etc/localtime (this machine) reads every zone file at the first
// date it formats, about 24 ms, which the services (a timestamp in every log line) pay and
// express-generator's app, which formats no date before its first request, does not.
const env = { PATH: process.env.PATH, PORT: port, NODE_ENV: 'production', LOG_LEVEL: 'warn', TZ: 'UTC' };
if (cache) env.NODE_COMPILE_CACHE = cache;
const started = performance.now();
const child = spawn(command[0], command.slice(1), { cwd: dir, env, stdio: 'ignore' });
child.once('exit', (code) => {
  console.error(`${entry} in ${dir} exited with status ${code} before it answered`);
  process.exit(1);
});
for (;;) {
  if (performance.now() - started > 10000) {
    console.error(`${entry} in ${dir} did not answer within 10 s`);
    process.exit(1);
  }
  const ok = await fetch(`http://127.0.0.1:${port}${probePath}`).then((r) => r.ok, () => false);
  if (ok) break;
  await new Promise((resolve) => setTimeout(resolve, 2));
}
console.log((performance.now() - started).toFixed(1));
child.removeAllListeners('exit');
child.kill('SIGTERM');
await new Promise((resolve) => child.once('exit', resolve));
