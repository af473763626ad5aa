import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import type { Response } from 'supertest';
import type { Router } from 'express';
import { loadOpenApiDocument } from '../src/routes/openapi.router.ts';
import { resources } from '../src/routes/index.ts';
import { createLogger } from '../src/logger.ts';
import { createRegistry } from '../src/relations.ts';
import { buildApp, testAuth, testConfig } from './helpers.ts';

// The document and the service agree, both ways: every route the API mounts is documented and
// every documented operation is mounted, any other method is 405, every documented operation
// answers only statuses it declares, and the security it declares is the security it enforces.

/** What the test reads of an operation and of the document. */
interface Operation {
  summary?: string;
  description?: string;
  tags: string[];
  requestBody?: unknown;
  security?: Record<string, string[]>[];
  responses: Record<string, unknown>;
}
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type PathItem = Partial<Record<Method, Operation>>;
interface Document {
  servers: { url: string }[];
  paths: Record<string, PathItem>;
  tags?: { name: string }[];
  security?: Record<string, string[]>[];
  components: Record<string, Record<string, unknown> | undefined>;
}

const document = loadOpenApiDocument() as unknown as Document;
const base = document.servers[0]?.url ?? '';
const METHODS: Method[] = ['get', 'post', 'put', 'patch', 'delete'];

/** `method` on `url`, as supertest sends it. */
const send = (app: Parameters<typeof request>[0], method: Method, url: string) => request(app)[method](url);

/** `METHOD /path/{param}` for every operation of the document. */
function documentedOperations() {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

/** `METHOD /path/{param}` for every route of a router mounted at `prefix`. */
const operations = (prefix: string, router: Router) =>
  router.stack
    .flatMap((layer) => (layer.route ? [layer.route as unknown as { path: string; methods: Record<string, boolean> }] : []))
    .flatMap((route) => {
      const path = `${prefix}${route.path === '/' ? '' : route.path}`.replace(/:(\w+)/g, '{$1}');
      return Object.keys(route.methods)
        .filter((method) => method !== '_all')
        .map((method) => `${method.toUpperCase()} ${path}`);
    });

/** `METHOD /path/{param}` for every route of every resource router, and the nested lists they add, as mounted under the API. */
function mountedOperations() {
  const config = testConfig();
  const registry = createRegistry();
  const context = { config, logger: createLogger(config), dependencies: {}, registry };
  const routes = Object.entries(resources).flatMap(([segment, createRouter]) => operations(`/${segment}`, createRouter(context)));
  return [...routes, ...registry.nested.flatMap(({ path, router }) => operations(path, router))];
}

/** A concrete URL for a documented path: every path parameter a well-formed id nobody has. */
const urlFor = (path: string) => base + path.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000');
const sorted = (list: string[]) => list.toSorted();

describe('OpenAPI document and routes', () => {
  it('document the same operations, both ways', () => {
    assert.deepEqual(sorted(mountedOperations()), sorted(documentedOperations()));
  });

  for (const [path, item] of Object.entries(document.paths)) {
    const declared = METHODS.filter((method) => item[method]);

    it(`${path}: every documented operation is served and answers only documented statuses`, async () => {
      const { app } = buildApp();
      const { headers } = testAuth();
      for (const method of declared) {
        const operation = item[method]!;
        const res: Response = await send(app, method, urlFor(path)).set(headers).send(operation.requestBody ? {} : undefined);
        assert.ok(operation.responses[String(res.status)], `${method.toUpperCase()} ${path} answered ${res.status}, which it does not document`);
        assert.doesNotMatch((res.body as { detail?: string }).detail ?? '', /^No route for/, `${method.toUpperCase()} ${path} is not mounted`);
      }
    });

    it(`${path}: any other method is 405 with the documented methods in Allow`, async () => {
      const { app } = buildApp();
      const { headers } = testAuth();
      const allow = [...declared.map((method) => method.toUpperCase()), ...(item.get ? ['HEAD'] : [])];
      for (const method of METHODS.filter((m) => !item[m])) {
        const res: Response = await send(app, method, urlFor(path)).set(headers).expect(405);
        assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
        assert.deepEqual(sorted((res.headers['allow'] ?? '').split(', ')), sorted(allow));
      }
    });

    it(`${path}: the security each operation declares is the security it enforces`, async () => {
      const { app } = buildApp();
      for (const method of declared) {
        const operation = item[method]!;
        const required = (operation.security ?? document.security ?? []).length > 0;
        const res: Response = await send(app, method, urlFor(path)).send(operation.requestBody ? {} : undefined);
        assert.equal(res.status === 401, required, `${method.toUpperCase()} ${path} without credentials answered ${res.status}`);
        if (required) assert.ok(operation.responses['401'], `${method.toUpperCase()} ${path} does not document its 401`);
      }
    });
  }

  it('declares every tag, scheme and component it uses', () => {
    const tags = new Set((document.tags ?? []).map((tag) => tag.name));
    const schemes = new Set(Object.keys(document.components['securitySchemes'] ?? {}));
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of METHODS.filter((m) => item[m])) {
        const operation = item[method]!;
        assert.ok(operation.summary && operation.description, `${method} ${path} needs a summary and a description`);
        for (const tag of operation.tags) assert.ok(tags.has(tag), `tag ${tag} is not declared`);
        for (const requirement of operation.security ?? document.security ?? []) {
          for (const scheme of Object.keys(requirement)) assert.ok(schemes.has(scheme), `scheme ${scheme} is not declared`);
        }
      }
    }
    const text = JSON.stringify(document);
    for (const [, kind = '', name = ''] of text.matchAll(/"#\/components\/(\w+)\/(\w+)"/g)) {
      assert.ok(document.components[kind]?.[name], `#/components/${kind}/${name} is not declared`);
    }
  });
});

describe('operational routes', () => {
  for (const path of ['/live', '/ready', '/health', '/metrics', '/openapi.json']) {
    it(`${path} answers other methods 405`, async () => {
      const { app } = buildApp();
      const res = await request(app).post(path).expect(405);
      assert.equal(res.headers['allow'], 'GET, HEAD');
    });
  }
});
