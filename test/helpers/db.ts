import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { inject } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";

/** This test run's scratch folder (made and removed by global-setup). */
export function testDir(): string {
  return inject("testDir");
}

/** A fresh, migrated SQLite database for one test (a copy of the template made in global-setup). */
export function createTestDb(): { db: Db; url: string; file: string } {
  const template = path.join(testDir(), "template.db");
  if (!fs.existsSync(template))
    throw new Error("template database missing: run the tests through vitest (global-setup)");
  const file = path.join(testDir(), `test-${randomUUID()}.db`);
  fs.copyFileSync(template, file);
  const url = `file:${file}`;
  return { db: createDb(url), url, file };
}
