import { PostgresAdapter, sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import { backfillComfyNodeTypes } from './comfy-node-types.js';

/*
 * The comfy-node type index keyed by pack (0009), replacing 0005's index keyed by version. It
 * holds the comfy nodes of each pack's newest extracted version only: one row per (comfy node,
 * input or output, type member), and the input × output pairs, the common "takes X, gives Y"
 * question in one index range. `listed` (1 public, 2 hidden by a ban or an inactive pack) leads
 * the search index after the type, so a public search reads only rows it answers with. A release
 * that keeps its comfy nodes rewrites no row (src/db/comfy-node-types.ts).
 */
export const typeIndexByPack: Migration = {
  async up(db: Kysely<any>) {
    // SQLite keeps these narrow rows in their key's own tree: one tree less to write per row.
    const sqlite = !(db.getExecutor().adapter instanceof PostgresAdapter);
    const clustered = (t: CreateTableBuilder<any, any>) => (sqlite ? t.modifyEnd(sql`without rowid`) : t);
    await db.schema.dropTable('comfy_node_type_pairs').execute();
    await db.schema.dropTable('comfy_node_types').execute();
    await clustered(
      db.schema
        .createTable('comfy_node_types')
        .addColumn('node_id', 'text', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
        .addColumn('comfy_node_name', 'text', (c) => c.notNull())
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('listed', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('comfy_node_types_pk', ['node_id', 'comfy_node_name', 'direction', 'type']),
    ).execute();
    await db.schema
      .createIndex('comfy_node_types_search')
      .on('comfy_node_types')
      .columns(['direction', 'type', 'listed', 'comfy_node_name', 'node_id'])
      .execute();
    await clustered(
      db.schema
        .createTable('comfy_node_type_pairs')
        .addColumn('input_type', 'text', (c) => c.notNull())
        .addColumn('output_type', 'text', (c) => c.notNull())
        .addColumn('listed', 'integer', (c) => c.notNull())
        .addColumn('comfy_node_name', 'text', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('comfy_node_type_pairs_pk', ['input_type', 'output_type', 'listed', 'comfy_node_name', 'node_id']),
    ).execute();
    await db.schema.createIndex('comfy_node_type_pairs_pack').on('comfy_node_type_pairs').columns(['node_id', 'comfy_node_name']).execute();
    // Per comfy node, what the two tables hold for it as one string: a sync reads these, not every type row.
    await clustered(
      db.schema
        .createTable('comfy_node_type_sigs')
        .addColumn('node_id', 'text', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
        .addColumn('comfy_node_name', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('comfy_node_type_sigs_pk', ['node_id', 'comfy_node_name']),
    ).execute();
    await backfillComfyNodeTypes(db);
  },
};
