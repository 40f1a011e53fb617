import { run } from "probot";

// The baseline for the webhook benchmark: a Probot app that acknowledges workflow_run and does nothing else.
await run((app) => {
  app.on("workflow_run.completed", async () => {});
});
