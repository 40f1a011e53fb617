import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// Holds every GitHub exchange of the tests to GitHub's published REST description (@octokit/openapi, api.github.com):
// the request must be an operation of it (method + path template) with declared, valid query parameters and a body
// valid against the operation's request schema; the mocked answer must be a status the operation documents (or one
// every endpoint can answer, see GENERIC_STATUSES) with a body valid against that status's schema, and without fields
// the schema does not name. Each call must also be one the App's permissions in app.yml allow (PERMISSIONS below).
//
// "Fields that do not exist": GitHub's schemas rarely say `additionalProperties: false`, so ajv alone accepts any extra
// field. After ajv, `unknownFields` walks the answer with its schema: an object property is unknown when no schema
// that applies there (the schema itself and, through $ref, every allOf/anyOf/oneOf branch) names it in `properties`,
// unless one of them allows more (`additionalProperties` other than false, `patternProperties`) or none names any
// property at all (a free-form object). Union over branches is lenient for oneOf, on purpose: no false alarms.
//
// ajv stops at the first error of a body; GH_ALL_ERRORS=1 in the environment makes it report (up to five of) all.
//
// Cost: the description is 13 MB. It is trimmed once into the temporary directory (3 MB, see prepare()), loaded once
// per test file (vitest isolates files) on the first exchange, and each operation's validators are compiled on first
// use and cached.

export interface Exchange {
  method: string;
  /** Path with query string as the client sent it, base path (`/api/v3`) included. */
  path: string;
  requestBody: unknown;
  status: number;
  responseBody: unknown;
  responseHeaders?: Record<string, unknown>;
}

type Schema = Record<string, any>;
interface Operation {
  id: string;
  method: string;
  template: string;
  op: Schema;
  pointer: string;
  /** Number of literal path segments, to prefer `/issues/comments/{id}` over `/issues/{number}/…`. */
  literals: number;
  strict: RegExp;
  loose: RegExp;
  names: string[];
}

/**
 * Answers GitHub documents for every endpoint rather than per operation (REST API "Troubleshooting" and "Rate
 * limits"): bad credentials, not accessible by the integration or rate limited, not found (private or gone), server
 * errors. Their body must still be GitHub's `basic-error`.
 */
export const GENERIC_STATUSES = new Set([401, 403, 404, 429, 500, 502, 503, 504]);

/**
 * GitHub's documented permission for each operation ci-medic calls (REST docs, "Fine-grained access" section of each
 * endpoint; the description's `x-github` carries none). Alternatives: any one is enough. `null`: the App's JWT, no
 * installation permission. An operation missing here fails the test: add it with the documented permission.
 */
export const PERMISSIONS: Record<string, Record<string, "read" | "write">[] | null> = {
  "apps/create-installation-access-token": null,
  "apps/get-authenticated": null,
  "apps/list-webhook-deliveries": null,
  "apps/get-webhook-delivery": null,
  "apps/redeliver-webhook-delivery": null,
  "actions/get-workflow-run": [{ actions: "read" }],
  "actions/get-workflow-run-attempt": [{ actions: "read" }],
  "actions/list-workflow-runs": [{ actions: "read" }],
  "actions/list-workflow-runs-for-repo": [{ actions: "read" }],
  "actions/list-jobs-for-workflow-run": [{ actions: "read" }],
  "actions/list-jobs-for-workflow-run-attempt": [{ actions: "read" }],
  "actions/download-job-logs-for-workflow-run": [{ actions: "read" }],
  "checks/create": [{ checks: "write" }],
  "checks/update": [{ checks: "write" }],
  "checks/get": [{ checks: "read" }],
  "checks/list-for-ref": [{ checks: "read" }],
  "repos/get-content": [{ contents: "read" }],
  "repos/get": [{ metadata: "read" }],
  "repos/get-collaborator-permission-level": [{ metadata: "read" }],
  "repos/list-pull-requests-associated-with-commit": [{ pull_requests: "read" }],
  "repos/compare-commits": [{ contents: "read" }],
  "issues/get": [{ issues: "read" }, { pull_requests: "read" }],
  "issues/list-for-repo": [{ issues: "read" }],
  "issues/create": [{ issues: "write" }],
  "issues/update": [{ issues: "write" }, { pull_requests: "write" }],
  "issues/get-label": [{ issues: "read" }, { pull_requests: "read" }],
  "issues/create-label": [{ issues: "write" }, { pull_requests: "write" }],
  "issues/list-comments": [{ issues: "read" }, { pull_requests: "read" }],
  "issues/create-comment": [{ issues: "write" }, { pull_requests: "write" }],
  "issues/get-comment": [{ issues: "read" }, { pull_requests: "read" }],
  "issues/update-comment": [{ issues: "write" }, { pull_requests: "write" }],
  "reactions/create-for-issue-comment": [{ issues: "write" }, { pull_requests: "write" }],
  "pulls/get": [{ pull_requests: "read" }],
  "pulls/list": [{ pull_requests: "read" }],
  "pulls/create": [{ pull_requests: "write" }],
  "pulls/update": [{ pull_requests: "write" }],
  "git/get-ref": [{ contents: "read" }],
  "git/create-ref": [{ contents: "write" }],
  "git/update-ref": [{ contents: "write" }],
  "git/delete-ref": [{ contents: "write" }],
  "git/get-commit": [{ contents: "read" }],
  "git/create-commit": [{ contents: "write" }],
  "git/get-tree": [{ contents: "read" }],
  "git/create-tree": [{ contents: "write" }],
  "git/create-blob": [{ contents: "write" }],
  "teams/get-membership-for-user-in-org": [{ members: "read" }],
};

const require = createRequire(import.meta.url);
const SPEC_PATH = require.resolve("@octokit/openapi/generated/api.github.com.json");
const APP_YML = new URL("../../app.yml", import.meta.url);

interface Loaded {
  spec: Schema;
  ajv: Ajv;
  operations: Map<string, Operation[]>;
  validators: Map<string, ValidateFunction>;
  appPermissions: Record<string, string>;
}

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const spec = preparedSpec();
  const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: Ajv) => void;
  // inlineRefs off: each component compiles once as its own function; inlining made the big answers (issue, pull
  // request) several times slower to compile.
  const ajv = new Ajv({
    strict: false,
    validateSchema: false,
    logger: false,
    inlineRefs: false,
    allErrors: !!process.env.GH_ALL_ERRORS,
  });
  addFormats(ajv);
  ajv.addSchema(spec, "gh");
  const operations = new Map<string, Operation[]>();
  for (const [template, item] of Object.entries(spec.paths as Record<string, Schema>)) {
    for (const [method, op] of Object.entries(item)) {
      if (!op?.operationId) continue;
      const segments = template.split("/").slice(1);
      const names: string[] = [];
      const part = (loose: boolean) =>
        segments
          .map((s) => {
            const m = /^\{(.+)\}$/.exec(s);
            if (!m) return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
            if (!loose) names.push(m[1]!);
            // Only a file path or a git ref may span segments (`contents/{path}`, `git/ref/{ref}`).
            return loose && (m[1] === "path" || m[1] === "ref") ? "(.+)" : "([^/]+)";
          })
          .join("/");
      const strict = new RegExp(`^/${part(false)}$`);
      const loose = new RegExp(`^/${part(true)}$`);
      const list = operations.get(method.toUpperCase()) ?? [];
      list.push({
        id: op.operationId,
        method: method.toUpperCase(),
        template,
        op,
        pointer: `#/paths/${escapePointer(template)}/${method}`,
        literals: segments.filter((s) => !s.startsWith("{")).length,
        strict,
        loose,
        names,
      });
      operations.set(method.toUpperCase(), list);
    }
  }
  for (const list of operations.values()) list.sort((a, b) => b.literals - a.literals);
  loaded = {
    spec,
    ajv,
    operations,
    validators: new Map(),
    appPermissions: readAppPermissions(readFileSync(APP_YML, "utf8")),
  };
  return loaded;
}

const PROSE = new Set(["description", "summary", "examples", "example", "externalDocs", "x-octokit"]);

/**
 * OpenAPI 3.0's `nullable: true` in JSON Schema terms (ajv's own support needs `type` beside it, which GitHub's
 * schemas often lack): `null` joins the types and the enum, or the schema becomes `anyOf: [schema, null]`.
 */
function fromOpenApiNullable(node: unknown, inProperties = false): void {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const item of node) fromOpenApiNullable(item);
    return;
  }
  const s = node as Schema;
  for (const [key, value] of Object.entries(s)) {
    // Prose and samples are not validation: dropped, so ajv has less to walk (a property named so is kept).
    if (
      !inProperties &&
      PROSE.has(key) &&
      (typeof value === "string" || (key !== "description" && key !== "summary"))
    ) {
      delete s[key];
      continue;
    }
    fromOpenApiNullable(value, key === "properties" && !inProperties);
  }
  if (s.nullable !== true) return;
  delete s.nullable;
  if (Array.isArray(s.enum) && !s.enum.includes(null)) s.enum.push(null);
  if (typeof s.type === "string") s.type = [s.type, "null"];
  else if (s.type === undefined) {
    const rest = { ...s };
    for (const key of Object.keys(s)) delete s[key];
    s.anyOf = [rest, { type: "null" }];
  }
}

/**
 * The description as ajv needs it (no prose, no examples, `nullable` in JSON Schema terms), and its examples apart:
 * prepared once per description version into the temporary directory, written atomically, so each test file parses
 * 3 MB instead of 13 MB and skips the walk.
 */
function cachePaths(): { spec: string; examples: string } {
  const key = `${statSync(SPEC_PATH).size}-${Math.floor(statSync(SPEC_PATH).mtimeMs)}`;
  return {
    spec: join(tmpdir(), `ci-medic-api-github-${key}.json`),
    examples: join(tmpdir(), `ci-medic-api-github-examples-${key}.json`),
  };
}

function prepare(): void {
  const paths = cachePaths();
  if (existsSync(paths.spec) && existsSync(paths.examples)) return;
  const spec = JSON.parse(readFileSync(SPEC_PATH, "utf8")) as Schema;
  const examples = spec.components.examples;
  delete spec.components.examples;
  fromOpenApiNullable(spec);
  for (const [path, data] of [
    [paths.examples, examples],
    [paths.spec, spec],
  ] as const) {
    const partial = `${path}.${process.pid}`;
    writeFileSync(partial, JSON.stringify(data));
    renameSync(partial, path);
  }
}

function preparedSpec(): Schema {
  prepare();
  return JSON.parse(readFileSync(cachePaths().spec, "utf8")) as Schema;
}

let examples: Record<string, { value: unknown }> | undefined;

/** A copy of one of the description's examples (`components/examples/<name>`), GitHub's own sample answers. */
export function specExample(name: string): any {
  if (!examples) {
    prepare();
    examples = JSON.parse(readFileSync(cachePaths().examples, "utf8")) as Record<string, { value: unknown }>;
  }
  const value = examples[name]?.value;
  if (value === undefined) throw new Error(`no example ${name} in the API description`);
  return structuredClone(value);
}

/** `default_permissions:` of app.yml, a flat map of `name: level` lines. */
export function readAppPermissions(yml: string): Record<string, string> {
  const block = /^default_permissions:\n((?:[ \t]+.*\n?|\s*\n)*)/m.exec(yml)?.[1] ?? "";
  const out: Record<string, string> = {};
  for (const line of block.split("\n")) {
    const m = /^\s+([a-z_]+):\s*([a-z]+)\s*(#.*)?$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

function escapePointer(s: string): string {
  return s.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** The operation a request is for, and its path parameters; `undefined` when the description has none. */
export function findOperation(
  method: string,
  pathname: string,
): { op: Operation; params: Record<string, string> } | undefined {
  const { operations } = load();
  const path = pathname.replace(/^\/api\/v3(?=\/)/, "");
  const candidates = operations.get(method.toUpperCase()) ?? [];
  for (const pass of ["strict", "loose"] as const) {
    for (const op of candidates) {
      const m = op[pass].exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      op.names.forEach((name, i) => {
        params[name] = safeDecode(m[i + 1]!);
      });
      return { op, params };
    }
  }
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function validator(pointer: string): ValidateFunction {
  const l = load();
  let v = l.validators.get(pointer);
  if (!v) {
    v = l.ajv.compile({ $ref: `gh${pointer}` });
    l.validators.set(pointer, v);
  }
  return v;
}

function resolve(schema: Schema | undefined): Schema | undefined {
  let s = schema;
  for (let i = 0; s?.$ref && i < 20; i++) s = pointerGet(load().spec, s.$ref as string);
  return s;
}

function pointerGet(doc: Schema, ref: string): Schema | undefined {
  const parts = ref
    .replace(/^#\//, "")
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  let cur: any = doc;
  for (const p of parts) cur = cur?.[p];
  return cur;
}

function pointerOf(schema: Schema, base: string): string {
  return schema.$ref ?? base;
}

function ajvErrors(v: ValidateFunction, pointer: string): string {
  return (v.errors ?? [])
    .slice(0, 5)
    .map((e) => {
      const where = e.schemaPath.startsWith("gh#")
        ? e.schemaPath.slice(2)
        : `${pointer}${e.schemaPath.replace(/^#/, " → ")}`;
      return `${e.instancePath || "(root)"} ${e.message} (schema ${where})`;
    })
    .join("; ");
}

/** Every mismatch of one exchange with the description, each naming the operation and where. Empty when it conforms. */
export function checkExchange(ex: Exchange): string[] {
  const url = new URL(ex.path, "http://x");
  const found = findOperation(ex.method, url.pathname);
  if (!found) return [`${ex.method} ${url.pathname}: no operation of api.github.com has this method and path`];
  const { op, params } = found;
  const at = `${op.id} (${op.method} ${op.template})`;
  const out: string[] = [];
  const declared = new Map<string, { param: Schema; index: number }>();
  (op.op.parameters ?? []).forEach((p: Schema, index: number) => {
    const param = resolve(p)!;
    declared.set(`${param.in}:${param.name}`, { param, index });
  });

  for (const [name, value] of Object.entries(params)) {
    const d = declared.get(`path:${name}`);
    if (d) out.push(...checkParam(at, op, d.param, d.index, value));
  }
  const query = new Map<string, string>();
  for (const [name, value] of url.searchParams) query.set(name, value);
  for (const [name, value] of query) {
    const d = declared.get(`query:${name}`);
    if (!d) out.push(`${at}: query parameter "${name}" is not a parameter of this operation`);
    else out.push(...checkParam(at, op, d.param, d.index, value));
  }
  for (const { param } of declared.values())
    if (param.in === "query" && param.required && !query.has(param.name))
      out.push(`${at}: required query parameter "${param.name}" missing`);

  const requestSchema = op.op.requestBody?.content?.["application/json"]?.schema;
  const hasBody = ex.requestBody !== undefined && ex.requestBody !== "" && ex.requestBody !== null;
  if (requestSchema && hasBody) {
    const pointer = `${op.pointer}/requestBody/content/application~1json/schema`;
    const v = validator(pointer);
    if (!v(ex.requestBody)) out.push(`${at}: request body invalid: ${ajvErrors(v, pointer)}`);
    else
      out.push(...unknownFields(ex.requestBody, [requestSchema], "(request)").map((m) => `${at}: request body ${m}`));
  } else if (op.op.requestBody?.required && !hasBody) out.push(`${at}: request body required`);
  else if (!requestSchema && hasBody && op.method !== "GET")
    out.push(`${at}: request has a body, but this operation takes none`);

  out.push(...checkResponse(at, op, ex));
  out.push(...checkPermission(op.id).map((m) => `${at}: ${m}`));
  return out;
}

/** A parameter as its schema types it: on the wire every value is a string. */
function fromWire(value: string, schema: Schema): unknown {
  const types = ([] as string[]).concat(schema.type ?? []);
  if ((types.includes("integer") || types.includes("number")) && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (types.includes("boolean") && (value === "true" || value === "false")) return value === "true";
  return value;
}

function checkParam(at: string, op: Operation, param: Schema, index: number, value: string): string[] {
  if (!param.schema) return [];
  const raw = op.op.parameters[index];
  const v = validator(`${raw.$ref ?? `${op.pointer}/parameters/${index}`}/schema`);
  return v(fromWire(value, resolve(param.schema)!))
    ? []
    : [`${at}: ${param.in} parameter "${param.name}"=${JSON.stringify(value)} invalid: ${ajvErrors(v, "parameter")}`];
}

function checkResponse(at: string, op: Operation, ex: Exchange): string[] {
  const documented = op.op.responses?.[String(ex.status)];
  const empty = ex.responseBody === undefined || ex.responseBody === "" || ex.responseBody === null;
  let schemaPointer: string | undefined;
  let schema: Schema | undefined;
  if (documented) {
    const response = resolve(documented)!;
    const base = documented.$ref ?? `${op.pointer}/responses/${ex.status}`;
    const content = response.content as Record<string, Schema> | undefined;
    if (!content) {
      return empty
        ? []
        : [`${at}: status ${ex.status} has no body in the description, but the mock sends ${preview(ex.responseBody)}`];
    }
    const type = content["application/json"] ? "application/json" : Object.keys(content)[0]!;
    schema = content[type]!.schema;
    schemaPointer = `${base}/content/${escapePointer(type)}/schema`;
  } else if (GENERIC_STATUSES.has(ex.status)) {
    schema = { $ref: "#/components/schemas/basic-error" };
    schemaPointer = "#/components/schemas/basic-error";
  } else {
    return [
      `${at}: status ${ex.status} is not documented for this operation (documented: ${Object.keys(op.op.responses ?? {}).join(", ")})`,
    ];
  }
  if (!schema || empty) return empty && schema ? [`${at}: status ${ex.status} needs a body, the mock sends none`] : [];
  const contentType = String(headerOf(ex.responseHeaders, "content-type") ?? "application/json");
  // A media type such as `application/vnd.github.raw` answers with the file itself: nothing to check against JSON.
  if (!/json/.test(contentType)) return [];
  const body = typeof ex.responseBody === "string" ? tryJson(ex.responseBody) : ex.responseBody;
  const v = validator(schemaPointer!);
  if (!v(body)) return [`${at}: response ${ex.status} invalid: ${ajvErrors(v, schemaPointer!)}`];
  return unknownFields(body, [schema], pointerOf(schema, schemaPointer!)).map(
    (m) => `${at}: response ${ex.status} ${m}`,
  );
}

function headerOf(headers: Record<string, unknown> | undefined, name: string): unknown {
  if (!headers) return undefined;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

function preview(body: unknown): string {
  const s = typeof body === "string" ? body : JSON.stringify(body);
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/** Every schema that applies to a value: the schema and, recursively, its $ref target and combinator branches. */
function expand(schemas: Schema[]): Schema[] {
  const out: Schema[] = [];
  const seen = new Set<Schema>();
  const visit = (s: Schema | undefined) => {
    const r = resolve(s);
    if (!r || seen.has(r)) return;
    seen.add(r);
    out.push(r);
    for (const k of ["allOf", "anyOf", "oneOf"]) for (const b of (r[k] as Schema[] | undefined) ?? []) visit(b);
  };
  for (const s of schemas) visit(s);
  return out;
}

/** Properties of `data` (recursively) that no applicable schema names. */
export function unknownFields(data: unknown, schemas: Schema[], path: string): string[] {
  if (data === null || typeof data !== "object") return [];
  const all = expand(schemas);
  if (Array.isArray(data)) {
    const items = all.map((s) => s.items).filter(Boolean) as Schema[];
    if (items.length === 0) return [];
    return data.flatMap((item, i) => unknownFields(item, items, `${path}[${i}]`)).slice(0, 5);
  }
  const open = all.some(
    (s) => (s.additionalProperties !== undefined && s.additionalProperties !== false) || s.patternProperties,
  );
  const named = all.filter((s) => s.properties);
  const out: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    const sub = named.map((s) => s.properties[key]).filter(Boolean) as Schema[];
    if (sub.length === 0) {
      if (!open && named.length > 0) out.push(`has field "${key}" at ${path}, which the schema does not define`);
      continue;
    }
    out.push(...unknownFields(value, sub, `${path}.${key}`));
  }
  return out;
}

/** Whether the App (app.yml's default_permissions, or `have`) may call this operation. */
export function checkPermission(operationId: string, have: Record<string, string> = load().appPermissions): string[] {
  if (!(operationId in PERMISSIONS))
    return [`no permission known for this operation: add GitHub's documented permission to PERMISSIONS`];
  const needs = PERMISSIONS[operationId];
  if (needs === null || needs === undefined) return [];
  const rank = (level: string | undefined) => (level === "write" ? 2 : level === "read" ? 1 : 0);
  const ok = needs.some((alt) => Object.entries(alt).every(([name, level]) => rank(have[name]) >= rank(level)));
  if (ok) return [];
  const wanted = needs
    .map((alt) =>
      Object.entries(alt)
        .map(([n, l]) => `${n}: ${l}`)
        .join(" + "),
    )
    .join(" or ");
  return [`the App may not call this: it needs ${wanted}, and app.yml does not grant it`];
}

/** A webhook payload checked against the description's schema for `event.action` (`x-webhooks`). */
export function checkWebhook(event: string, payload: Record<string, any>): string[] {
  const { spec } = load();
  const key = `${event.replace(/_/g, "-")}${payload.action ? `-${String(payload.action).replace(/_/g, "-")}` : ""}`;
  const hook = spec["x-webhooks"]?.[key]?.post;
  if (!hook) return [`webhook ${key}: no such event in the description`];
  const pointer = `#/x-webhooks/${escapePointer(key)}/post/requestBody/content/application~1json/schema`;
  const schema = hook.requestBody.content["application/json"].schema as Schema;
  const v = validator(pointer);
  if (!v(payload)) return [`webhook ${key}: payload invalid: ${ajvErrors(v, pointer)}`];
  return unknownFields(payload, [schema], pointerOf(schema, pointer)).map((m) => `webhook ${key}: payload ${m}`);
}

// ---- Violations of the running test, reported by the setup file's afterEach and by GitHubMock.done() ----

const violations: string[] = [];

export function recordViolations(list: string[]): void {
  violations.push(...list);
}

/** The violations recorded so far, cleared. */
export function takeViolations(): string[] {
  return violations.splice(0, violations.length);
}

export class ConformanceError extends Error {
  constructor(list: string[]) {
    super(`GitHub mock does not conform to GitHub's API description:\n- ${list.join("\n- ")}`);
    this.name = "ConformanceError";
  }
}
