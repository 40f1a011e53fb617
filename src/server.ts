import { run } from "probot";
import { createApp } from "./index.js";
import { migrateDeploy } from "./db/migrate.js";
import { DEFAULT_DATABASE_URL, enableWal } from "./db/client.js";
import { validateEnv } from "./env.js";

// `npm start`: validate the environment, apply migrations, start Probot (or its manifest flow when no APP_ID is set),
// and shut down gracefully on SIGTERM/SIGINT: stop taking webhooks, let running jobs finish, release the rest.

async function main(): Promise<void> {
  const env = validateEnv(process.env);
  if (!env.ok) {
    console.error(`ci-medic cannot start:\n${env.errors.map((e) => `  - ${e}`).join("\n")}`);
    process.exit(1);
  }
  const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  process.env.DATABASE_URL = databaseUrl;
  await migrateDeploy(databaseUrl, { log: (text) => console.info(text) });
  await enableWal(databaseUrl);

  const handle = createApp({ settings: env.settings });
  const server = await run(handle.appFn);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    let rt;
    try {
      rt = handle.runtime();
    } catch {
      rt = undefined; // setup mode: the app was never loaded
    }
    const log = rt?.log ?? { info: console.info, error: console.error };
    log.info({ signal }, "shutting down: no new webhooks, finishing running jobs");
    try {
      await server.stop();
      if (rt) {
        await rt.housekeeping?.stop();
        await rt.worker.stop(env.settings.shutdownDeadlineMs);
        await rt.db.$disconnect();
      }
      log.info("stopped");
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, "error while shutting down");
      process.exit(1);
    }
  };
  // Probot's own SIGINT handler exits before our jobs are released.
  process.removeAllListeners("SIGINT");
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error("ci-medic failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
