import { spawn } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { databaseKind, sqlitePath } from "./client.js";

/** The folder holding prisma.config.ts and prisma/ (two levels above src/db or lib/db). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Applies pending migrations with `prisma migrate deploy` (the JS schema engine, no download), as a child process so
 * that the CLI's own output and exit code are kept apart from the app's logger.
 */
export async function migrateDeploy(databaseUrl: string, opts: { log?: (line: string) => void } = {}): Promise<void> {
  if (databaseKind(databaseUrl) === "postgres") return withMigrationLock(databaseUrl, () => deploy(databaseUrl, opts));
  // SQLite creates the file but not its folder; a fresh clone has no ./data yet.
  fs.mkdirSync(path.dirname(sqlitePath(databaseUrl)), { recursive: true });
  return deploy(databaseUrl, opts);
}

/** Ours, not the one Prisma's schema engine may take itself (a wait on the same key from two sessions would deadlock). */
const MIGRATION_LOCK_KEY = 0x43494d44; // "CIMD"

/**
 * Replicas starting together: the first takes the lock and migrates; the others wait for it on their own session,
 * then find nothing left to apply. The lock is a session's: a replica that dies while migrating releases it.
 */
export async function withMigrationLock<T>(databaseUrl: string, run: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    return await run();
  } finally {
    await client.end(); // ends the session, and with it the lock
  }
}

async function deploy(databaseUrl: string, opts: { log?: (line: string) => void }): Promise<void> {
  const require = createRequire(import.meta.url);
  const cli = require.resolve("prisma/build/index.js");
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, "migrate", "deploy"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => output.push(chunk));
    }
    child.on("error", reject);
    child.on("close", resolve);
  });
  const text = output.join("").trim();
  if (code !== 0) throw new Error(`prisma migrate deploy failed (exit ${code}):\n${text}`);
  opts.log?.(
    text
      .split("\n")
      .filter((l) => /migrat/i.test(l))
      .join("\n") || "migrations up to date",
  );
}
