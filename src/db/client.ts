import fs from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "../generated/prisma/client.js";

export type Db = PrismaClient;

export const DEFAULT_DATABASE_URL = "file:./data/ci-medic.db";

/** The SQLite file behind a `file:` URL, resolved against the working directory as the adapter does. */
export function sqlitePath(url: string): string {
  if (!url.startsWith("file:")) throw new Error(`DATABASE_URL must be a file: URL for SQLite, got "${url.split(":")[0]}:…"`);
  const file = url.slice("file:".length).split("?")[0] ?? "";
  return path.resolve(file);
}

export function createDb(url: string = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL): Db {
  // SQLite will not create the folder; a fresh clone has no ./data yet.
  fs.mkdirSync(path.dirname(sqlitePath(url)), { recursive: true });
  const adapter = new PrismaBetterSQLite3({ url, timeout: 5000 });
  return new PrismaClient({ adapter });
}

/**
 * Per-connection settings. In WAL mode `synchronous = NORMAL` keeps every committed transaction across a process
 * crash (only a power loss can lose the last ones), and saves an fsync per webhook.
 */
export async function tuneDb(db: Db): Promise<void> {
  await db.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
}

/**
 * Write-ahead logging: webhook acknowledgements (a write each) do not wait for the worker's reads, and a killed
 * process loses no committed transaction. The mode is stored in the file, so once at start-up is enough.
 */
export async function enableWal(url: string): Promise<void> {
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
  await db.$queryRawUnsafe("PRAGMA wal_autocheckpoint = 0");
}

/**
 * A passive checkpoint every `ms` (it never waits for readers or writers), so that the WAL stays small while another
 * connection writes most of it. Returns a stop function.
 */
export function checkpointEvery(db: Db, ms: number, log: { warn(obj: object, msg: string): void }): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    db.$queryRawUnsafe("PRAGMA wal_checkpoint(PASSIVE)")
      .catch((error: unknown) => log.warn({ err: error }, "WAL checkpoint failed; will try again"))
      .finally(() => (running = false));
  }, ms);
  timer.unref();
  return () => clearInterval(timer);
}
