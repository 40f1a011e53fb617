import { describe, expect, it } from "vitest";
import { analyzeLog, RedactionError } from "../../src/logs/analyze.js";
import { findSecrets, redact, redactStrict } from "../../src/logs/redact.js";

// Fake secrets are assembled at run time so that no secret-shaped literal sits in the repository.
const r = (s: string, n: number) => s.repeat(Math.ceil(n / s.length)).slice(0, n);
const pemBody = [r("MIIEowIBAAKCAQEA", 64), r("q83Fz9Lk", 64), r("Zx0", 40)];
const pem = ["-----BEGIN RSA PRIVATE KEY-----", ...pemBody, "-----END RSA PRIVATE KEY-----"].join("\n");

const cases: { kind: string; input: string; secret: string; keep?: string }[] = [
  { kind: "github-token", input: `token ${`ghp_${r("a1B2c3", 36)}`} used`, secret: `ghp_${r("a1B2c3", 36)}` },
  { kind: "github-token", input: `GH=${`gho_${r("Zz9", 36)}`}`, secret: `gho_${r("Zz9", 36)}` },
  { kind: "github-token", input: `x ${`ghu_${r("Q1w", 36)}`} y`, secret: `ghu_${r("Q1w", 36)}` },
  { kind: "github-token", input: `installation ${`ghs_${r("Kk7_", 92)}`} end`, secret: `ghs_${r("Kk7_", 92)}` },
  { kind: "github-token", input: `x ${`ghr_${r("R2d", 76)}`}`, secret: `ghr_${r("R2d", 76)}` },
  {
    kind: "github-token",
    input: `pat ${`github_pat_${r("11ABCD_ef", 82)}`}`,
    secret: `github_pat_${r("11ABCD_ef", 82)}`,
  },
  { kind: "aws-access-key", input: `aws_access_key_id AKIA${r("Q7ZX", 16)}`, secret: `AKIA${r("Q7ZX", 16)}` },
  { kind: "aws-access-key", input: `temp ASIA${r("J3K9", 16)} here`, secret: `ASIA${r("J3K9", 16)}` },
  { kind: "google-api-key", input: `key=AIza${r("Sy-9_xQ", 35)}`, secret: `AIza${r("Sy-9_xQ", 35)}` },
  { kind: "slack-token", input: `slack xoxb-${r("1234567890-", 40)}`, secret: `xoxb-${r("1234567890-", 40)}` },
  {
    kind: "slack-webhook",
    input: `POST https://hooks.slack.com/services/T0${r("AB12", 8)}/B0${r("CD34", 8)}/${r("xYz9", 24)}`,
    secret: `T0${r("AB12", 8)}/B0`,
  },
  {
    kind: "jwt",
    input: `id_token=eyJ${r("hbGciOi", 30)}.eyJ${r("zdWIiOi", 40)}.${r("SflKxw_R", 43)}`,
    secret: `eyJ${r("hbGciOi", 30)}`,
  },
  {
    kind: "authorization",
    input: `curl -H "Authorization: Bearer ${r("tok3n.", 40)}"`,
    secret: r("tok3n.", 40),
    keep: "Authorization: Bearer [REDACTED",
  },
  {
    kind: "authorization",
    input: `Authorization: Basic ${r("dXNlcjpwYXNz", 24)}`,
    secret: r("dXNlcjpwYXNz", 24),
    keep: "Authorization: Basic [REDACTED",
  },
  {
    kind: "url-credentials",
    input: "git fetch https://deploy:s3cr3tP4ss@github.com/o/r.git",
    secret: "s3cr3tP4ss",
    keep: "https://[REDACTED:url-credentials]@github.com/o/r.git",
  },
  { kind: "assignment", input: "DB password=hunter2hunter2 connecting", secret: "hunter2hunter2", keep: "password=" },
  { kind: "assignment", input: "client_secret: abcDEF123456xyz", secret: "abcDEF123456xyz", keep: "client_secret: " },
  {
    kind: "assignment",
    input: 'config {"password": "p@ssw0rd-very", "user": "me"}',
    secret: "p@ssw0rd-very",
    keep: '"user": "me"',
  },
  { kind: "assignment", input: "export API_KEY=zz99yy88xx77", secret: "zz99yy88xx77", keep: "API_KEY=" },
  { kind: "assignment", input: "NPM token=abcd1234efgh", secret: "abcd1234efgh" },
  {
    kind: "anthropic-key",
    input: `ANTHROPIC sk-ant-api03-${r("Ab9_-", 60)}`,
    secret: `sk-ant-api03-${r("Ab9_-", 60)}`,
  },
  { kind: "openai-key", input: `key sk-proj-${r("Xy7", 48)}`, secret: `sk-proj-${r("Xy7", 48)}` },
  { kind: "npm-token", input: `//registry.npmjs.org/:_authToken npm_${r("aB3", 36)}`, secret: `npm_${r("aB3", 36)}` },
  { kind: "gitlab-token", input: `glpat-${r("x9Y8-", 20)} pushed`, secret: `glpat-${r("x9Y8-", 20)}` },
  { kind: "private-key", input: `key:\n${pem}\ndone`, secret: pemBody[1]!, keep: "done" },
  // Shapes a red-team pass found and gitleaks' rules catch.
  {
    kind: "github-token",
    input: `token ghs_12345_eyJ${r("hbGciOi", 30)}.eyJ${r("pc3MiOi", 40)}.${r("Q2x9_-", 43)} end`,
    secret: r("Q2x9_-", 43),
    keep: " end",
  },
  { kind: "cli-password", input: `docker login -u bot -p ${r("Pa55w0rd!", 18)} ghcr.io`, secret: r("Pa55w0rd!", 18) },
  {
    kind: "cli-password",
    input: `mysql --password ${r("S3cr3t", 14)} -h db`,
    secret: r("S3cr3t", 14),
    keep: "--password [REDACTED:cli-password] -h db",
  },
  { kind: "cli-password", input: `tool --token=${r("tKn9", 20)}`, secret: r("tKn9", 20) },
  { kind: "stripe-key", input: `charge with sk_live_${r("4eC39Hq", 24)}`, secret: `sk_live_${r("4eC39Hq", 24)}` },
  { kind: "stripe-key", input: `restricted rk_live_${r("9zX", 24)}`, secret: `rk_live_${r("9zX", 24)}` },
  {
    kind: "azure-key",
    input: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${r("Zm9vYmFy+/", 86)}==;EndpointSuffix=core.windows.net`,
    secret: r("Zm9vYmFy+/", 86),
    keep: "EndpointSuffix=core.windows.net",
  },
  {
    kind: "gcp-key-id",
    input: `{"type": "service_account", "private_key_id": "${r("3f9a1c", 40)}", "client_email": "x"}`,
    secret: r("3f9a1c", 40),
    keep: '"client_email": "x"',
  },
  {
    kind: "sendgrid-key",
    input: `SENDGRID SG.${r("aB3dE", 22)}.${r("fG7hI-_", 43)} ok`,
    secret: r("fG7hI-_", 43),
  },
  { kind: "twilio-key", input: `twilio SK${r("0a1b2c3d4e5f", 32)} sid`, secret: `SK${r("0a1b2c3d4e5f", 32)}` },
  {
    kind: "assignment",
    input: `HMAC_KEY: ${r("9f8e7d6c5b4a", 64)}`,
    secret: r("9f8e7d6c5b4a", 64),
    keep: "HMAC_KEY: ",
  },
  {
    kind: "aws-secret-key",
    input: `aws configure set aws_secret ${"wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "9Xq3Lm0Z4k"} done`,
    secret: "wJalrXUtnFEMI/K7MDENG",
  },
  {
    kind: "encoded-github-token",
    input: `echo ${Buffer.from(`ghp_${r("a1B2c3", 36)}`).toString("base64")} | base64 -d`,
    secret: Buffer.from(`ghp_${r("a1B2c3", 36)}`).toString("base64"),
  },
  {
    kind: "encoded-stripe-key",
    input: `payload ${Buffer.from(`sk_live_${r("4eC39Hq", 24)}`).toString("hex")}`,
    secret: Buffer.from(`sk_live_${r("4eC39Hq", 24)}`).toString("hex"),
  },
  {
    kind: "generic-secret",
    input: `cache_key = ${"q7Zx2Lp9VbN4mK8s" + "T1wR6yH3jD5fG0cE"}`,
    secret: "q7Zx2Lp9VbN4mK8s",
  },
  { kind: "cookie", input: `Cookie: session=${r("s3ss", 24)}; theme=dark`, secret: r("s3ss", 24), keep: "Cookie: " },
];

const decoys = [
  "HEAD is now at 3f786850e387550fdab836ed7e6dc881de23001b Merge pull request #12",
  "run id 6a1f3c2e-8b7d-4c5e-9f0a-1b2c3d4e5f60 started",
  '"integrity": "sha512-9lkXsCxH8vA2cqyNwbw2Xx9X5B7dFq+Jqgqf1nXF0Zb2oJ2b8v0y3Zk7GZk5K8wPZ+2x8v4d9Q1n3r5t7y9A1w=="',
  "resolved sha256:2d1f0c5e6b7a8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f",
  "GITHUB_TOKEN: ***",
  "token: ${{ secrets.GITHUB_TOKEN }}",
  'Error: password authentication failed for user "postgres"',
  // Ordinary CI text that must survive: paths, versions, flags, keys of caches, base64-ish identifiers.
  "src/components/Button/ButtonGroupItem.tsx:12:5 - error TS2322",
  "packages/core/src/internal/serialization/JsonReaderWriter.ts",
  "mkdir -p build/output && docker run -p 8080:80 nginx",
  "ssh -p 2222 deploy@host",
  "Cache restored from key: node-cache-Linux-npm",
  "Cache restored from key: node-cache-Linux-x64-npm-eed186788acb99c392cc79891935d042040413390720b7932c16d8b7ca478e8b",
  "$ export S3_SECRET=[secure]",
  "  at Object.<anonymous> (/home/runner/work/repo/repo/node_modules/vitest/dist/index.js:10:3)",
  "Downloading https://registry.npmjs.org/@types/node/-/node-20.11.5.tgz",
  "docker login --password-stdin ghcr.io",
  "key: value",
  "auth: required",
  "AbstractSingletonProxyFactoryBeanConfigurationHelper",
  "commit 3f786850e387550fdab836ed7e6dc881de23001b and 9c1185a5c5e9fc54612808977ee8f548b2258d31",
];

describe("redact", () => {
  it.each(cases)("catches $kind in %#", ({ kind, input, secret, keep }) => {
    const out = redact(input);
    expect(out).not.toContain(secret);
    expect(out).toContain(`[REDACTED:${kind}]`);
    if (keep) expect(out).toContain(keep);
    expect(findSecrets(out)).toEqual([]);
  });

  it.each(decoys)("leaves the decoy untouched: %s", (line) => {
    expect(redact(line)).toBe(line);
  });

  it("re-scans for survivors; the typed error names kinds, never the secret", () => {
    expect(findSecrets(`ghp_${r("a1", 36)}`)).toEqual(["github-token"]);
    expect(findSecrets("-----BEGIN OPENSSH PRIVATE KEY-----")).toEqual(["private-key"]);
    expect(redactStrict(`x ghp_${r("a1", 36)} y`)).toBe("x [REDACTED:github-token] y");
    const err = new RedactionError(["jwt"]);
    expect(err).toBeInstanceOf(Error);
    expect(err.kinds).toEqual(["jwt"]);
    expect(err.message).toBe("redaction incomplete: jwt still present");
  });
});

describe("redact: cost", () => {
  it("redacts a 32 KB excerpt of adversarial lines quickly", () => {
    const lines = [
      `password=${"a".repeat(5_000)}`,
      `login ${" -x".repeat(3_000)}`,
      `${"key".repeat(3_000)}=`,
      "A".repeat(10_000),
      `${"-----BEGIN RSA PRIVATE KEY-----\n".repeat(50)}`,
    ];
    const text = lines.join("\n").slice(0, 32_000);
    const started = performance.now();
    redact(text);
    findSecrets(text);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe("redaction in analyzeLog", () => {
  it("redacts a PEM block split across stream chunks and lines", async () => {
    const log = [
      "##[group]Run ./deploy.sh",
      "./deploy.sh",
      "##[endgroup]",
      "writing key",
      ...pem.split("\n"),
      "error: deploy failed",
      "##[error]Process completed with exit code 1.",
    ].join("\n");
    const cut = log.indexOf(pemBody[1]!) + 10;
    async function* chunks() {
      yield Buffer.from(log.slice(0, cut));
      yield Buffer.from(log.slice(cut));
    }
    const res = await analyzeLog(chunks());
    for (const part of pemBody) expect(res.excerpt).not.toContain(part.slice(0, 20));
    expect(res.excerpt).toContain("[REDACTED:private-key]");
    expect(res.excerpt).toContain("error: deploy failed");
  });

  it("redacts the failed command and the excerpt", async () => {
    const token = `ghp_${r("T0k", 36)}`;
    const log = [
      `##[group]Run curl -H "Authorization: token ${token}" https://api.github.com`,
      `curl -H "Authorization: token ${token}" https://api.github.com`,
      "##[endgroup]",
      `fatal: could not read from ${token}`,
      "##[error]Process completed with exit code 22.",
    ].join("\n");
    const res = await analyzeLog(log);
    expect(res.failedCommand).not.toContain(token);
    expect(res.excerpt).not.toContain(token);
    expect(JSON.stringify(res)).not.toContain(token.slice(4, 20));
  });
});
