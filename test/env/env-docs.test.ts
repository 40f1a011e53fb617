import fs from "node:fs";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { renderEnvExample, withEnvTable } from "../../src/env-docs.js";
import { ENV_NAMES, envMeta } from "../../src/env-schema.js";

// The schema of the environment is the one source of truth: the README's table and .env.example are generated from it.
// After changing src/env-schema.ts, run `npm run docs:env`.

describe("the environment's documentation", () => {
  it("the README's table is the one generated from the schema", () => {
    const readme = fs.readFileSync("README.md", "utf8");
    expect(readme, "run `npm run docs:env`").toBe(withEnvTable(readme));
  });

  it(".env.example is the one generated from the schema; it names every variable and sets none but the App's three, empty", () => {
    const example = fs.readFileSync(".env.example", "utf8");
    expect(example, "run `npm run docs:env`").toBe(renderEnvExample());
    // What `docker run --env-file` would pass on: nothing that overrides the image's DATABASE_URL, HOST or PORT.
    expect(parseEnv(example)).toEqual({ APP_ID: "", PRIVATE_KEY: "", WEBHOOK_SECRET: "" });
    const named = [...example.matchAll(/^(?:# )?([A-Z_]+)=$/gm)].map((m) => m[1]);
    expect(named.sort()).toEqual([...ENV_NAMES].sort());
  });

  it("every whole-number variable documents its range", () => {
    for (const name of ENV_NAMES) {
      const range = envMeta(name).range;
      if (range) expect(envMeta(name).doc, name).toContain(`(${range.min} to ${range.max})`);
    }
  });
});
