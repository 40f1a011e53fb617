import { writeEnvDocs } from "./env-docs.js";

// `npm run docs:env`: regenerates the README's environment table and .env.example from src/env-schema.ts.
writeEnvDocs(process.cwd());
console.info("README.md (environment table) and .env.example regenerated from src/env-schema.ts");
