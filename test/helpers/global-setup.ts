import fs from "node:fs";
import path from "node:path";
import { migrateDeploy } from "../../src/db/migrate.js";

/** One migrated template database per test run; each test file copies it (see db.ts), which is much faster than migrating. */
export default async function setup(): Promise<void> {
  const dir = path.resolve(".vitest-tmp");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const template = path.join(dir, "template.db");
  await migrateDeploy(`file:${template}`);
  process.env.CI_MEDIC_TEMPLATE_DB = template;
}
