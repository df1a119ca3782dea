import pg from 'pg';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

/** Tables whose rows appear in public reads; a write to any of them changes some answer. */
export const PUBLIC_TABLES = ['publishers', 'nodes', 'node_versions', 'comfy_nodes'] as const;
export const CHANGE_CHANNEL = 'comfyreg_changes';

/** Most keys remembered; beyond it everything counts as changed once and the map starts afresh. */
const MAX_KEYS = 100_000;

/**
 * What changed, by key, in time order. A write touches the keys of what it changed (`pack:<id>`,
 * `name:<comfy node>`, `counts:<id>`, `publisher:<id>`, and `all` for every write); a cached answer
 * remembers the epoch it was read at and the keys it depends on, and is served only while none of
 * them was touched after that epoch. So a download count never evicts the resolver's answers, and a
 * publish evicts only that pack's.
 */
export class ChangeFeed {
  private epoch = 0;
  /** Answers read before the floor are stale whatever their keys (after a reset, or an untrusted spell). */
  private floor = 0;
  private readonly touched = new Map<string, number>();
  private readonly listeners: (() => void)[] = [];
  /** False while changes made by other processes could be missed (PostgreSQL listener down). */
  trusted = true;

  /** The epoch a reader records before it reads. */
  get now(): number {
    return this.epoch;
  }

  touch(keys: Iterable<string>): void {
    const e = ++this.epoch;
    for (const k of keys) this.touched.set(k, e);
    if (this.touched.size > MAX_KEYS) this.touchEverything();
    else this.announce();
  }

  /** Everything may have changed: every answer read so far is stale. */
  touchEverything(): void {
    this.floor = ++this.epoch;
    this.touched.clear();
    this.announce();
  }

  /** True when none of `keys` was touched after `readAt` (an answer that depends on everything names `all`). */
  isFresh(readAt: number, keys: readonly string[]): boolean {
    if (readAt < this.floor) return false;
    for (const k of keys) if ((this.touched.get(k) ?? 0) > readAt) return false;
    return true;
  }

  private announce(): void {
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

/** Keys of what a write changed; `all` is added to every touch. */
export const changeKeys = {
  pack: (nodeId: string) => `pack:${nodeId.toLowerCase()}`,
  counts: (nodeId: string) => `counts:${nodeId.toLowerCase()}`,
  name: (comfyNodeName: string) => `name:${comfyNodeName}`,
  publisher: (id: string) => `publisher:${id}`,
} as const;

/**
 * NOTIFY payloads are at most 8,000 bytes; keys travel in as many notifications as they need,
 * each `keys:` and the keys a line each (the sender puts its schema after `keys`, see announce).
 */
export function notificationPayloads(keys: readonly string[]): string[] {
  const out: string[] = [];
  let current = 'keys:';
  for (const k of keys) {
    if (Buffer.byteLength(k) > 7000) continue;
    if (Buffer.byteLength(current) + Buffer.byteLength(k) + 1 > 7800) {
      out.push(current);
      current = 'keys:';
    }
    current += (current === 'keys:' ? '' : '\n') + k;
  }
  if (current !== 'keys:') out.push(current);
  return out;
}

/**
 * Keys of a notification to a listener in `schema`: `keys@<schema>:` payloads name them, and a
 * trigger's `<table>@<schema>` means `all`. Another schema's writes (another registry sharing the
 * database) change nothing here. Payloads without a schema (from instances not yet upgraded) mean what they say.
 */
export function keysOfNotification(payload: string | undefined, schema: string): string[] {
  if (payload === undefined) return ['all'];
  if (payload.startsWith('keys@')) {
    const colon = payload.indexOf(':');
    if (colon < 0 || payload.slice(5, colon) !== schema) return [];
    return payload
      .slice(colon + 1)
      .split('\n')
      .filter(Boolean);
  }
  if (payload.startsWith('keys:')) return payload.slice(5).split('\n').filter(Boolean);
  const at = payload.lastIndexOf('@');
  return at >= 0 && payload.slice(at + 1) !== schema ? [] : ['all'];
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

/**
 * Touches `all` after each statement that wrote to a public table, in this process: answers that
 * name no keys of their own are safe whatever write path forgot to name its keys.
 */
export class ChangeFeedPlugin implements KyselyPlugin {
  private readonly writes = new WeakSet<object>();

  constructor(private readonly feed: ChangeFeed) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const table = writtenTable(args.node);
    if (table && (PUBLIC_TABLES as readonly string[]).includes(table)) this.writes.add(args.queryId);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.writes.has(args.queryId)) this.feed.touch(['all']);
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
  applicationName = 'comfyreg-listener',
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
    const c = new pg.Client({
      connectionString: url,
      application_name: applicationName,
      connectionTimeoutMillis: 5000,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    // Until the schema is known (a moment after connecting), every notification counts as `all`.
    let own: string | undefined;
    c.on('notification', (msg) => {
      const keys = own === undefined ? ['all'] : keysOfNotification(msg.payload, own);
      if (keys.length > 0) feed.touch(keys);
    });
    c.on('error', (err) => {
      feed.trusted = false;
      feed.touchEverything();
      discard(c);
      reconnectLater(err);
    });
    try {
      await c.connect();
      own = (await c.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]!.s;
      await c.query(`LISTEN ${CHANGE_CHANNEL}`);
    } catch (err) {
      c.removeAllListeners('error');
      discard(c);
      throw err;
    }
    client = c;
    failing = false;
    // Whatever happened while nobody listened is unknown: everything read before now is stale.
    feed.trusted = true;
    feed.touchEverything();
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
