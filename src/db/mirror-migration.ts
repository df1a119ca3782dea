import type { Kysely, Migration } from 'kysely';

/*
 * Mirror mode (0008): upstream answers kept with their fetch time (negative ones too), ids an
 * admin reserved for local packs, archives fetched from upstream, and the comfy nodes of upstream
 * versions by name: comfyreg's own extraction of versions that had none upstream (`comfyreg`), and
 * the names of upstream's own lists (`upstream`), which let the resolver answer offline.
 */
export const mirrorTables: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('uplink_cache')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('found', 'integer', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('fetched_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('reserved_ids')
      .addColumn('pattern', 'text', (c) => c.primaryKey())
      .addColumn('reason', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('mirror_archives')
      .addColumn('node_key', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('archive_key', 'text', (c) => c.notNull())
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('source_url', 'text', (c) => c.notNull())
      .addColumn('stored_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('mirror_archives_pk', ['node_key', 'version'])
      .execute();

    await db.schema
      .createTable('mirror_extractions')
      .addColumn('node_key', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('extracted_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('mirror_extractions_pk', ['node_key', 'version'])
      .execute();

    await db.schema
      .createTable('mirror_comfy_nodes')
      .addColumn('node_key', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('comfy_node_name', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('mirror_comfy_nodes_pk', ['node_key', 'version', 'comfy_node_name'])
      .execute();
    await db.schema.createIndex('mirror_comfy_nodes_name').on('mirror_comfy_nodes').column('comfy_node_name').execute();
  },
};
