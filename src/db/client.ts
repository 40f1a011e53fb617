import fs from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.js";
import { PrismaClient as PgPrismaClient } from "../generated/prisma-pg/client.js";

/**
 * The app's Prisma client. Prisma binds a generated client to one provider (a SQLite client refuses the PostgreSQL
 * adapter at construction), so there are two, generated from the same models (`npm run db:schemas`); their model API
 * is the same, and the app is typed against the SQLite one.
 */
export type Db = PrismaClient;

export type DatabaseKind = "sqlite" | "postgres";

export const DEFAULT_DATABASE_URL = "file:./data/ci-medic.db";

/** `postgres://` or `postgresql://` selects PostgreSQL; anything else is a SQLite `file:` URL. */
export function databaseKind(url: string): DatabaseKind {
  return /^postgres(ql)?:\/\//i.test(url) ? "postgres" : "sqlite";
}

const kinds = new WeakMap<object, DatabaseKind>();

/** Which database a client from `createDb` talks to (SQLite for any other client). */
export function kindOf(db: Db): DatabaseKind {
  return kinds.get(db) ?? "sqlite";
}

/** The SQLite file behind a `file:` URL, resolved against the working directory as the adapter does. */
export function sqlitePath(url: string): string {
  if (!url.startsWith("file:"))
    throw new Error(`DATABASE_URL must be a file: URL for SQLite, got "${url.split(":")[0]}:…"`);
  const file = url.slice("file:".length).split("?")[0] ?? "";
  return path.resolve(file);
}

export function createDb(url: string = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL): Db {
  if (databaseKind(url) === "postgres") {
    const db = new PgPrismaClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as Db;
    kinds.set(db, "postgres");
    return db;
  }
  // SQLite will not create the folder; a fresh clone has no ./data yet.
  fs.mkdirSync(path.dirname(sqlitePath(url)), { recursive: true });
  const adapter = new PrismaBetterSQLite3({ url, timeout: 5000 });
  const db = new PrismaClient({ adapter: immediateTransactions(adapter) });
  kinds.set(db, "sqlite");
  return db;
}

/**
 * Prisma's SQLite adapter opens its transactions (upserts, nested writes) with a deferred `BEGIN`: one that reads and
 * then writes fails at once with SQLITE_BUSY_SNAPSHOT when another connection (the webhooks' enqueue, see
 * src/queue/direct-enqueue.ts) committed in between, and the busy timeout cannot help. `BEGIN IMMEDIATE` takes the write
 * lock first, waiting for it within the busy timeout. The adapter has no option for it: its connection's `prepare` is
 * wrapped for that one statement.
 */
function immediateTransactions(factory: PrismaBetterSQLite3): PrismaBetterSQLite3 {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    const client = (adapter as unknown as { client?: { prepare(sql: string): unknown } }).client;
    if (typeof client?.prepare !== "function")
      throw new Error(
        "@prisma/adapter-better-sqlite3 changed: its connection is not reachable to begin transactions IMMEDIATE",
      );
    const prepare = client.prepare.bind(client);
    client.prepare = (sql: string) => prepare(sql === "BEGIN" ? "BEGIN IMMEDIATE" : sql);
    return adapter;
  };
  return factory;
}

/**
 * Per-connection settings. In WAL mode `synchronous = NORMAL` keeps every committed transaction across a process
 * crash (only a power loss can lose the last ones), and saves an fsync per webhook.
 */
export async function tuneDb(db: Db): Promise<void> {
  if (kindOf(db) !== "sqlite") return;
  await db.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
}

/**
 * Write-ahead logging: webhook acknowledgements (a write each) do not wait for the worker's reads, and a killed
 * process loses no committed transaction. The mode is stored in the file, so once at start-up is enough.
 */
export async function enableWal(url: string): Promise<void> {
  if (databaseKind(url) !== "sqlite") return;
  const { default: Database } = await import("better-sqlite3");
  const sqlite = new Database(sqlitePath(url));
  try {
    sqlite.pragma("journal_mode = WAL");
  } finally {
    sqlite.close();
  }
}

/**
 * With the job thread, the webhook thread's connection never checkpoints: a checkpoint copies the WAL into the database
 * file and fsyncs it (10 to 20 ms), and SQLite runs it inside whichever commit crosses the threshold, here a webhook's
 * INSERT. The job thread checkpoints instead (`checkpointEvery`).
 */
export async function disableAutoCheckpoint(db: Db): Promise<void> {
  if (kindOf(db) !== "sqlite") return;
  await db.$queryRawUnsafe("PRAGMA wal_autocheckpoint = 0");
}

/** 40 MB of 4 KB pages. */
const TRUNCATE_ABOVE_PAGES = 10_000;

/**
 * A passive checkpoint every `ms` (it never waits for readers or writers), so that the WAL stays small while another
 * connection writes most of it. Under a sustained stream of writes the WAL file may never get the quiet moment it
 * needs to start over, and grows: past TRUNCATE_ABOVE_PAGES it is truncated (writers wait a moment; the webhooks'
 * enqueue waits without blocking its thread). Returns a stop function.
 */
export function checkpointEvery(db: Db, ms: number, log: { warn(obj: object, msg: string): void }): () => void {
  if (kindOf(db) !== "sqlite") return () => undefined;
  let running = false;
  const checkpoint = async () => {
    const [result] = await db.$queryRawUnsafe<{ log: number | bigint }[]>("PRAGMA wal_checkpoint(PASSIVE)");
    if (result && Number(result.log) > TRUNCATE_ABOVE_PAGES)
      await db.$queryRawUnsafe("PRAGMA wal_checkpoint(TRUNCATE)");
  };
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    checkpoint()
      .catch((error: unknown) => log.warn({ err: error }, "WAL checkpoint failed; will try again"))
      .finally(() => (running = false));
  }, ms);
  timer.unref();
  return () => clearInterval(timer);
}
