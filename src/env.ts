import { createPrivateKey } from "node:crypto";
import fs from "node:fs";
import { isIP } from "node:net";
import path from "node:path";
import { parseEnv } from "node:util";
import { ENV_NAMES, ENV_SCHEMA, type EnvName, envMeta, type LOG_LEVELS } from "./env-schema.js";
import { DEFAULT_SETTINGS, type Settings } from "./runtime.js";

// Start-up validation of the operator's environment: every problem is reported at once, one line per variable, and
// no message ever contains the value of a secret (keys, secrets, tokens, URLs that may carry credentials).

/** Same default as src/db/client.ts (not imported: this module must load without Prisma). */
const DEFAULT_DATABASE_URL = "file:./data/ci-medic.db";
export const DEFAULT_GEMINI_MODEL = "gemini-2.5-flash";
export const DEFAULT_LLM_TIMEOUT_MS = 60_000;

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AppEnv {
  /** Undefined: Probot's manifest flow registers a new App (setup mode). */
  appId?: number;
  setupMode: boolean;
  /** Which variable holds the private key; the key itself stays in the environment for Probot. */
  privateKeySource?: "PRIVATE_KEY" | "PRIVATE_KEY_PATH";
  databaseUrl: string;
  logLevel: LogLevel;
  logFormat: "json" | "pretty";
  port: number;
  llm: {
    provider: "gemini" | "openai" | "none";
    geminiModel: string;
    openaiBaseUrl?: string;
    openaiModel?: string;
    timeoutMs: number;
  };
  metricsToken?: string;
  gheHost?: string;
  gheProtocol: "http" | "https";
  /** `thread` (default): jobs run in a worker thread of their own; `in-process`: beside the webhook server. */
  workerMode: "thread" | "in-process";
  settings: Settings;
}

export type EnvResult = { ok: true; value: AppEnv; settings: Settings } | { ok: false; errors: string[] };

type Env = Record<string, string | undefined>;

/** `.env` in `cwd` (not applied: see `effectiveEnv`). */
export function readDotEnv(cwd: string = process.cwd()): Record<string, string> {
  try {
    return parseEnv(fs.readFileSync(path.join(cwd, ".env"), "utf8")) as Record<string, string>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
}

/**
 * The environment ci-medic runs with: the process environment wins and `.env` only fills gaps (the convention of
 * dotenv, Docker and systemd). Matching quotes around one of ci-medic's values are removed: `docker run --env-file`
 * and systemd's `Environment=` keep them, and a quoted key or secret would fail every job instead of the start.
 */
export function effectiveEnv(processEnv: Env, dotEnv: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = { ...dotEnv };
  for (const [name, value] of Object.entries(processEnv)) if (value !== undefined) merged[name] = value;
  for (const name of ENV_NAMES) {
    const value = merged[name]?.trim();
    const quoted = value !== undefined && /^(["'])[\s\S]*\1$/.test(value) && value.length >= 2;
    if (quoted) merged[name] = value.slice(1, -1);
  }
  return merged;
}

export function validateEnv(env: Env = process.env, opts: { cwd?: string } = {}): EnvResult {
  const errors: string[] = [];
  const cwd = opts.cwd ?? process.cwd();
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined; // `NAME=` in a copied .env.example means "not set"
  };
  const shown = (value: string) => JSON.stringify(value.length > 40 ? `${value.slice(0, 39)}…` : value);

  // Ranges and allowed values live in the schema (env-schema.ts), which also documents them.
  function integer(name: EnvName, fallback: number): number {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const parsed = ENV_SCHEMA.shape[name].safeParse(raw);
    if (parsed.success && typeof parsed.data === "number") return parsed.data;
    const { min, max, unit = "" } = envMeta(name).range ?? { min: 0, max: 0 };
    errors.push(`${name} must be a whole number${unit} between ${min} and ${max}, got ${shown(raw)}`);
    return fallback;
  }
  function oneOf<T extends string>(name: EnvName, fallback: T): T {
    const raw = get(name);
    if (raw === undefined) return fallback;
    if (ENV_SCHEMA.shape[name].safeParse(raw).success) return raw as T;
    errors.push(`${name} must be one of ${(envMeta(name).values ?? []).join(", ")}, got ${shown(raw)}`);
    return fallback;
  }

  // --- GitHub App identity -------------------------------------------------------------------------------------
  const production = get("NODE_ENV") === "production";
  const rawAppId = get("APP_ID");
  const privateKey = get("PRIVATE_KEY");
  const privateKeyPath = get("PRIVATE_KEY_PATH");
  let appId: number | undefined;
  if (rawAppId !== undefined) {
    if (/^\d{1,12}$/.test(rawAppId) && Number(rawAppId) > 0) appId = Number(rawAppId);
    else
      errors.push(
        `APP_ID must be the GitHub App's numeric id (App settings → General → App ID), got ${shown(rawAppId)}`,
      );
  } else if (production) {
    errors.push(
      "APP_ID is required when NODE_ENV=production: register the App once with `npm start` (manifest flow) and copy APP_ID, PRIVATE_KEY and WEBHOOK_SECRET from the .env it writes",
    );
  } else if (privateKey !== undefined || privateKeyPath !== undefined) {
    errors.push(
      "APP_ID is missing while a private key is set: set APP_ID to the App's id, or remove PRIVATE_KEY/PRIVATE_KEY_PATH to register a new App through the manifest flow",
    );
  }

  let privateKeySource: AppEnv["privateKeySource"];
  if (rawAppId !== undefined) {
    if (privateKey !== undefined) {
      privateKeySource = "PRIVATE_KEY";
      const problem = pemProblem(normalizePem(privateKey));
      if (problem) errors.push(`PRIVATE_KEY ${problem}`);
    } else if (privateKeyPath !== undefined) {
      privateKeySource = "PRIVATE_KEY_PATH";
      const file = path.resolve(cwd, privateKeyPath);
      let text: string | undefined;
      try {
        text = fs.readFileSync(file, "utf8");
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        errors.push(
          `PRIVATE_KEY_PATH points to ${code === "ENOENT" ? "a file that does not exist" : `a file that cannot be read (${code ?? "error"})`}: ${privateKeyPath}`,
        );
      }
      if (text !== undefined) {
        const problem = pemProblem(text);
        if (problem) errors.push(`PRIVATE_KEY_PATH: the file ${problem}`);
      }
    } else {
      errors.push(
        "PRIVATE_KEY or PRIVATE_KEY_PATH is required when APP_ID is set: the App's private key (.pem) from its settings page",
      );
    }
    if (get("WEBHOOK_SECRET") === undefined) {
      errors.push(
        "WEBHOOK_SECRET is required when APP_ID is set: the webhook secret from the App's settings (without it every delivery would be rejected or unverified)",
      );
    }
  }

  // --- Storage and server ---------------------------------------------------------------------------------------
  let databaseUrl = get("DATABASE_URL") ?? DEFAULT_DATABASE_URL;
  const postgres = /^postgres(ql)?:\/\/./i.test(databaseUrl);
  if (!/^file:./.test(databaseUrl) && !postgres) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(databaseUrl)?.[1];
    errors.push(
      `DATABASE_URL must be a SQLite file: URL such as ${DEFAULT_DATABASE_URL} or a postgresql:// URL${scheme ? ` (got a "${scheme}:" URL)` : ""}`,
    );
  } else if (!postgres) {
    databaseUrl = absoluteDatabaseUrl(databaseUrl, cwd);
    const problem = databaseFolderProblem(databaseFile(databaseUrl));
    if (problem) errors.push(`DATABASE_URL: ${problem}`);
  }
  const logLevel = oneOf<LogLevel>("LOG_LEVEL", "info");
  const logFormat = oneOf<"json" | "pretty">("LOG_FORMAT", production ? "json" : "pretty");
  const port = integer("PORT", 3000);
  const host = get("HOST");
  if (host !== undefined && !isHost(host))
    errors.push(
      `HOST must be a host name or an IP address to listen on, such as 127.0.0.1 or 0.0.0.0, got ${shown(host)}`,
    );
  const webhookProxy = get("WEBHOOK_PROXY_URL");
  if (webhookProxy !== undefined && !isUrl(webhookProxy, ["https:", "http:"]))
    errors.push("WEBHOOK_PROXY_URL must be an http(s) URL such as https://smee.io/<channel>");
  const webhookPath = get("WEBHOOK_PATH");
  if (webhookPath !== undefined && !webhookPath.startsWith("/"))
    errors.push(`WEBHOOK_PATH must start with "/", got ${shown(webhookPath)}`);

  // --- GitHub Enterprise Server ---------------------------------------------------------------------------------
  const gheHost = get("GHE_HOST");
  if (
    gheHost !== undefined &&
    !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/i.test(gheHost)
  ) {
    errors.push(`GHE_HOST must be a host name such as github.example.com (no scheme, no path), got ${shown(gheHost)}`);
  }
  const gheProtocol = oneOf<"https" | "http">("GHE_PROTOCOL", "https");
  if (get("GHE_PROTOCOL") !== undefined && gheHost === undefined)
    errors.push("GHE_PROTOCOL is set but GHE_HOST is not: set both, or neither for github.com");

  // --- LLM ------------------------------------------------------------------------------------------------------
  const geminiKey = get("GEMINI_API_KEY");
  // Same rules as src/diagnosis/llm/from-env.ts, which builds the provider; here they are all reported at once.
  // Without LLM_PROVIDER, a Gemini key selects Gemini and no key means the deterministic diagnosis only.
  const explicitProvider = oneOf<"gemini" | "openai">("LLM_PROVIDER", "gemini");
  const modelName = /^[A-Za-z0-9][\w.:/-]{0,99}$/;
  const geminiModel = get("GEMINI_MODEL") ?? DEFAULT_GEMINI_MODEL;
  if (!modelName.test(geminiModel))
    errors.push(`GEMINI_MODEL must be a model name such as ${DEFAULT_GEMINI_MODEL}, got ${shown(geminiModel)}`);
  if (get("LLM_PROVIDER") === "gemini" && !geminiKey)
    errors.push("GEMINI_API_KEY is required when LLM_PROVIDER=gemini (or unset LLM_PROVIDER to run without a model)");
  const openaiBaseUrl = get("OPENAI_BASE_URL");
  const openaiModel = get("OPENAI_MODEL");
  if (openaiBaseUrl !== undefined) {
    if (!isUrl(openaiBaseUrl, ["https:", "http:"]))
      errors.push("OPENAI_BASE_URL must be an http(s) URL such as http://localhost:11434/v1");
    else if (/^[a-z]+:\/\/[^/]*@/i.test(openaiBaseUrl))
      errors.push("OPENAI_BASE_URL must not contain credentials: put the key in OPENAI_API_KEY");
  }
  if (openaiModel !== undefined && !modelName.test(openaiModel))
    errors.push(`OPENAI_MODEL must be a model name such as gpt-4o-mini, got ${shown(openaiModel)}`);
  // Local servers (llama.cpp, Ollama, vLLM) take no key; the public API does.
  if (explicitProvider === "openai" && !get("OPENAI_API_KEY") && openaiBaseUrl === undefined) {
    errors.push("OPENAI_API_KEY is required when LLM_PROVIDER=openai and OPENAI_BASE_URL is not set");
  }
  const provider: AppEnv["llm"]["provider"] = explicitProvider === "openai" ? "openai" : geminiKey ? "gemini" : "none";
  const timeoutMs = integer("LLM_TIMEOUT_MS", DEFAULT_LLM_TIMEOUT_MS);

  // --- Operations -----------------------------------------------------------------------------------------------
  const metricsToken = get("METRICS_TOKEN");
  if (metricsToken !== undefined && metricsToken.length < 16)
    errors.push("METRICS_TOKEN is too short: use at least 16 random characters (e.g. `openssl rand -hex 32`)");
  const appSlug = get("APP_SLUG");
  if (appSlug !== undefined && !/^[a-z0-9][a-z0-9-]{0,33}$/.test(appSlug))
    errors.push(`APP_SLUG must be the App's URL slug (lower-case letters, digits and dashes), got ${shown(appSlug)}`);
  const workerMode = oneOf<"thread" | "in-process">("WORKER_MODE", "thread");
  const settings: Settings = {
    logMaxBytes: integer("LOG_MAX_BYTES", DEFAULT_SETTINGS.logMaxBytes),
    workerConcurrency: integer("WORKER_CONCURRENCY", DEFAULT_SETTINGS.workerConcurrency),
    perInstallationConcurrency: integer("PER_INSTALLATION_CONCURRENCY", DEFAULT_SETTINGS.perInstallationConcurrency),
    dailyTokenBudget: integer("DAILY_TOKEN_BUDGET", DEFAULT_SETTINGS.dailyTokenBudget),
    retentionDays: integer("RETENTION_DAYS", DEFAULT_SETTINGS.retentionDays),
    shutdownDeadlineMs: integer("SHUTDOWN_DEADLINE_MS", DEFAULT_SETTINGS.shutdownDeadlineMs),
    jobLeaseMs: integer("JOB_LEASE_SECONDS", DEFAULT_SETTINGS.jobLeaseMs / 1000) * 1000,
    ...(appSlug !== undefined ? { appSlug } : {}),
  };

  if (errors.length > 0) return { ok: false, errors };
  const value: AppEnv = {
    ...(appId !== undefined ? { appId } : {}),
    setupMode: appId === undefined,
    ...(privateKeySource ? { privateKeySource } : {}),
    databaseUrl,
    logLevel,
    logFormat,
    port,
    llm: {
      provider,
      geminiModel,
      ...(openaiBaseUrl !== undefined ? { openaiBaseUrl } : {}),
      ...(openaiModel !== undefined ? { openaiModel } : {}),
      timeoutMs,
    },
    ...(metricsToken !== undefined ? { metricsToken } : {}),
    ...(gheHost !== undefined ? { gheHost } : {}),
    gheProtocol,
    workerMode,
    settings,
  };
  return { ok: true, value, settings };
}

/** `file:./x.db?opts` → `file:/abs/x.db?opts`, against `cwd`: the migration step and the app then open one file. */
export function absoluteDatabaseUrl(url: string, cwd: string): string {
  const rest = url.slice("file:".length);
  const query = rest.indexOf("?");
  const file = query === -1 ? rest : rest.slice(0, query);
  return `file:${path.resolve(cwd, file)}${query === -1 ? "" : rest.slice(query)}`;
}

function databaseFile(absoluteUrl: string): string {
  return absoluteUrl.slice("file:".length).split("?")[0] ?? "";
}

/**
 * Why the SQLite file cannot be created or written, or undefined. SQLite itself only says "unable to open database
 * file" (or, through Prisma's adapter, "External error id#0"); this names the path and the permission.
 */
function databaseFolderProblem(file: string): string | undefined {
  const user = typeof process.getuid === "function" ? `, this process runs as uid ${process.getuid()}` : "";
  // The file, else its folder, else the nearest folder that exists (the folder is created at start-up).
  let target = file;
  while (!fs.existsSync(target)) {
    const parent = path.dirname(target);
    if (parent === target) break;
    target = parent;
  }
  const what = target === file ? "file" : target === path.dirname(file) ? "folder" : "parent folder";
  try {
    if (target !== file && !fs.statSync(target).isDirectory())
      return `the database path ${file} goes through ${target}, which is not a folder`;
    fs.accessSync(target, fs.constants.W_OK | fs.constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    return `the database ${what} ${target} is not writable (${code}${user}): give this user write permission to it, or choose another DATABASE_URL`;
  }
}

/** A host name (RFC 1123 labels) or an IPv4/IPv6 address. */
function isHost(value: string): boolean {
  if (isIP(value) !== 0) return true;
  return /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(value);
}

/** As Probot's get-private-key accepts it: raw PEM, PEM with `\n` escapes (one-line .env), or base64 of the PEM. */
export function normalizePem(value: string): string {
  let text = value.trim();
  if (!text.includes("-----") && /^[A-Za-z0-9+/=\s]+$/.test(text)) text = Buffer.from(text, "base64").toString("utf8");
  return text.replace(/\\n/g, "\n");
}

const PEM = /-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END \1PRIVATE KEY-----/;

/** Why this is not a usable private key, or undefined. Never quotes the key. */
function pemProblem(text: string): string | undefined {
  const match = PEM.exec(text);
  if (!match)
    return "is not a PEM private key: expected the whole .pem file GitHub generated, from -----BEGIN RSA PRIVATE KEY----- (or -----BEGIN PRIVATE KEY-----) to its END line; newlines may be written as \\n";
  try {
    let pem = match[0];
    // One-line keys lose their newlines; put them back around the markers as Probot does.
    if (!pem.includes("\n"))
      pem = pem.replace(
        /(-----BEGIN [A-Z ]+-----)(.*)(-----END [A-Z ]+-----)/,
        (_m, b: string, body: string, e: string) => `${b}\n${body.replace(/\s+/g, "\n")}\n${e}`,
      );
    createPrivateKey(pem);
    return undefined;
  } catch {
    return "has PEM markers but is not a valid private key (truncated or altered?)";
  }
}

function isUrl(value: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
