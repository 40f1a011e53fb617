import { z } from "zod";
import { MAX_LLM_TIMEOUT_MS } from "./diagnosis/llm/from-env.js";

// Every environment variable ci-medic reads, once: its check (the zod schema of one raw value), its default and what it
// means. Start-up validation (env.ts) checks each value against it; the README's table and .env.example are generated
// from it (`npm run docs:env`, src/env-docs.ts) and a test fails when they differ.

export type EnvSection = "GitHub App" | "Server" | "LLM" | "Operations";

export interface EnvMeta {
  section: EnvSection;
  /** The default as the documentation shows it; undefined: none. */
  default?: string;
  /** What the variable means (README table, .env.example comment). */
  doc: string;
  /** Whole numbers: the accepted range and unit, for the message and the documentation. */
  range?: { min: number; max: number; unit?: string };
  /** Allowed values, for the message. */
  values?: readonly string[];
  /** Left uncommented (and empty) in .env.example: what every installation fills in. */
  fillIn?: boolean;
}

const text = (meta: EnvMeta) => z.string().meta({ ...meta });
const oneOf = <T extends string>(values: readonly [T, ...T[]], meta: Omit<EnvMeta, "values">) =>
  z.enum(values).meta({ ...meta, values });
const wholeNumber = (min: number, max: number, meta: Omit<EnvMeta, "range">, unit?: string) =>
  z
    .string()
    .regex(/^\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .meta({ ...meta, range: { min, max, ...(unit ? { unit } : {}) } });

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

export const ENV_SCHEMA = z.object({
  APP_ID: text({
    section: "GitHub App",
    fillIn: true,
    default: "(manifest flow)",
    doc: "The App's numeric id (App settings → General → App ID). Leave it unset only to register a new App through the manifest flow. Required when `NODE_ENV=production`.",
  }),
  PRIVATE_KEY: text({
    section: "GitHub App",
    fillIn: true,
    doc: "The App's private key: the whole PEM (`-----BEGIN RSA PRIVATE KEY-----` or `-----BEGIN PRIVATE KEY-----`), possibly on one line with `\\n` escapes, base64-encoded, or in matching quotes. Parsed at start-up. Required with `APP_ID` unless `PRIVATE_KEY_PATH` is set.",
  }),
  PRIVATE_KEY_PATH: text({
    section: "GitHub App",
    doc: "Path to the App's `.pem` file instead of `PRIVATE_KEY` (relative to the working directory).",
  }),
  WEBHOOK_SECRET: text({
    section: "GitHub App",
    fillIn: true,
    doc: "The webhook secret from the App's settings. Required with `APP_ID`.",
  }),
  WEBHOOK_PROXY_URL: text({
    section: "GitHub App",
    doc: "Development only: a `https://smee.io/<channel>` URL that forwards GitHub's webhooks to this machine.",
  }),
  WEBHOOK_PATH: text({
    section: "GitHub App",
    default: "`/api/github/webhooks`",
    doc: "Where webhooks are received (starts with `/`).",
  }),
  APP_SLUG: text({
    section: "GitHub App",
    default: "(asked from GitHub)",
    doc: "The App's slug, so that its own runs are recognised without an API call.",
  }),
  GHE_HOST: text({
    section: "GitHub App",
    default: "github.com",
    doc: "GitHub Enterprise Server host name (no scheme, no path).",
  }),
  GHE_PROTOCOL: oneOf(["https", "http"], {
    section: "GitHub App",
    default: "`https`",
    doc: "GitHub Enterprise Server protocol: `https` or `http`. Only with `GHE_HOST`.",
  }),
  NODE_ENV: text({
    section: "Server",
    default: "(development)",
    doc: "`production` requires `APP_ID` (no manifest flow) and makes `LOG_FORMAT` default to `json`. The Docker image sets it.",
  }),
  PORT: wholeNumber(1, 65535, { section: "Server", default: "`3000`", doc: "HTTP port (1 to 65535)." }),
  HOST: text({
    section: "Server",
    default: "`localhost`",
    doc: "Interface the HTTP server listens on: a host name or an IP address. `0.0.0.0` in a container (the image sets it).",
  }),
  LOG_LEVEL: oneOf(LOG_LEVELS, {
    section: "Server",
    default: "`info`",
    doc: "`trace`, `debug`, `info`, `warn`, `error` or `fatal`.",
  }),
  LOG_FORMAT: oneOf(["json", "pretty"], {
    section: "Server",
    default: "`pretty` (`json` in production)",
    doc: "Probot's pino output: `pretty` for a terminal, `json` for a log collector.",
  }),
  DATABASE_URL: text({
    section: "Server",
    default: "`file:./data/ci-medic.db`",
    doc: "SQLite file (`file:`): a relative path is resolved once, against the working directory at start-up; the folder must be writable; the file is created and migrated at start-up. Or a PostgreSQL database, `postgresql://user:password@host:5432/ci_medic`, migrated at start-up, for [more than one replica](#running-more-than-one-replica).",
  }),
  REDIS_URL: text({
    section: "Server",
    doc: "`redis://host:6379`: Probot keeps its GitHub request throttling there, shared by every replica (see [Running more than one replica](#running-more-than-one-replica)).",
  }),
  LLM_PROVIDER: oneOf(["gemini", "openai"], {
    section: "LLM",
    default: "`gemini` if `GEMINI_API_KEY` is set, otherwise none",
    doc: "`gemini` or `openai` (any OpenAI-compatible API). Without a provider ci-medic posts its rule-based diagnosis.",
  }),
  GEMINI_API_KEY: text({
    section: "LLM",
    doc: "Google AI Studio key (sent in a request header, never in a URL).",
  }),
  GEMINI_MODEL: text({
    section: "LLM",
    default: "`gemini-2.5-flash`",
    doc: "Gemini model. A repository can choose another with `llm.model`.",
  }),
  OPENAI_API_KEY: text({
    section: "LLM",
    doc: "Key of the OpenAI-compatible provider. A local server (llama.cpp, Ollama, vLLM) given as `OPENAI_BASE_URL` needs none.",
  }),
  OPENAI_BASE_URL: text({
    section: "LLM",
    default: "`https://api.openai.com/v1`",
    doc: "Base URL of the OpenAI-compatible API, e.g. `http://localhost:11434/v1` for Ollama. Never put credentials in the URL.",
  }),
  OPENAI_MODEL: text({ section: "LLM", default: "`gpt-4o-mini`", doc: "OpenAI-compatible model." }),
  LLM_TIMEOUT_MS: wholeNumber(
    1000,
    MAX_LLM_TIMEOUT_MS,
    {
      section: "LLM",
      default: "`60000`",
      doc: "Longest time one LLM call may take, in milliseconds (1000 to 300000).",
    },
    " of milliseconds",
  ),
  DAILY_TOKEN_BUDGET: wholeNumber(0, 1_000_000_000, {
    section: "LLM",
    default: "`2000000`",
    doc: "LLM tokens per installation per UTC day (0 to 1000000000), of diagnoses and fix proposals (`/approve`, the button, follow-up attempts) together, every answer of the model counted. Past it, until 00:00 UTC, diagnoses are rule-based and no fix is proposed (the reply says so). The per-repository call limit is in the config file.",
  }),
  LOG_MAX_BYTES: wholeNumber(
    65_536,
    1_073_741_824,
    {
      section: "Operations",
      default: "`20971520` (20 MB)",
      doc: "Most bytes of one job log held in memory (65536 to 1073741824). ci-medic keeps the tail and says that the log was cut.",
    },
    " of bytes",
  ),
  WORKER_CONCURRENCY: wholeNumber(1, 32, {
    section: "Operations",
    default: "`2`",
    doc: "Jobs run at once (1 to 32).",
  }),
  PER_INSTALLATION_CONCURRENCY: wholeNumber(1, 32, {
    section: "Operations",
    default: "`1`",
    doc: "Jobs run at once for one installation (1 to 32).",
  }),
  WORKER_MODE: oneOf(["thread", "in-process"], {
    section: "Operations",
    default: "`thread`",
    doc: "`thread`: jobs run in a worker thread of their own (see Operations). `in-process`: jobs share the thread that acknowledges webhooks, and new jobs wait while its event loop is slow; for debugging.",
  }),
  RETENTION_DAYS: wholeNumber(
    1,
    3650,
    {
      section: "Operations",
      default: "`30`",
      doc: "Days to keep finished jobs (each holds its webhook delivery and payload), log excerpts and the repository files a proposed fix holds (1 to 3650). Diagnoses are kept, to recognise a known failure, and they hold some log text: a rule-based one quotes up to five redacted error lines and the located errors, and a model's may quote the log. The model's explanations of proposed fixes are kept too.",
    },
    " of days",
  ),
  SHUTDOWN_DEADLINE_MS: wholeNumber(
    0,
    600_000,
    {
      section: "Operations",
      default: "`25000`",
      doc: "How long SIGTERM waits for running jobs before putting them back in the queue, in milliseconds (0 to 600000).",
    },
    " of milliseconds",
  ),
  JOB_LEASE_SECONDS: wholeNumber(
    2,
    600,
    {
      section: "Operations",
      default: "`60`",
      doc: "A running job's lease, renewed while it runs, in seconds (2 to 600). A job whose process died runs again, on any replica, once its lease is out.",
    },
    " of seconds",
  ),
  METRICS_TOKEN: text({
    section: "Operations",
    doc: "When set (16 or more characters, e.g. `openssl rand -hex 32`), `GET /metrics` requires `Authorization: Bearer <token>`. Set it whenever the port is reachable from anywhere but this machine.",
  }),
});

export type EnvName = keyof typeof ENV_SCHEMA.shape;
export const ENV_NAMES = Object.keys(ENV_SCHEMA.shape) as EnvName[];

export function envMeta(name: EnvName): EnvMeta {
  const meta = ENV_SCHEMA.shape[name].meta() as EnvMeta | undefined;
  if (!meta) throw new Error(`${name} has no documentation in the environment schema`);
  return meta;
}
