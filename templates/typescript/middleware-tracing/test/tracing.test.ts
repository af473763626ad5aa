import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTracing, tracesUrl, tracingDependency, untracedPaths } from '../src/tracing.ts';
import { buildBundle, freePort, testAuth } from './helpers.ts';
import type { Bundle } from './helpers.ts';

describe('tracing', () => {
  it('stays off without a collector endpoint', async () => {
    assert.equal(await startTracing({ NODE_ENV: 'test' }), false);
  });

  it('stays off when the configuration is invalid, leaving the report to the server', async () => {
    assert.equal(await startTracing({ NODE_ENV: 'test', TRACING_SAMPLE_RATIO: '2', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), false);
  });

  it('posts spans to <endpoint>/v1/traces', () => {
    assert.equal(tracesUrl('http://collector:4318'), 'http://collector:4318/v1/traces');
    assert.equal(tracesUrl('https://otel.example.com/base/'), 'https://otel.example.com/base/v1/traces');
  });

  it('is closed on shutdown but never a readiness check', async () => {
    const dependency = tracingDependency();
    assert.equal(dependency.check, undefined);
    await dependency.close();
  });

  it('does not trace probes', () => {
    for (const path of ['/live', '/ready', '/health', '/metrics']) assert.ok(untracedPaths.has(path));
  });
});

/** An attribute as OTLP/JSON carries it. */
interface Attribute {
  key: string;
  value: { stringValue?: string; intValue?: number };
}

/** A span as OTLP/JSON carries it, with its resource's attributes. */
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Attribute[];
  resource: Record<string, string | undefined>;
}

/** What the collector receives. */
interface TracesRequest {
  resourceSpans: { resource: { attributes: Attribute[] }; scopeSpans: { spans: Omit<Span, 'resource'>[] }[] }[];
}

/** A log line of the service. */
interface LogLine {
  msg?: string;
  req?: { url?: string };
  trace_id?: string;
}

/** A fake OpenTelemetry collector: keeps every span posted to /v1/traces, with its resource. */
function fakeCollector() {
  const spans: Span[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        for (const rs of (JSON.parse(body) as TracesRequest).resourceSpans) {
          const resource = Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value.stringValue]));
          for (const ss of rs.scopeSpans) for (const span of ss.spans) spans.push({ ...span, resource });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return { server, spans };
}

function attribute(span: Span | undefined, key: string) {
  const found = span?.attributes.find((a) => a.key === key);
  return found && (found.value.stringValue ?? found.value.intValue);
}

// The image runs the bundle (scripts/build.mjs), which leaves the instrumented packages in
// node_modules for OpenTelemetry to hook: it must trace as the sources do.
for (const form of ['sources', 'bundle']) {
  describe(`tracing in a running service (${form})`, () => {
    const collector = fakeCollector();
    let bundle: Bundle | undefined;
    let service: ChildProcess | undefined;
    let baseUrl = '';
    const logs: LogLine[] = [];

    before(async () => {
      collector.server.listen(0, '127.0.0.1');
      await once(collector.server, 'listening');
      const port = await freePort();
      let command = ['--import', './src/instrumentation.ts', 'src/server.ts'];
      if (form === 'bundle') {
        bundle = await buildBundle();
        command = bundle.command;
      }
      service = spawn(process.execPath, command, {
        env: {
          ...process.env,
          ...testAuth().env,
          NODE_ENV: 'test',
          LOG_LEVEL: 'info',
          HOST: '127.0.0.1',
          PORT: String(port),
          SHUTDOWN_DELAY_MS: '0',
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.server.address() as AddressInfo).port}`,
          OTEL_SERVICE_NAME: 'traced-under-test',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const lines = createInterface({ input: service.stdout! });
      const listening = new Promise<void>((resolve) => {
        lines.on('line', (line) => {
          const entry = JSON.parse(line) as LogLine;
          logs.push(entry);
          if (entry.msg === 'listening') resolve();
        });
      });
      await listening;
      baseUrl = `http://127.0.0.1:${port}`;
    });

    after(async () => {
      service?.kill('SIGKILL');
      collector.server.close();
      await bundle?.remove();
    });

    it('continues the caller trace, names the route, skips probes and flushes on SIGTERM', async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const parent = '00f067aa0ba902b7';
      const res = await fetch(`${baseUrl}/openapi.json`, { headers: { traceparent: `00-${traceId}-${parent}-01` } });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      assert.equal((await fetch(`${baseUrl}/live`)).status, 200);

      service!.kill('SIGTERM');
      const [code] = (await once(service!, 'exit')) as [number | null];
      assert.equal(code, 0);

      const server = collector.spans.find((s) => s.traceId === traceId && s.parentSpanId === parent);
      assert.ok(server, `no span continued the caller's trace; got ${JSON.stringify(collector.spans.map((s) => s.name))}`);
      assert.equal(server.name, 'GET /openapi.json');
      assert.equal(attribute(server, 'http.route'), '/openapi.json');
      assert.equal(server.resource['service.name'], 'traced-under-test');
      const handler = collector.spans.find((s) => s.parentSpanId === server.spanId);
      assert.equal(handler?.name, 'request handler');
      assert.equal(attribute(handler, 'http.route'), '/openapi.json');
      // The probe left no trace of its own: the only incoming request traced is the API call.
      // (Start-up work, such as connecting to a backing service, may trace on its own.)
      const SERVER = 2;
      assert.deepEqual(
        collector.spans.filter((s) => s.kind === SERVER).map((s) => s.name),
        ['GET /openapi.json'],
      );

      const line = logs.find((l) => l.req?.url === '/openapi.json');
      assert.equal(line?.trace_id, traceId);
    });
  });
}
