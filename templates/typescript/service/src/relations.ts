import type { Router } from 'express';
import { conflict, unprocessable } from './errors.ts';
import type { ListQuery } from './list-query.ts';

/** What deleting the item a reference points at does to the items that refer to it. */
export type DeleteRule = 'restrict' | 'cascade' | 'set-null';

/** One reference field of a resource: the resource it refers to (singular name), its name in words for messages, and its delete rule. */
export interface Reference {
  target: string;
  words: string;
  onDelete: DeleteRule;
}

/** A reference to resource `target`, made by field `field` of resource `source`. */
interface Incoming {
  source: string;
  field: string;
  target: string;
  onDelete: DeleteRule;
}

/** What the references read and write of any resource's repository. */
export interface StoredRepository {
  list(query: ListQuery): Promise<{ items: { id: string }[]; total: number }>;
  get(id: string): Promise<object | null>;
  create(fields: Record<string, unknown>): Promise<unknown>;
  update(id: string, fields: Record<string, unknown>, options?: { touch?: boolean }): Promise<unknown>;
  remove(id: string): Promise<boolean>;
}

/** Every item: what a delete reads to find the items that refer to one. */
const ALL = Number.MAX_SAFE_INTEGER;

/**
 * What the resources of one API share: each resource's repository (by singular name), the
 * references between them, and the nested lists (`/customers/:customerId/orders`) their routers
 * add, which the API mounts before the resources' own routers.
 */
export function createRegistry() {
  const repositories = new Map<string, StoredRepository>();
  /** References by the target they point at, each a field of `source`. */
  const incoming: Incoming[] = [];
  const nested: { path: string; router: Router }[] = [];
  return {
    repositories,
    incoming,
    nested,

    /** Records the repository of resource `name` and the references its fields make. */
    add(name: string, repository: StoredRepository, references: Readonly<Record<string, Reference>>): void {
      repositories.set(name, repository);
      for (const [field, { target, onDelete }] of Object.entries(references)) incoming.push({ source: name, field, target, onDelete });
    },

    /** The repository of resource `name`, which every router of the API has recorded. */
    repository(name: string): StoredRepository {
      const repository = repositories.get(name);
      if (!repository) throw new Error(`no repository is recorded for resource ${name}`);
      return repository;
    },
  };
}

export type Registry = ReturnType<typeof createRegistry>;

/** The 422 of a write whose `field` names no item of its target. */
export const missingReference = (field: string, { words }: Reference, id: unknown) => unprocessable(field, `No ${words} has the id ${String(id)}.`);

/** The 409 of a delete that a restricting reference refuses. */
export const stillReferred = (words: string) => conflict(`Other items still refer to this ${words}; delete them or change their references first.`);

/**
 * `repository` (one kept in memory) with the rules PostgreSQL's foreign keys give the other:
 * a write must refer to items that exist (422), and deleting an item applies each reference's
 * rule to the items that refer to it (restrict refuses with 409, cascade deletes them, set-null
 * empties the field without touching `updatedAt`), across every resource, all or nothing.
 */
export function withReferences<R extends StoredRepository>(name: string, words: string, repository: R, references: Readonly<Record<string, Reference>>, registry: Registry): R {
  /** Refuses `fields` when one of its references names an item that does not exist. */
  async function assertReferences(fields: Record<string, unknown>) {
    for (const [field, reference] of Object.entries(references)) {
      const id = fields[field];
      if (typeof id !== 'string') continue;
      if (!(await registry.repository(reference.target).get(id))) throw missingReference(field, reference, id);
    }
  }

  /** Everything deleting item `id` of `resource` reaches, checked before anything changes. */
  async function reach(resource: string, id: string, seen: Set<string>, deletions: { resource: string; id: string }[], emptied: { resource: string; id: string; field: string }[]) {
    const key = `${resource}:${id}`;
    if (seen.has(key)) return;
    seen.add(key);
    deletions.push({ resource, id });
    for (const { source, field, target, onDelete } of registry.incoming) {
      if (target !== resource) continue;
      const { items } = await registry.repository(source).list({ limit: ALL, offset: 0, filters: [{ field, op: 'eq', value: id }], sort: [] });
      if (items.length === 0) continue;
      if (onDelete === 'restrict') throw stillReferred(words);
      for (const item of items) {
        if (onDelete === 'cascade') await reach(source, item.id, seen, deletions, emptied);
        else emptied.push({ resource: source, id: item.id, field });
      }
    }
  }

  const guarded: StoredRepository = {
    list: (query) => repository.list(query),
    get: (id) => repository.get(id),

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
      const seen = new Set<string>();
      const deletions: { resource: string; id: string }[] = [];
      const emptied: { resource: string; id: string; field: string }[] = [];
      await reach(name, id, seen, deletions, emptied);
      for (const deletion of deletions.toReversed()) {
        await (deletion.resource === name ? repository : registry.repository(deletion.resource)).remove(deletion.id);
      }
      for (const { resource, id: itemId, field } of emptied) {
        if (!seen.has(`${resource}:${itemId}`)) await registry.repository(resource).update(itemId, { [field]: null }, { touch: false });
      }
      return true;
    },
  };
  return { ...repository, ...guarded };
}
