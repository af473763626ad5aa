import { Server as NetServer } from 'node:net';
import type { Socket } from 'node:net';
import type { Server, ServerResponse } from 'node:http';

/** How long a connection that has sent no request yet may take to send one once shutdown began. */
export const FIRST_REQUEST_GRACE_MS = 1000;

/** What src/lifecycle.ts closes on shutdown. */
export type Connections = ReturnType<typeof trackConnections>;

/**
 * Connection bookkeeping for a graceful stop. Node's own sweep (`server.close()`,
 * `closeIdleConnections()`) also destroys a connection that was accepted but whose request has
 * not been read yet (Node 26, nodejs/node#63470). A cluster primary (PM2) or a load balancer
 * hands connections over until the listener closes, so that request would be lost. Here a
 * connection counts as idle only between requests, after it answered one; one that has sent
 * nothing yet gets FIRST_REQUEST_GRACE_MS. From the moment the service drains, every response
 * says `Connection: close`, so keep-alive clients move on after the request they carry.
 */
export function trackConnections(server: Server, lifecycle: { readonly draining: boolean }) {
  const connections = new Map<Socket, { responses: Set<ServerResponse>; served: number }>();
  let closingSince: number | undefined;

  server.on('connection', (socket) => {
    connections.set(socket, { responses: new Set(), served: 0 });
    socket.once('close', () => connections.delete(socket));
  });
  // Before the application's listener, so the header is set before any handler can answer.
  server.prependListener('request', (req, res) => {
    const state = connections.get(req.socket);
    if (lifecycle.draining) res.setHeader('Connection', 'close');
    if (!state) return;
    state.responses.add(res);
    res.once('close', () => {
      state.responses.delete(res);
      state.served += 1;
    });
  });

  const closeIdle = () => {
    const waited = performance.now() - closingSince!;
    for (const [socket, { responses, served }] of connections) {
      if (responses.size === 0) {
        if (served > 0 || waited >= FIRST_REQUEST_GRACE_MS) socket.destroy();
        continue;
      }
      // Requests that began before draining end their connection too, once answered.
      for (const res of responses) if (!res.headersSent) res.setHeader('Connection', 'close');
    }
  };

  return {
    /**
     * Stops accepting connections and closes each one once it is idle; resolves when the last
     * has closed. net.Server's close is called directly: the HTTP server's would first destroy
     * the connections whose request is still on its way.
     */
    close(): Promise<void> {
      closingSince ??= performance.now();
      return new Promise((resolve, reject) => {
        if (!server.listening) {
          resolve();
          return;
        }
        const sweep = setInterval(closeIdle, 100);
        sweep.unref();
        closeIdle();
        NetServer.prototype.close.call(server, (err?: Error) => {
          clearInterval(sweep);
          // No connection is left: this only stops the HTTP server's timeout checks.
          server.closeAllConnections();
          if (err) reject(err);
          else resolve();
        });
      });
    },
    /** Cuts every connection, busy or not. */
    destroyAll() {
      for (const socket of connections.keys()) socket.destroy();
    },
  };
}
