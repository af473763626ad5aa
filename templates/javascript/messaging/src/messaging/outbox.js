import { setTimeout as sleep } from 'node:timers/promises';
import { abortable } from '../abortable.js';
import { createEvent } from './events.js';

/** Commits in this process wake its relay at once; others' are found by polling. */
const commits = new EventTarget();

/** The longest a relay waits for the broker to confirm a batch before trying it again. */
const PUBLISH_TIMEOUT_MS = 10_000;

/** Longest pause between two tries of a batch the broker did not take. */
const MAX_RETRY_MS = 5000;

/**
 * Runs `work` in a transaction on one connection of `pool`, the outbox rows it writes committed
 * with the change itself; once committed, the relay is told. Either both the change and its
 * events are stored or neither is: no event is lost if the broker or the process fails.
 *
 * @template T
 * @param {import('pg').Pool} pool
 * @param {(client: import('pg').PoolClient) => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function withOutbox(pool, work) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    commits.dispatchEvent(new Event('commit'));
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Writes a new event into the outbox, through the transaction of the change it describes.
 *
 * @param {import('pg').PoolClient} client
 * @param {{ type: string, subject?: string, data: unknown }} fields
 */
export async function recordEvent(client, fields) {
  const event = createEvent(fields);
  await client.query('INSERT INTO outbox (id, type, event) VALUES ($1, $2, $3)', [event.id, event.type, JSON.stringify(event)]);
  return event;
}

/**
 * The relay (the web process's worker): takes up to MESSAGING_OUTBOX_BATCH events from the
 * outbox in the order they were written, locked (`FOR UPDATE SKIP LOCKED`, so several instances
 * share the work without taking the same rows), publishes them, and deletes them once the broker
 * has confirmed every one, in the same transaction. A crash in between publishes them again,
 * which consumers recognise by the event's id. It runs when this process commits an event, and
 * every MESSAGING_OUTBOX_POLL_MS for events other instances left.
 *
 * @param {import('../workers.js').WorkerContext} context
 * @returns {import('../workers.js').Worker | undefined}
 */
export function outboxRelay({ config, logger, dependencies, role }) {
  if (role !== 'web') return undefined;
  const { pool } = dependencies.postgres;
  const broker = dependencies.messaging;
  const log = logger.child({ worker: 'outbox-relay' });
  const stopping = new AbortController();
  let woken = false;
  /** @type {(() => void) | undefined} */
  let wake;
  const onCommit = () => {
    woken = true;
    wake?.();
  };
  let loop;

  /** Relays one batch; returns how many events it published. */
  async function relayBatch() {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query('SELECT seq, event FROM outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED', [config.MESSAGING_OUTBOX_BATCH]);
      if (rows.length > 0) {
        await abortable(
          Promise.all(rows.map((row) => broker.publish(row.event))),
          AbortSignal.timeout(PUBLISH_TIMEOUT_MS),
        );
        await client.query('DELETE FROM outbox WHERE seq = ANY($1::bigint[])', [rows.map((row) => row.seq)]);
      }
      await client.query('COMMIT');
      return rows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** Resolves at the next commit in this process, after MESSAGING_OUTBOX_POLL_MS, or on stop. */
  function nextRound() {
    if (woken) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, config.MESSAGING_OUTBOX_POLL_MS);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async function run() {
    let failures = 0;
    while (!stopping.signal.aborted) {
      woken = false;
      try {
        const relayed = await relayBatch();
        failures = 0;
        if (relayed === config.MESSAGING_OUTBOX_BATCH) continue;
      } catch (err) {
        failures += 1;
        log.warn({ err, failures }, 'outbox events not relayed; trying again');
        await sleep(Math.min(100 * 2 ** failures, MAX_RETRY_MS), undefined, { signal: stopping.signal }).catch(() => {});
        continue;
      }
      await nextRound();
    }
  }

  return {
    name: 'outbox-relay',
    start() {
      commits.addEventListener('commit', onCommit);
      loop = run();
    },
    async stop() {
      commits.removeEventListener('commit', onCommit);
      stopping.abort();
      wake?.();
      await loop;
    },
  };
}
