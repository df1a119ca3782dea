import { mirrorTables } from './mirror-migration.js';
import { typeIndexByPack } from './type-index-migration.js';
import { DEFAULT_MIGRATION_TABLE, Migrator, PostgresAdapter, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/*
 * Migrations are written once with Kysely's schema builder and run on both dialects. Types are
 * limited to text, integer and real so that both databases store the same values.
 */
const initial: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('publishers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('website', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('support', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('source_code_repo', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('logo', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('publisher_members')
      .addColumn('publisher_id', 'text', (c) => c.notNull().references('publishers.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('publisher_members_pk', ['publisher_id', 'user_id'])
      .execute();

    await db.schema
      .createTable('access_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('publisher_id', 'text', (c) => c.notNull().references('publishers.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('token_hint', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('access_tokens_publisher').on('access_tokens').column('publisher_id').execute();

    await db.schema
      .createTable('nodes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('key', 'text', (c) => c.notNull().unique())
      .addColumn('publisher_id', 'text', (c) => c.notNull().references('publishers.id'))
      .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('author', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('license', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('icon', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('banner_url', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('repository', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('downloads', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('rating', 'real', (c) => c.notNull().defaultTo(0))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('status_detail', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('preempted_comfy_node_names', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('search_ranking', 'integer')
      .addColumn('supported_os', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('supported_accelerators', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('supported_comfyui_version', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('supported_comfyui_frontend_version', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('latest_version_id', 'text')
      .addColumn('latest_extracted_version_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('nodes_publisher').on('nodes').column('publisher_id').execute();
    await db.schema.createIndex('nodes_latest_extracted').on('nodes').column('latest_extracted_version_id').execute();

    await db.schema
      .createTable('node_versions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('node_id', 'text', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('changelog', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('dependencies', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('deprecated', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('status_reason', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('comfy_node_extract_status', 'text', (c) => c.notNull())
      .addColumn('comfy_node_extract_reason', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('cloud_build_info', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('archive_key', 'text')
      .addColumn('archive_size', 'integer')
      .addColumn('archive_sha256', 'text')
      .addColumn('supported_os', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('supported_accelerators', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('supported_comfyui_version', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('supported_comfyui_frontend_version', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('node_versions_node_version', ['node_id', 'version'])
      .execute();

    await db.schema
      .createTable('comfy_nodes')
      .addColumn('node_version_id', 'text', (c) => c.notNull().references('node_versions.id').onDelete('cascade'))
      .addColumn('comfy_node_name', 'text', (c) => c.notNull())
      .addColumn('category', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('function', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('input_types', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('return_types', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('return_names', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('output_is_list', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('deprecated', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('experimental', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('display_name', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('output_node', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('policy', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('comfy_nodes_pk', ['node_version_id', 'comfy_node_name'])
      .execute();
    await db.schema.createIndex('comfy_nodes_name').on('comfy_nodes').columns(['comfy_node_name', 'node_version_id']).execute();

    await db.schema
      .createTable('extraction_jobs')
      .addColumn('node_version_id', 'text', (c) => c.primaryKey().references('node_versions.id').onDelete('cascade'))
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'text')
      .addColumn('last_error', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('extraction_jobs_state').on('extraction_jobs').columns(['state', 'lease_until']).execute();

    await db.schema
      .createTable('meta')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
};

/*
 * The by-name resolver filters each candidate row on its policy; with the policy inside the
 * name index the lookup never reads the (wide) comfy_nodes rows. It supersedes comfy_nodes_name.
 */
const resolverIndex: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createIndex('comfy_nodes_name_version_policy')
      .on('comfy_nodes')
      .columns(['comfy_node_name', 'node_version_id', 'policy'])
      .execute();
    await db.schema.dropIndex('comfy_nodes_name').execute();
  },
};

/*
 * PostgreSQL only: every committed write to a table that public reads show sends one NOTIFY, so
 * that each instance's read cache learns of writes made by the others (src/db/change-feed.ts).
 */
const changeNotifications: Migration = {
  async up(db: Kysely<any>) {
    if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
    await sql`CREATE OR REPLACE FUNCTION comfyreg_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('comfyreg_changes', TG_TABLE_NAME); RETURN NULL; END $$`.execute(db);
    for (const table of ['publishers', 'nodes', 'node_versions', 'comfy_nodes']) {
      await sql`CREATE TRIGGER ${sql.raw(`${table}_changed`)} AFTER INSERT OR UPDATE OR DELETE ON ${sql.table(table)}
        FOR EACH STATEMENT EXECUTE FUNCTION comfyreg_notify_change()`.execute(db);
    }
  },
};

/*
 * PostgreSQL only: the trigger's notification names its schema (`<table>@<schema>`), so that
 * registries in other schemas of the same database do not empty their caches for it.
 */
const notificationsBySchema: Migration = {
  async up(db: Kysely<any>) {
    if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
    await sql`CREATE OR REPLACE FUNCTION comfyreg_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('comfyreg_changes', TG_TABLE_NAME || '@' || TG_TABLE_SCHEMA); RETURN NULL; END $$`.execute(db);
  },
};

/* Downloads find their version by archive key, to refuse archives the extractor refused. */
const archiveKeyIndex: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('node_versions_archive_key').on('node_versions').column('archive_key').execute();
  },
};

/*
 * The first comfy-node type index, keyed by version with a `listed` mark per row. Replaced by
 * 0009 (src/db/type-index-migration.ts), which drops these tables and fills its own: moving a
 * pack's newest version re-marked every row of both versions. Kept as it ran, without its backfill.
 */
const comfyNodeTypes: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('comfy_node_types')
      .addColumn('node_version_id', 'text', (c) => c.notNull().references('node_versions.id').onDelete('cascade'))
      .addColumn('comfy_node_name', 'text', (c) => c.notNull())
      .addColumn('direction', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('node_id', 'text', (c) => c.notNull())
      .addColumn('listed', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('comfy_node_types_pk', ['node_version_id', 'comfy_node_name', 'direction', 'type'])
      .execute();
    await db.schema
      .createIndex('comfy_node_types_search')
      .on('comfy_node_types')
      .columns(['direction', 'type', 'listed', 'comfy_node_name', 'node_version_id'])
      .execute();
    await db.schema.createIndex('comfy_node_types_pack').on('comfy_node_types').columns(['node_id', 'listed']).execute();
    // The listed rows again as (input type, output type) pairs: a search for both walks one range.
    await db.schema
      .createTable('comfy_node_type_pairs')
      .addColumn('input_type', 'text', (c) => c.notNull())
      .addColumn('output_type', 'text', (c) => c.notNull())
      .addColumn('listed', 'integer', (c) => c.notNull())
      .addColumn('node_version_id', 'text', (c) => c.notNull().references('node_versions.id').onDelete('cascade'))
      .addColumn('comfy_node_name', 'text', (c) => c.notNull())
      .addColumn('node_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('comfy_node_type_pairs_pk', ['input_type', 'output_type', 'listed', 'comfy_node_name', 'node_version_id'])
      .execute();
    await db.schema.createIndex('comfy_node_type_pairs_pack').on('comfy_node_type_pairs').column('node_id').execute();
  },
};

/* Web UI sign-ins: the cookie holds a random id, the table its hash and the hash of the token signed in with. */
const uiSessions: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('ui_sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('ui_sessions_expires').on('ui_sessions').column('expires_at').execute();
  },
};

const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_resolver_index': resolverIndex,
  '0003_change_notifications': changeNotifications,
  '0004_archive_key_index': archiveKeyIndex,
  '0005_comfy_node_types': comfyNodeTypes,
  '0007_ui_sessions': uiSessions,
  '0008_mirror': mirrorTables,
  '0009_comfy_node_types_by_pack': typeIndexByPack,
  '0010_notifications_by_schema': notificationsBySchema,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Kysely finds its bookkeeping tables by listing every schema's tables; on PostgreSQL that listing
 * fails with 3F000 when another schema is dropped while it runs (other databases' users, tests).
 */
const otherSchemaDropped = (error: unknown, schema?: string): boolean => {
  const e = error as { code?: string; message?: string } | undefined;
  return e?.code === '3F000' && !(schema && e.message?.includes(`"${schema}"`));
};

export async function migrateToLatest(db: Kysely<any>, schema?: string): Promise<void> {
  // Kysely looks for its bookkeeping tables across schemas; name ours when we use a private one.
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (!error && !failed) return;
    if (!failed && attempt < 5 && otherSchemaDropped(error, schema)) continue;
    throw new Error(`database migration failed${failed ? ` at ${failed.migrationName}` : ''}: ${String(error)}`);
  }
}

/** The migrations this build knows that the database has not run yet (for readiness). */
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const rows = await db.selectFrom(DEFAULT_MIGRATION_TABLE).select('name').execute();
  const done = new Set(rows.map((r: { name: string }) => r.name));
  return Object.keys(migrations).filter((name) => !done.has(name));
}
