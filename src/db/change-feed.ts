import pg from 'pg';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

/** Tables whose rows appear in public reads; a write to any of them changes some answer. */
export const PUBLIC_TABLES = ['publishers', 'nodes', 'node_versions', 'comfy_nodes'] as const;
export const CHANGE_CHANNEL = 'comfyreg_changes';

/**
 * A counter that moves on every write to a public table. Read caches remember the value they
 * saw when they read, and an answer read before a write is never served after it.
 */
export class ChangeFeed {
  private value = 0;
  private readonly listeners: (() => void)[] = [];
  /** False while changes made by other processes could be missed (PostgreSQL listener down). */
  trusted = true;

  get generation(): number {
    return this.value;
  }

  bump(): void {
    this.value++;
    for (const l of this.listeners) l();
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  offChange(listener: () => void): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }
}

function writtenTable(node: RootOperationNode): string | undefined {
  const n = node as { kind: string; into?: { table: { identifier: { name: string } } }; table?: unknown; from?: { froms: unknown[] } };
  const nameOf = (t: unknown): string | undefined => {
    const x = t as { kind?: string; table?: { identifier?: { name?: string } }; identifier?: { name?: string } } | undefined;
    return x?.table?.identifier?.name ?? x?.identifier?.name;
  };
  if (n.kind === 'InsertQueryNode') return nameOf(n.into);
  if (n.kind === 'UpdateQueryNode') return nameOf(n.table);
  if (n.kind === 'DeleteQueryNode') return nameOf(n.from?.froms[0]);
  return undefined;
}

/** Bumps the feed after each statement that wrote to a public table, in this process. */
export class ChangeFeedPlugin implements KyselyPlugin {
  private readonly writes = new WeakSet<object>();

  constructor(private readonly feed: ChangeFeed) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const table = writtenTable(args.node);
    if (table && (PUBLIC_TABLES as readonly string[]).includes(table)) this.writes.add(args.queryId);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.writes.has(args.queryId)) this.feed.bump();
    return args.result;
  }
}

/**
 * PostgreSQL with several instances: triggers NOTIFY on commit (see the migrations) and every
 * instance LISTENs, so a write anywhere moves every instance's feed. While the listener is down
 * the feed is not trusted and caches stand aside.
 */
export async function listenForChanges(
  url: string,
  schema: string | undefined,
  feed: ChangeFeed,
  onError: (err: unknown, context: string) => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  let failing = false;
  // Ending a client that already broke fails too; that second error says nothing new.
  const discard = (c: pg.Client) => void c.end().catch(() => undefined);
  const reconnectLater = (err: unknown) => {
    if (closed) return;
    if (!failing) onError(err, 'the PostgreSQL change listener failed; answer caches stand aside until it reconnects');
    failing = true;
    retry = setTimeout(() => void connect().catch(reconnectLater), 1000);
  };
  const connect = async () => {
    const c = new pg.Client({ connectionString: url, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
    c.on('notification', () => feed.bump());
    c.on('error', (err) => {
      feed.trusted = false;
      feed.bump();
      discard(c);
      reconnectLater(err);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (err) {
      c.removeAllListeners('error');
      discard(c);
      throw err;
    }
    client = c;
    failing = false;
    feed.bump();
    feed.trusted = true;
  };
  feed.trusted = false;
  await connect();
  return async () => {
    closed = true;
    if (retry) clearTimeout(retry);
    feed.trusted = false;
    await client?.end().catch((err: unknown) => onError(err, 'closing the PostgreSQL change listener'));
  };
}
