import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseEnv } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { type EnvResult, effectiveEnv, readDotEnv, validateEnv } from "../../src/env.js";
import { DEFAULT_SETTINGS } from "../../src/runtime.js";

const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PKCS1 = keys.privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const PKCS8 = keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const SECRET = "whsec-do-not-print-me";
const app = { APP_ID: "12345", PRIVATE_KEY: PKCS1, WEBHOOK_SECRET: SECRET };

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-medic-env-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function errorsOf(result: EnvResult): string[] {
  if (result.ok) throw new Error("expected the environment to be rejected");
  return result.errors;
}

/** Every message for one variable, and no secret in any of them. */
function rejects(env: Record<string, string>, expected: string[]) {
  const errors = errorsOf(validateEnv(env, { cwd: dir }));
  expect(errors).toEqual(expected);
  const text = errors.join("\n");
  for (const secret of [SECRET, PKCS1.split("\n")[1]!, "sk-live-secret", "metrics-secret", "AIza-secret", "hunter2"])
    expect(text).not.toContain(secret);
}

describe("validateEnv: accepted environments", () => {
  it("an empty environment is setup mode (Probot's manifest flow) with every default", () => {
    const result = validateEnv({});
    expect(result).toEqual({
      ok: true,
      settings: DEFAULT_SETTINGS,
      value: {
        setupMode: true,
        databaseUrl: `file:${path.resolve("data", "ci-medic.db")}`,
        logLevel: "info",
        logFormat: "pretty",
        port: 3000,
        llm: { provider: "none", geminiModel: "gemini-2.5-flash", timeoutMs: 60_000 },
        gheProtocol: "https",
        workerMode: "thread",
        settings: DEFAULT_SETTINGS,
      },
    });
  });

  it("a registered App with a PKCS#1 key, a \\n-escaped one-line key, a PKCS#8 key or a base64 key", () => {
    for (const key of [PKCS1, PKCS1.replace(/\n/g, "\\n"), PKCS8, Buffer.from(PKCS1).toString("base64")]) {
      const result = validateEnv({ ...app, PRIVATE_KEY: key });
      expect(result.ok).toBe(true);
      if (result.ok) {
        expect(result.value.appId).toBe(12345);
        expect(result.value.setupMode).toBe(false);
        expect(result.value.privateKeySource).toBe("PRIVATE_KEY");
      }
    }
  });

  it("a key file through PRIVATE_KEY_PATH, relative to the working directory", () => {
    fs.writeFileSync(path.join(dir, "app.pem"), PKCS1);
    const result = validateEnv({ APP_ID: "1", PRIVATE_KEY_PATH: "app.pem", WEBHOOK_SECRET: SECRET }, { cwd: dir });
    expect(result.ok && result.value.privateKeySource).toBe("PRIVATE_KEY_PATH");
  });

  it("every setting given, and empty values treated as unset", () => {
    const result = validateEnv({
      ...app,
      DATABASE_URL: "file:/data/ci-medic.db",
      LOG_LEVEL: "debug",
      LOG_FORMAT: "json",
      PORT: "8080",
      LLM_PROVIDER: "openai",
      OPENAI_BASE_URL: "http://localhost:11434/v1",
      OPENAI_MODEL: "qwen2.5-coder:7b",
      LLM_TIMEOUT_MS: "30000",
      LOG_MAX_BYTES: "1048576",
      METRICS_TOKEN: "0123456789abcdef",
      GHE_HOST: "github.example.com",
      GHE_PROTOCOL: "https",
      WORKER_CONCURRENCY: "4",
      WORKER_MODE: "in-process",
      RETENTION_DAYS: "7",
      JOB_LEASE_SECONDS: "30",
      APP_SLUG: "ci-medic",
      GEMINI_API_KEY: "",
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.llm).toEqual({
      provider: "openai",
      geminiModel: "gemini-2.5-flash",
      openaiBaseUrl: "http://localhost:11434/v1",
      openaiModel: "qwen2.5-coder:7b",
      timeoutMs: 30_000,
    });
    expect(result.value.port).toBe(8080);
    expect(result.value.gheHost).toBe("github.example.com");
    expect(result.value.workerMode).toBe("in-process");
    expect(result.settings).toEqual({
      ...DEFAULT_SETTINGS,
      logMaxBytes: 1_048_576,
      workerConcurrency: 4,
      retentionDays: 7,
      jobLeaseMs: 30_000,
      appSlug: "ci-medic",
    });
  });

  it("a Gemini key selects Gemini unless LLM_PROVIDER says otherwise; a local OpenAI-compatible server needs no key", () => {
    const gemini = validateEnv({ GEMINI_API_KEY: "AIza-secret" });
    expect(gemini.ok && gemini.value.llm.provider).toBe("gemini");
    const local = validateEnv({
      GEMINI_API_KEY: "AIza-secret",
      LLM_PROVIDER: "openai",
      OPENAI_BASE_URL: "http://127.0.0.1:8080/v1",
    });
    expect(local.ok && local.value.llm).toEqual({
      provider: "openai",
      geminiModel: "gemini-2.5-flash",
      openaiBaseUrl: "http://127.0.0.1:8080/v1",
      timeoutMs: 60_000,
    });
  });
});

describe("validateEnv: one message per problem, never a secret", () => {
  it("APP_ID", () => {
    rejects({ ...app, APP_ID: "my-app" }, [
      'APP_ID must be the GitHub App\'s numeric id (App settings → General → App ID), got "my-app"',
    ]);
    rejects({ PRIVATE_KEY: PKCS1 }, [
      "APP_ID is missing while a private key is set: set APP_ID to the App's id, or remove PRIVATE_KEY/PRIVATE_KEY_PATH to register a new App through the manifest flow",
    ]);
    rejects({ NODE_ENV: "production" }, [
      "APP_ID is required when NODE_ENV=production: register the App once with `npm start` (manifest flow) and copy APP_ID, PRIVATE_KEY and WEBHOOK_SECRET from the .env it writes",
    ]);
  });

  it("PRIVATE_KEY and PRIVATE_KEY_PATH", () => {
    rejects({ APP_ID: "1", WEBHOOK_SECRET: SECRET }, [
      "PRIVATE_KEY or PRIVATE_KEY_PATH is required when APP_ID is set: the App's private key (.pem) from its settings page",
    ]);
    rejects({ ...app, PRIVATE_KEY: "hunter2" }, [
      "PRIVATE_KEY is not a PEM private key: expected the whole .pem file GitHub generated, from -----BEGIN RSA PRIVATE KEY----- (or -----BEGIN PRIVATE KEY-----) to its END line; newlines may be written as \\n",
    ]);
    const lines = PKCS1.trim().split("\n");
    const truncated = [lines[0], ...lines.slice(1, 5), lines[lines.length - 1]].join("\n");
    rejects({ ...app, PRIVATE_KEY: truncated }, [
      "PRIVATE_KEY has PEM markers but is not a valid private key (truncated or altered?)",
    ]);
    rejects({ APP_ID: "1", WEBHOOK_SECRET: SECRET, PRIVATE_KEY_PATH: "nope.pem" }, [
      "PRIVATE_KEY_PATH points to a file that does not exist: nope.pem",
    ]);
    fs.writeFileSync(path.join(dir, "cert.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    rejects({ APP_ID: "1", WEBHOOK_SECRET: SECRET, PRIVATE_KEY_PATH: "cert.pem" }, [
      "PRIVATE_KEY_PATH: the file is not a PEM private key: expected the whole .pem file GitHub generated, from -----BEGIN RSA PRIVATE KEY----- (or -----BEGIN PRIVATE KEY-----) to its END line; newlines may be written as \\n",
    ]);
  });

  it("WEBHOOK_SECRET", () => {
    rejects({ APP_ID: "1", PRIVATE_KEY: PKCS1 }, [
      "WEBHOOK_SECRET is required when APP_ID is set: the webhook secret from the App's settings (without it every delivery would be rejected or unverified)",
    ]);
  });

  it("DATABASE_URL, without echoing the URL", () => {
    rejects({ DATABASE_URL: "mysql://ci:hunter2@db/ci" }, [
      'DATABASE_URL must be a SQLite file: URL such as file:./data/ci-medic.db or a postgresql:// URL (got a "mysql:" URL)',
    ]);
    rejects({ DATABASE_URL: "./data/x.db" }, [
      "DATABASE_URL must be a SQLite file: URL such as file:./data/ci-medic.db or a postgresql:// URL",
    ]);
    rejects({ JOB_LEASE_SECONDS: "1" }, [
      'JOB_LEASE_SECONDS must be a whole number of seconds between 2 and 600, got "1"',
    ]);
  });

  it("a PostgreSQL DATABASE_URL", () => {
    for (const url of ["postgresql://ci:hunter2@db:5432/ci", "postgres://db/ci?sslmode=require"]) {
      const result = validateEnv({ ...app, DATABASE_URL: url });
      expect(result.ok && result.value.databaseUrl).toBe(url);
    }
  });

  it("LOG_LEVEL, LOG_FORMAT, PORT, WEBHOOK_PROXY_URL, WEBHOOK_PATH", () => {
    rejects({ LOG_LEVEL: "verbose" }, [
      'LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, got "verbose"',
    ]);
    rejects({ LOG_FORMAT: "text" }, ['LOG_FORMAT must be one of json, pretty, got "text"']);
    rejects({ PORT: "http" }, ['PORT must be a whole number between 1 and 65535, got "http"']);
    rejects({ PORT: "70000" }, ['PORT must be a whole number between 1 and 65535, got "70000"']);
    rejects({ WEBHOOK_PROXY_URL: "smee.io/abc" }, [
      "WEBHOOK_PROXY_URL must be an http(s) URL such as https://smee.io/<channel>",
    ]);
    rejects({ WEBHOOK_PATH: "hooks" }, ['WEBHOOK_PATH must start with "/", got "hooks"']);
  });

  it("GHE_HOST and GHE_PROTOCOL", () => {
    rejects({ GHE_HOST: "https://github.example.com/" }, [
      'GHE_HOST must be a host name such as github.example.com (no scheme, no path), got "https://github.example.com/"',
    ]);
    rejects({ GHE_HOST: "github.example.com", GHE_PROTOCOL: "ftp" }, [
      'GHE_PROTOCOL must be one of https, http, got "ftp"',
    ]);
    rejects({ GHE_PROTOCOL: "http" }, ["GHE_PROTOCOL is set but GHE_HOST is not: set both, or neither for github.com"]);
    const local = validateEnv({ GHE_HOST: "127.0.0.1:8080", GHE_PROTOCOL: "http" });
    expect(local.ok && [local.value.gheHost, local.value.gheProtocol]).toEqual(["127.0.0.1:8080", "http"]);
  });

  it("LLM_PROVIDER, GEMINI_*, OPENAI_*, LLM_TIMEOUT_MS", () => {
    rejects({ LLM_PROVIDER: "claude" }, ['LLM_PROVIDER must be one of gemini, openai, got "claude"']);
    rejects({ LLM_PROVIDER: "gemini" }, [
      "GEMINI_API_KEY is required when LLM_PROVIDER=gemini (or unset LLM_PROVIDER to run without a model)",
    ]);
    rejects({ GEMINI_API_KEY: "AIza-secret", GEMINI_MODEL: "gemini 2.5 flash" }, [
      'GEMINI_MODEL must be a model name such as gemini-2.5-flash, got "gemini 2.5 flash"',
    ]);
    rejects({ LLM_PROVIDER: "openai", OPENAI_MODEL: "gpt-4o-mini" }, [
      "OPENAI_API_KEY is required when LLM_PROVIDER=openai and OPENAI_BASE_URL is not set",
    ]);
    rejects({ LLM_PROVIDER: "openai", OPENAI_BASE_URL: "https://user:hunter2@llm.example.com/v1" }, [
      "OPENAI_BASE_URL must not contain credentials: put the key in OPENAI_API_KEY",
    ]);
    rejects({ LLM_PROVIDER: "openai", OPENAI_MODEL: "m", OPENAI_BASE_URL: "localhost:11434" }, [
      "OPENAI_BASE_URL must be an http(s) URL such as http://localhost:11434/v1",
    ]);
    rejects({ OPENAI_MODEL: "bad model!" }, [
      'OPENAI_MODEL must be a model name such as gpt-4o-mini, got "bad model!"',
    ]);
    rejects({ LLM_TIMEOUT_MS: "10s" }, [
      'LLM_TIMEOUT_MS must be a whole number of milliseconds between 1000 and 300000, got "10s"',
    ]);
  });

  it("METRICS_TOKEN, without echoing it", () => {
    rejects({ METRICS_TOKEN: "metrics-secret" }, [
      "METRICS_TOKEN is too short: use at least 16 random characters (e.g. `openssl rand -hex 32`)",
    ]);
  });

  it("LOG_MAX_BYTES, WORKER_CONCURRENCY, WORKER_MODE, PER_INSTALLATION_CONCURRENCY, DAILY_TOKEN_BUDGET, RETENTION_DAYS, SHUTDOWN_DEADLINE_MS, APP_SLUG", () => {
    rejects({ LOG_MAX_BYTES: "20MB" }, [
      'LOG_MAX_BYTES must be a whole number of bytes between 65536 and 1073741824, got "20MB"',
    ]);
    rejects({ WORKER_CONCURRENCY: "0" }, ['WORKER_CONCURRENCY must be a whole number between 1 and 32, got "0"']);
    rejects({ WORKER_MODE: "cluster" }, ['WORKER_MODE must be one of thread, in-process, got "cluster"']);
    rejects({ PER_INSTALLATION_CONCURRENCY: "-1" }, [
      'PER_INSTALLATION_CONCURRENCY must be a whole number between 1 and 32, got "-1"',
    ]);
    rejects({ DAILY_TOKEN_BUDGET: "1e6" }, [
      'DAILY_TOKEN_BUDGET must be a whole number between 0 and 1000000000, got "1e6"',
    ]);
    rejects({ RETENTION_DAYS: "forever" }, [
      'RETENTION_DAYS must be a whole number of days between 1 and 3650, got "forever"',
    ]);
    rejects({ SHUTDOWN_DEADLINE_MS: "2.5" }, [
      'SHUTDOWN_DEADLINE_MS must be a whole number of milliseconds between 0 and 600000, got "2.5"',
    ]);
    rejects({ APP_SLUG: "CI Medic" }, [
      'APP_SLUG must be the App\'s URL slug (lower-case letters, digits and dashes), got "CI Medic"',
    ]);
  });

  it("reports every problem at once", () => {
    const errors = errorsOf(validateEnv({ APP_ID: "x", PORT: "0", LOG_LEVEL: "loud" }));
    expect(errors.map((e) => e.split(" ")[0])).toEqual([
      "APP_ID",
      "PRIVATE_KEY",
      "WEBHOOK_SECRET",
      "LOG_LEVEL",
      "PORT",
    ]);
  });
});

describe("readDotEnv", () => {
  it("reads .env from the working directory as Probot will, and nothing when there is none", () => {
    const envDir = fs.mkdtempSync(path.join(dir, "dotenv-"));
    expect(readDotEnv(envDir)).toEqual({});
    fs.writeFileSync(
      path.join(envDir, ".env"),
      'APP_ID=42\nPRIVATE_KEY="-----BEGIN RSA PRIVATE KEY-----\\nabc\\n-----END RSA PRIVATE KEY-----"\n',
    );
    expect(readDotEnv(envDir)).toEqual({
      APP_ID: "42",
      PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----",
    });
    // The format Probot's manifest flow writes: the PEM with real newlines inside double quotes.
    fs.writeFileSync(path.join(envDir, ".env"), `APP_ID=7\nPRIVATE_KEY="${PKCS1.trim()}"\nWEBHOOK_SECRET=${SECRET}\n`);
    const result = validateEnv(readDotEnv(envDir));
    expect(result.ok && result.value.appId).toBe(7);
  });
});

describe(".env.example", () => {
  const exampleText = fs.readFileSync(path.resolve(".env.example"), "utf8");
  const example = parseEnv(exampleText) as Record<string, string>;

  it("is accepted as it is (setup mode)", () => {
    const result = validateEnv(example);
    expect(result.ok && result.value.setupMode).toBe(true);
  });

  it("names every variable start-up validation reads (NODE_ENV included)", () => {
    const read = new Set<string>();
    const spy = new Proxy({} as Record<string, string | undefined>, {
      get: (_t, key) => {
        if (typeof key === "string") read.add(key);
        return undefined;
      },
    });
    validateEnv(spy);
    validateEnv(
      new Proxy({ APP_ID: "1", LLM_PROVIDER: "openai" } as Record<string, string | undefined>, {
        get: (t, key) => (typeof key === "string" && read.add(key), t[key as string]),
      }),
    );
    const named = new Set([...exampleText.matchAll(/^(?:# )?([A-Z_]+)=$/gm)].map((m) => m[1]));
    expect([...read].filter((name) => !named.has(name))).toEqual([]);
  });
});

describe("the environment the server runs with", () => {
  it("the process environment wins over .env, which fills only the gaps", () => {
    const merged = effectiveEnv(
      { PORT: "3100", LOG_LEVEL: undefined },
      { PORT: "3105", DATABASE_URL: "file:./x.db", LOG_LEVEL: "debug" },
    );
    expect([merged.PORT, merged.DATABASE_URL, merged.LOG_LEVEL]).toEqual(["3100", "file:./x.db", "debug"]);
  });

  it("matching quotes around a value (what docker run --env-file keeps) are removed, so a quoted key is accepted", () => {
    const merged = effectiveEnv(
      { PRIVATE_KEY: `"${PKCS1.trim()}"`, WEBHOOK_SECRET: `'${SECRET}'`, APP_ID: "12345" },
      {},
    );
    expect(merged.PRIVATE_KEY).toBe(PKCS1.trim());
    expect(merged.WEBHOOK_SECRET).toBe(SECRET);
    expect(validateEnv(merged).ok).toBe(true);
    // Unmatched quotes are part of the value.
    expect(effectiveEnv({ APP_SLUG: `"ci-medic` }, {}).APP_SLUG).toBe(`"ci-medic`);
  });

  it("a relative DATABASE_URL is resolved once, against the working directory, keeping its query", () => {
    const result = validateEnv({ DATABASE_URL: "file:./db/ci.db?connection_limit=1" }, { cwd: dir });
    expect(result.ok && result.value.databaseUrl).toBe(`file:${path.join(dir, "db", "ci.db")}?connection_limit=1`);
  });

  it("a database path through a file, or a folder this user cannot write, names the path", () => {
    const file = path.join(dir, "not-a-folder");
    fs.writeFileSync(file, "");
    rejects({ DATABASE_URL: `file:${file}/ci.db` }, [
      `DATABASE_URL: the database path ${file}/ci.db goes through ${file}, which is not a folder`,
    ]);
  });

  it("HOST must be a host name or an IP address", () => {
    for (const host of ["0.0.0.0", "127.0.0.1", "::", "::1", "localhost", "ci-medic.internal"])
      expect(validateEnv({ HOST: host }).ok).toBe(true);
    rejects({ HOST: "http://0.0.0.0:3000" }, [
      'HOST must be a host name or an IP address to listen on, such as 127.0.0.1 or 0.0.0.0, got "http://0.0.0.0:3000"',
    ]);
  });
});
