import { runLogReaderBench } from "./log-reader.js";
import { runReplicasBench } from "./replicas.js";
import { writeSection } from "./report.js";
import { runWebhookBench } from "./webhook.js";

// `npm run bench`: every benchmark, each next to its baseline in the same run, into BENCHMARKS.md.

const only = process.argv[2];
const benches: Record<string, () => Promise<string>> = {
  "log-reader": runLogReaderBench,
  webhook: runWebhookBench,
  replicas: runReplicasBench,
};
for (const [name, bench] of Object.entries(benches)) {
  if (only && only !== name) continue;
  console.log(`== ${name}`);
  const markdown = await bench();
  writeSection(name, markdown);
  console.log(markdown);
}
console.log("written to BENCHMARKS.md");
