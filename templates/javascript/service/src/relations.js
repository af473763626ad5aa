import { conflict, unprocessable } from './errors.js';

/**
 * @typedef {'restrict' | 'cascade' | 'set-null'} DeleteRule
 * @typedef {{ target: string, words: string, onDelete: DeleteRule }} Reference
 *   one reference field of a resource: the resource it refers to (singular name), that
 *   resource's name in words for messages, and what deleting the item it refers to does
 * @typedef {{ source: string, field: string, target: string, onDelete: DeleteRule }} Incoming
 * @typedef {{ get(id: string): Promise<object | null>, list(query: object): Promise<{ items: object[], total: number }>, update(id: string, fields: object, options?: { touch?: boolean }): Promise<object | null>, remove(id: string): Promise<boolean>, create(fields: object): Promise<object> }} Repository
 */

/** Every item: what a delete reads to find the items that refer to one. */
const ALL = Number.MAX_SAFE_INTEGER;

/**
 * What the resources of one API share: each resource's repository (by singular name), the
 * references between them, and the nested lists (`/customers/:customerId/orders`) their routers
 * add, which the API mounts before the resources' own routers.
 */
export function createRegistry() {
  /** @type {Map<string, Repository>} */
  const repositories = new Map();
  /** @type {Incoming[]} references by the target they point at, each a field of `source` */
  const incoming = [];
  /** @type {{ path: string, router: import('express').Router }[]} */
  const nested = [];
  return {
    repositories,
    incoming,
    nested,

    /**
     * Records the repository of resource `name` and the references its fields make.
     *
     * @param {string} name
     * @param {Repository} repository
     * @param {Record<string, Reference>} references
     */
    add(name, repository, references) {
      repositories.set(name, repository);
      for (const [field, { target, onDelete }] of Object.entries(references)) incoming.push({ source: name, field, target, onDelete });
    },

    /**
     * The repository of resource `name`, which every router of the API has recorded.
     *
     * @param {string} name
     * @returns {Repository}
     */
    repository(name) {
      const repository = repositories.get(name);
      if (!repository) throw new Error(`no repository is recorded for resource ${name}`);
      return repository;
    },
  };
}

/** @typedef {ReturnType<typeof createRegistry>} Registry */

/** The 422 of a write whose `field` names no item of its target. */
export const missingReference = (field, { words }, id) => unprocessable(field, `No ${words} has the id ${id}.`);

/** The 409 of a delete that a restricting reference refuses. */
export const stillReferred = (words) => conflict(`Other items still refer to this ${words}; delete them or change their references first.`);

/**
 * `repository` (one kept in memory) with the rules PostgreSQL's foreign keys give the other:
 * a write must refer to items that exist (422), and deleting an item applies each reference's
 * rule to the items that refer to it (restrict refuses with 409, cascade deletes them, set-null
 * empties the field without touching `updatedAt`), across every resource, all or nothing.
 *
 * @template {Repository} R
 * @param {string} name the resource's singular name
 * @param {string} words the resource's name in words, for messages
 * @param {R} repository
 * @param {Record<string, Reference>} references
 * @param {Registry} registry
 * @returns {R}
 */
export function withReferences(name, words, repository, references, registry) {
  /** Refuses `fields` when one of its references names an item that does not exist. */
  async function assertReferences(fields) {
    for (const [field, reference] of Object.entries(references)) {
      const id = fields[field];
      if (id === null || id === undefined) continue;
      if (!(await registry.repository(reference.target).get(id))) throw missingReference(field, reference, id);
    }
  }

  return {
    ...repository,

    async create(fields) {
      await assertReferences(fields);
      return repository.create(fields);
    },

    async update(id, fields, options) {
      await assertReferences(fields);
      return repository.update(id, fields, options);
    },

    async remove(id) {
      if (!(await repository.get(id))) return false;
      // Everything the delete reaches, checked before anything changes.
      const deletions = [];
      const emptied = [];
      const seen = new Set();
      const reach = async (resource, itemId) => {
        const key = `${resource}:${itemId}`;
        if (seen.has(key)) return;
        seen.add(key);
        deletions.push({ resource, id: itemId });
        for (const { source, field, target, onDelete } of registry.incoming) {
          if (target !== resource) continue;
          const { items } = await registry.repository(source).list({ limit: ALL, offset: 0, filters: [{ field, op: 'eq', value: itemId }], sort: [] });
          if (items.length === 0) continue;
          if (onDelete === 'restrict') throw stillReferred(words);
          for (const item of items) {
            if (onDelete === 'cascade') await reach(source, item.id);
            else emptied.push({ resource: source, id: item.id, field });
          }
        }
      };
      await reach(name, id);
      for (const { resource, id: itemId } of deletions.reverse()) {
        await (resource === name ? repository : registry.repository(resource)).remove(itemId);
      }
      for (const { resource, id: itemId, field } of emptied) {
        if (seen.has(`${resource}:${itemId}`)) continue;
        await registry.repository(resource).update(itemId, { [field]: null }, { touch: false });
      }
      return true;
    },
  };
}
