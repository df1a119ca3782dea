import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { now } from './registry.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Queues (or re-queues) extraction of one version; the worker in src/jobs picks it up. */
export async function queueExtraction(db: Db, versionId: string): Promise<void> {
  const t = now();
  await db
    .insertInto('extraction_jobs')
    .values({
      node_version_id: versionId,
      state: 'queued',
      attempts: 0,
      lease_owner: null,
      lease_until: null,
      last_error: '',
      created_at: t,
      updated_at: t,
    })
    .onConflict((oc) =>
      oc
        .column('node_version_id')
        .doUpdateSet({ state: 'queued', attempts: 0, lease_owner: null, lease_until: null, last_error: '', updated_at: t }),
    )
    .execute();
}
