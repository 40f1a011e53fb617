import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMetrics } from "../../src/observability/metrics.js";
import { observabilityHandler } from "../../src/observability/routes.js";

// While the server drains on SIGTERM: alive (/healthz 200) but not ready (/readyz 503), so that a load balancer sends
// webhooks to another replica while this one finishes its jobs.

describe("/healthz and /readyz while draining", () => {
  let stopping = false;
  const handler = observabilityHandler({
    metrics: createMetrics({ defaultMetrics: false }),
    checkDatabase: async () => {},
    checkMigrations: async () => {},
    checkQueue: async () => ({ wedged: false }),
    stopping: () => stopping,
  });
  const server = http.createServer((req, res) => {
    void Promise.resolve(handler(req, res)).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  let base = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("answers ready, then 503 stopping once the drain starts, while /healthz stays 200", async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    stopping = true;
    const ready = await fetch(`${base}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([503, { status: "stopping" }]);
    const health = await fetch(`${base}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, "ok"]);
  });
});
