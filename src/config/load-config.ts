import type { z } from "zod";
import { statusOf } from "../github/errors.js";
import { sanitizeInstructions } from "./sanitize-instructions.js";
import { configSchema, DEFAULT_CONFIG, INSTRUCTIONS_MAX_CHARS, type RepoConfig } from "./schema.js";

/** Read as `.github/ci-medic.yml` by Probot. */
export const CONFIG_FILE = "ci-medic.yml";
const SHOWN_PATH = `.github/${CONFIG_FILE}`;
const MAX_MESSAGES = 20;

export interface LoadedConfig {
  config: RepoConfig;
  /** One line per problem, for the check run summary and the log; empty when the file is fine or absent. */
  errors: string[];
  /** GitHub could not be asked (5xx, 403...) or the file could not be parsed: `config` is the defaults. */
  unreadable: boolean;
}

type Configuration = Record<string, unknown>;

/** The part of Probot's webhook Context used here, written out so that this folder does not import Probot. */
export interface ConfigContext {
  repo(): { owner: string; repo: string };
  octokit: {
    config: {
      get(params: {
        owner: string;
        repo: string;
        path: string;
        defaults: (configs: Configuration[]) => Configuration;
      }): Promise<{ config: Configuration; files: { owner: string; repo: string; config: Configuration | null }[] }>;
    };
  };
  log: { warn(obj: object, msg: string): void };
}

/**
 * The repository's configuration. Probot's `context.config()` reads `.github/ci-medic.yml` from the repository's
 * DEFAULT branch (it passes no ref), falling back to the organisation's `.github` repository and following `_extends`;
 * a pull request that adds or loosens the file therefore changes nothing until it is merged.
 * Never throws: a bad or unreadable file means defaults plus messages.
 */
export async function loadRepoConfig(context: ConfigContext): Promise<LoadedConfig> {
  let raw: unknown;
  try {
    // What Probot's context.config() does, keeping the list of files read: each must belong to the repository's owner.
    const owner = String(context.repo().owner);
    const { config, files } = await context.octokit.config.get({
      ...context.repo(),
      path: SHOWN_PATH,
      defaults: (configs) => configs.reduceRight(mergeConfig, {}),
    });
    const foreign = files.find((f) => f.owner.toLowerCase() !== owner.toLowerCase());
    if (foreign) {
      const message = `_extends: ${foreign.owner}/${foreign.repo} belongs to another owner; only repositories of ${owner} can be extended; using the default configuration`;
      context.log.warn({ extended: `${foreign.owner}/${foreign.repo}` }, `config: ${message}`);
      return { config: DEFAULT_CONFIG, errors: [message], unreadable: true };
    }
    raw = files.some((f) => f.config !== null) ? config : null;
  } catch (error) {
    const message = readFailure(error);
    context.log.warn({ status: statusOf(error) }, `config: ${message}`);
    return { config: DEFAULT_CONFIG, errors: [message], unreadable: true };
  }
  const result = validateRepoConfig(raw);
  if (result.errors.length > 0)
    context.log.warn(
      { configErrors: result.errors },
      `config: ${SHOWN_PATH} has problems; defaults are used for those settings`,
    );
  return { ...result, unreadable: false };
}

/**
 * Validates an already-read configuration object. Invalid settings fall back to their defaults ONE BY ONE rather
 * than the whole file: a typo in `output.prComment` must not silently drop the same file's `fix.deniedPaths` or
 * `approval.allowList`, which are the settings that restrict what ci-medic may do.
 */
export function validateRepoConfig(raw: unknown): { config: RepoConfig; errors: string[] } {
  let input: unknown = raw === null || raw === undefined ? {} : structuredClone(raw);
  const errors: string[] = [];
  let config: RepoConfig | undefined;
  for (let round = 0; round < 3 && config === undefined; round++) {
    const parsed = configSchema.safeParse(input);
    if (parsed.success) {
      config = parsed.data;
      break;
    }
    for (const issue of parsed.error.issues) {
      for (const { path, message } of describeIssue(issue, input)) {
        errors.push(message);
        if (path.length === 0) input = {};
        else dropPath(input, path);
      }
    }
  }
  if (config === undefined) {
    errors.push(`${SHOWN_PATH}: could not be validated; using the default configuration`);
    config = DEFAULT_CONFIG;
  }

  const instructions = sanitizeInstructions(config.llm.instructions);
  if (instructions.cut)
    errors.push(`llm.instructions: longer than ${INSTRUCTIONS_MAX_CHARS} characters, the rest is ignored`);
  config = { ...config, llm: { ...config.llm, instructions: instructions.text } };

  const unique = [...new Set(errors)];
  if (unique.length > MAX_MESSAGES)
    unique.splice(MAX_MESSAGES, unique.length, `... and ${unique.length - MAX_MESSAGES} more problems`);
  return { config, errors: unique };
}

/**
 * `over` merged onto `base`: mappings merge key by key, anything else (lists included) replaces. A list in the
 * repository's file replaces the organisation's list rather than being appended to it, so a repository can narrow
 * `workflows.include` that its organisation set.
 */
function mergeConfig(over: Configuration, base: Configuration): Configuration {
  const out: Configuration = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isMapping(value) && isMapping(prev) ? mergeConfig(value, prev) : value;
  }
  return out;
}

function isMapping(value: unknown): value is Configuration {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

type Segment = string | number;

function describeIssue(issue: z.core.$ZodIssue, input: unknown): { path: Segment[]; message: string }[] {
  const at = issue.path.filter((s): s is Segment => typeof s !== "symbol");
  if (issue.code === "unrecognized_keys") {
    const known = knownKeys(at);
    return issue.keys.map((key) => ({
      path: [...at, key],
      message: `${formatPath([...at, key])}: unknown setting${known.length ? ` (expected one of: ${known.join(", ")})` : ""}`,
    }));
  }
  // An invalid list element invalidates the whole list: half a deny-list is worse than a visible default.
  const firstIndex = at.findIndex((s) => typeof s === "number");
  const setting = firstIndex === -1 ? at : at.slice(0, firstIndex);
  return [{ path: setting, message: `${formatPath(at)}: ${issue.message}, got ${describeValue(valueAt(input, at))}` }];
}

function formatPath(path: Segment[]): string {
  if (path.length === 0) return SHOWN_PATH;
  return path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}

/** Config values are repository text: shown JSON-quoted and short, never as Markdown. */
function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function valueAt(root: unknown, path: Segment[]): unknown {
  let node = root;
  for (const seg of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<Segment, unknown>)[seg];
  }
  return node;
}

function dropPath(root: unknown, path: Segment[]): void {
  const parent = valueAt(root, path.slice(0, -1));
  const last = path[path.length - 1];
  if (parent !== null && typeof parent === "object" && last !== undefined)
    delete (parent as Record<Segment, unknown>)[last];
}

function knownKeys(path: Segment[]): string[] {
  const node = valueAt(DEFAULT_CONFIG, path);
  if (node === null || typeof node !== "object" || Array.isArray(node)) return [];
  const keys = Object.keys(node);
  // Optional settings have no default, so they are missing from DEFAULT_CONFIG.
  if (path.length === 1 && path[0] === "llm") keys.unshift("model");
  return keys;
}

/** What went wrong, without the error's own text (it may quote file content or URLs with query strings). */
function readFailure(error: unknown): string {
  const status = statusOf(error);
  if (status !== undefined)
    return `could not read ${SHOWN_PATH} (GitHub answered ${status}); using the default configuration`;
  const text = error instanceof Error ? error.message : "";
  const where = repoOf(text);
  if (/invalid YAML/.test(text)) {
    const pos = (error as { cause?: { linePos?: { line: number; col: number }[] } }).cause?.linePos?.[0];
    const at = pos ? ` at line ${pos.line}, column ${pos.col}` : "";
    return `${SHOWN_PATH}${where} is not valid YAML${at}; using the default configuration`;
  }
  if (/YAML is not an object|directory or a submodule/.test(text))
    return `${SHOWN_PATH}${where} is not a mapping of settings; using the default configuration`;
  if (/for _extends/.test(text))
    return `_extends${where}: expected "repo", "owner/repo" or "owner/repo:path.yml"; using the default configuration`;
  if (/Recursion detected/.test(text))
    return `_extends${where}: the extended configurations form a loop; using the default configuration`;
  if (/extension is not support/.test(text))
    return `_extends${where}: only .yml, .yaml or .json files can be extended; using the default configuration`;
  return `could not read ${SHOWN_PATH}; using the default configuration`;
}

/** `/repos/o/r/contents/...` in the plugin's message → " (in o/r)": the org fallback or an `_extends` target. */
function repoOf(text: string): string {
  const m = /\/repos\/([\w.-]+)\/([\w.-]+)\/contents\//.exec(text);
  return m ? ` (in ${m[1]}/${m[2]})` : "";
}
