import { HttpError } from '../errors.js';
import { createEvent } from './events.js';

/**
 * A repository whose writes publish `<name>.created`, `<name>.updated` and `<name>.deleted`, each
 * confirmed by the broker before the request is answered (a project without PostgreSQL, which
 * has no transaction to put an outbox in). If the broker does not confirm, the answer is a 503
 * problem saying so: the change itself is stored, and only its event is missing. The data of a
 * deletion is the id. Without a broker (the tests' apps) the repository is returned as it is.
 *
 * @template {{ create: Function, update: Function, remove: Function }} R
 * @param {string} name the resource, as event types start: `order`
 * @param {R} repository
 * @param {{ publish(event: import('./events.js').CloudEvent): Promise<void> } | undefined} broker
 * @returns {R}
 */
export function withEvents(name, repository, broker) {
  if (!broker) return repository;
  const publish = async (what, subject, data) => {
    try {
      await broker.publish(createEvent({ type: `${name}.${what}`, subject, data }));
    } catch (err) {
      throw new HttpError(503, 'event_not_published', `The change was stored, but the broker did not take its ${name}.${what} event; it was not published.`, { cause: err });
    }
  };
  return {
    ...repository,
    async create(fields) {
      const item = await repository.create(fields);
      await publish('created', item.id, item);
      return item;
    },
    async update(id, fields) {
      const item = await repository.update(id, fields);
      if (item) await publish('updated', id, item);
      return item;
    },
    async remove(id) {
      const removed = await repository.remove(id);
      if (removed) await publish('deleted', id, { id });
      return removed;
    },
  };
}
