import type pg from 'pg';
import type { CompiledQuery } from 'kysely';

/*
 * PostgreSQL plans a statement sent without a name at every execution; for the resolver's join of
 * four tables that planning is most of the query (about 0.7 ms of 0.9 on the benchmark machine,
 * 0.2 ms once prepared). A query marked here is sent as a named prepared statement on each pooled
 * connection, parsed there once. SQLite caches its statements by text already (database.ts).
 */
const names = new Map<string, string>();

/** Marks a compiled query, run many times with other parameters, to be prepared (PostgreSQL). */
export function prepared<T extends CompiledQuery>(query: T): T {
  if (!names.has(query.sql)) names.set(query.sql, `comfyreg_prepared_${names.size}`);
  return query;
}

/** PostgreSQL's code for "cached plan must not change result type": a migration changed a table the statement reads. */
const PLAN_INVALIDATED = '0A000';

/**
 * Makes a pooled client send the marked queries as named statements. A statement prepared before
 * a schema change (another instance migrating) fails once with PLAN_INVALIDATED; it is then
 * prepared again under a new name, so the query is answered and later ones use the new plan.
 */
export function usePreparedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult>;
  let generation = 0;
  client.query = ((text: unknown, values?: unknown, callback?: unknown) => {
    const name = typeof text === 'string' && callback === undefined ? names.get(text) : undefined;
    if (name === undefined) return query(text, values, callback);
    const run = () => query({ name: `${name}_${generation}`, text, values });
    return run().catch((err: { code?: string }) => {
      if (err?.code !== PLAN_INVALIDATED) throw err;
      generation++;
      return run();
    });
  }) as typeof client.query;
}
