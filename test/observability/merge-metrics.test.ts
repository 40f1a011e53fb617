import { describe, expect, it } from "vitest";
import { createMetrics, mergeMetrics } from "../../src/observability/metrics.js";

// /metrics of the server: the main thread's registry plus the job thread's (as JSON, across the thread boundary).

describe("mergeMetrics", () => {
  it("sums counters and histograms of the same name and labels, keeps the rest as they are", async () => {
    const main = createMetrics({ jobCounts: async () => ({ queued: 2, running: 1, done: 0, dead: 0 }) });
    const thread = createMetrics({ defaultMetrics: false });
    main.githubApiErrors.inc({ status: "404" });
    thread.githubApiErrors.inc({ status: "404" }, 2);
    thread.githubApiErrors.inc({ status: "500" });
    thread.jobDuration.observe({ kind: "diagnose-run", outcome: "done" }, 0.7);
    thread.jobDuration.observe({ kind: "diagnose-run", outcome: "done" }, 3);

    const text = await mergeMetrics([
      await main.registry.getMetricsAsJSON(),
      await thread.registry.getMetricsAsJSON(),
    ]).metrics();
    expect(text).toContain('ci_medic_github_api_errors_total{status="404"} 3');
    expect(text).toContain('ci_medic_github_api_errors_total{status="500"} 1');
    expect(text).toContain('ci_medic_job_duration_seconds_bucket{le="1",kind="diagnose-run",outcome="done"} 1');
    expect(text).toContain('ci_medic_job_duration_seconds_count{kind="diagnose-run",outcome="done"} 2');
    expect(text).toContain('ci_medic_jobs{state="queued"} 2'); // the main thread's gauge; the thread's is empty
    // Process metrics come from the main thread only, including those prom-client drops when aggregating processes.
    expect(text.match(/^ci_medic_process_start_time_seconds /gm)).toHaveLength(1);
    expect(text.match(/^# TYPE ci_medic_github_api_errors_total counter$/gm)).toHaveLength(1);
  });

  it("render() merges every added source at each scrape", async () => {
    const main = createMetrics({ defaultMetrics: false });
    const thread = createMetrics({ defaultMetrics: false });
    main.mergeFrom(() => thread.registry.getMetricsAsJSON());
    thread.fixPrsOpened.inc();
    expect(await main.render()).toContain("ci_medic_fix_prs_opened_total 1");
    thread.fixPrsOpened.inc();
    expect(await main.render()).toContain("ci_medic_fix_prs_opened_total 2");
  });
});
