import { HttpError } from '../errors.ts';
import { createEvent } from './events.ts';
import type { Broker } from './events.ts';

/** The writes of a repository, as events describe them. */
interface Writes {
  create: (fields: never) => Promise<{ id: string }>;
  update: (id: string, fields: never) => Promise<{ id: string } | null>;
  remove: (id: string) => Promise<boolean>;
}

/**
 * A repository whose writes publish `<name>.created`, `<name>.updated` and `<name>.deleted`, each
 * confirmed by the broker before the request is answered (a project without PostgreSQL, which
 * has no transaction to put an outbox in). If the broker does not confirm, the answer is a 503
 * problem saying so: the change itself is stored, and only its event is missing. The data of a
 * deletion is the id. Without a broker (the tests' apps) the repository is returned as it is.
 */
export function withEvents<R extends Writes>(name: string, repository: R, broker: Broker | undefined): R {
  if (!broker) return repository;
  const publish = async (what: string, subject: string, data: unknown) => {
    try {
      await broker.publish(createEvent({ type: `${name}.${what}`, subject, data }));
    } catch (err) {
      throw new HttpError(503, 'event_not_published', `The change was stored, but the broker did not take its ${name}.${what} event; it was not published.`, { cause: err });
    }
  };
  return {
    ...repository,
    async create(fields: Parameters<R['create']>[0]) {
      const item = await repository.create(fields);
      await publish('created', item.id, item);
      return item;
    },
    async update(id: string, fields: Parameters<R['update']>[1]) {
      const item = await repository.update(id, fields);
      if (item) await publish('updated', id, item);
      return item;
    },
    async remove(id: string) {
      const removed = await repository.remove(id);
      if (removed) await publish('deleted', id, { id });
      return removed;
    },
  };
}
