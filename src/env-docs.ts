import fs from "node:fs";
import path from "node:path";
import { ENV_NAMES, type EnvName, type EnvSection, envMeta } from "./env-schema.js";

// The README's table of environment variables and .env.example, generated from the environment schema
// (env-schema.ts): `npm run docs:env` rewrites both; test/env/env-docs.test.ts fails when either is out of date.

export const TABLE_START = "<!-- env-table: generated from src/env-schema.ts by `npm run docs:env` -->";
export const TABLE_END = "<!-- /env-table -->";

export function renderEnvTable(): string {
  const rows = ENV_NAMES.map((name) => {
    const meta = envMeta(name);
    return [`\`${name}\``, meta.default ?? "", meta.doc.replace(/\|/g, "\\|")];
  });
  const header = ["Variable", "Default", "Meaning"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

const SECTIONS: Record<EnvSection, string> = {
  "GitHub App":
    "Leave APP_ID, PRIVATE_KEY and WEBHOOK_SECRET empty on a first `npm start`: Probot's manifest flow at\n# http://localhost:3000 registers the App from app.yml and writes them here. Required when NODE_ENV=production.",
  Server: "Commented out on purpose: the Docker image and the systemd unit set these, and .env must not override them.",
  LLM: "Optional: without a provider ci-medic posts its rule-based diagnosis.",
  Operations: "",
};

export function renderEnvExample(): string {
  const out = [
    "# ci-medic configuration (generated from src/env-schema.ts by `npm run docs:env`; do not edit by hand).",
    "# Copy to .env and fill in; uncomment a setting to change it. The process environment wins over .env, which only",
    '# fills gaps. An empty value means "not set". Never commit .env: it holds the App\'s private key and secrets.',
    "# Start-up checks every variable and stops with one message per problem (values of secrets are never printed).",
  ];
  let section: EnvSection | undefined;
  for (const name of ENV_NAMES) {
    const meta = envMeta(name);
    if (meta.section !== section) {
      section = meta.section;
      out.push("", `# --- ${section} ${"-".repeat(Math.max(3, 112 - section.length))}`);
      if (SECTIONS[section]) out.push(`# ${SECTIONS[section]}`);
    }
    // Commented out unless every installation sets it: an empty `NAME=` is still a value for `docker run --env-file`
    // (and systemd), which would override the image's or the unit's setting.
    out.push(...comment(name), `${meta.fillIn ? "" : "# "}${name}=`);
  }
  return `${out.join("\n")}\n`;
}

function comment(name: EnvName): string[] {
  const meta = envMeta(name);
  const text = `${meta.doc.replace(/`/g, "")}${meta.default ? ` Default: ${meta.default.replace(/`/g, "")}.` : ""}`;
  const lines: string[] = [];
  let current = "#";
  for (const word of text.split(/\s+/)) {
    if (current.length + word.length + 1 > 118) {
      lines.push(current);
      current = "#";
    }
    current += ` ${word}`;
  }
  lines.push(current);
  return lines;
}

/** The README with its table replaced by the generated one. */
export function withEnvTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end === -1) throw new Error(`README.md lacks the markers ${TABLE_START} … ${TABLE_END}`);
  return `${readme.slice(0, start + TABLE_START.length)}\n\n${renderEnvTable()}\n\n${readme.slice(end)}`;
}

/** `npm run docs:env` */
export function writeEnvDocs(root: string): void {
  const readme = path.join(root, "README.md");
  fs.writeFileSync(readme, withEnvTable(fs.readFileSync(readme, "utf8")));
  fs.writeFileSync(path.join(root, ".env.example"), renderEnvExample());
}
