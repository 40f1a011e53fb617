import { describe, expect, it } from "vitest";
import { ThreadHost, type ThreadHostOptions } from "../../src/app/thread-host.js";
import type { JobThreadData } from "../../src/app/thread-protocol.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { DEFAULT_SETTINGS } from "../../src/runtime.js";

// The main thread's side of the job thread, against a stand-in thread (test/helpers/stub-job-thread.mjs) that speaks
// the same messages. The real thread runs in the e2e tests (test/e2e), which start the built server.

const entry = new URL("../helpers/stub-job-thread.mjs", import.meta.url);

function host(mode: string, over: Partial<ThreadHostOptions> = {}) {
  const lines: { level: string; obj: any; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj, msg });
  const data = {
    databaseUrl: "file:unused.db",
    settings: DEFAULT_SETTINGS,
    logLevel: "info",
    logFormat: "json",
    mode,
  } as JobThreadData;
  const h = new ThreadHost({
    data,
    entry,
    log: { info: at("info"), error: at("error") },
    restartDelayMs: () => 10,
    ...over,
  });
  return { h, lines };
}

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

describe("ThreadHost", () => {
  it("forwards wake-ups, coalescing those of one turn, and merges the thread's metrics into /metrics", async () => {
    const { h } = host("ok");
    h.start();
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.mergeFrom(() => h.metrics());
    metrics.fixPrsOpened.inc(); // the main thread's own count of the same metric
    h.wake();
    h.wake();
    h.wake();
    await new Promise((r) => setTimeout(r, 50));
    h.wake();
    await new Promise((r) => setTimeout(r, 50));
    const text = await metrics.render();
    // 2 wake messages counted by the thread (3 coalesced + 1), plus 1 on the main thread.
    expect(text).toContain("ci_medic_fix_prs_opened_total 3");
    expect(text.match(/# TYPE ci_medic_fix_prs_opened_total counter/g)).toHaveLength(1);
    expect(text).toContain("# TYPE ci_medic_webhooks_received_total counter");
    await h.stop(1_000);
    expect(await h.metrics()).toEqual([]); // stopped: nothing to ask, and a scrape does not wait
  });

  it("restarts a crashed thread and logs the crash with its error; gives up after too many crashes", async () => {
    let gaveUp: unknown;
    const { h, lines } = host("crash-on-wake", { maxCrashes: 2, onGiveUp: (error) => (gaveUp = error) });
    h.start();
    await new Promise((r) => setTimeout(r, 100));
    h.wake();
    await until(() => lines.some((l) => l.msg === "the job thread crashed; restarting it"), "the crash log");
    const crash = lines.find((l) => l.msg === "the job thread crashed; restarting it")!;
    expect(crash.level).toBe("error");
    expect(crash.obj.err).toBeInstanceOf(Error);
    expect(crash.obj.err.message).toBe("boom in the job thread");
    expect(crash.obj.restartInMs).toBe(10);
    await until(() => lines.filter((l) => l.msg === "job thread started").length === 2, "the restart");
    h.wake();
    await until(() => gaveUp !== undefined, "giving up");
    expect((gaveUp as Error).message).toBe("boom in the job thread");
    expect(lines.some((l) => l.level === "error" && l.msg === "the job thread keeps crashing; giving up")).toBe(true);
    await h.stop(100);
  });

  it("stop() waits for the thread's answer; a thread that does not answer is terminated after the deadline", async () => {
    const ok = host("ok");
    ok.h.start();
    await until(() => ok.lines.some((l) => l.msg === "job thread started"), "the start");
    expect(await ok.h.metrics()).toHaveLength(1);
    const started = Date.now();
    await ok.h.stop(5_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    // Gone: no thread left to ask.
    expect(await ok.h.metrics()).toEqual([]);

    const hung = host("hang-on-stop", { stopGraceMs: 50 });
    hung.h.start();
    await until(() => hung.lines.some((l) => l.msg === "job thread started"), "the start");
    await hung.h.stop(100);
    expect(hung.lines.some((l) => l.level === "error" && /did not stop in time/.test(l.msg))).toBe(true);
    expect(await hung.h.metrics()).toEqual([]);
  });

  it("leaves the thread's metrics out of a scrape it does not answer in time", async () => {
    const mute = host("mute-metrics", { metricsTimeoutMs: 50 });
    mute.h.start();
    await until(() => mute.lines.some((l) => l.msg === "job thread started"), "the start");
    const asked = Date.now();
    expect(await mute.h.metrics()).toEqual([]);
    expect(Date.now() - asked).toBeGreaterThanOrEqual(45);
    await mute.h.stop(1_000);
  });
});
