import { randomUUID } from "node:crypto";
import nock from "nock";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RECOVERY_LIMITS } from "../../src/jobs/recover-deliveries.js";
import { scheduleDeliveryRecovery } from "../../src/recovery/schedule.js";
import { testApp } from "../helpers/app.js";
import { mockGitHub } from "../helpers/github-mock.js";

// Delivery recovery against GitHub's App webhook API (nock, shapes of `GET /app/hook/deliveries` and
// `POST /app/hook/deliveries/{delivery_id}/attempts`), run as the queued job the server schedules.

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

const HOUR = 3_600_000;

/** One attempt as GitHub lists it ("hook-delivery-item"). */
function delivery(opts: {
  id: number;
  guid: string;
  ago: number;
  status: number;
  redelivery?: boolean;
  event?: string;
}) {
  return {
    id: opts.id,
    guid: opts.guid,
    delivered_at: new Date(Date.now() - opts.ago).toISOString().replace(/\.\d{3}Z$/, "Z"),
    redelivery: opts.redelivery ?? false,
    duration: 0.27,
    status: opts.status === 0 ? "failed to connect" : opts.status < 400 ? "OK" : "Internal Server Error",
    status_code: opts.status,
    event: opts.event ?? "workflow_run",
    action: "completed",
    installation_id: 2,
    repository_id: 17,
    throttled_at: null,
  };
}

describe("delivery recovery", () => {
  let app: Awaited<ReturnType<typeof testApp>>;
  beforeEach(async () => {
    app = await testApp();
  });
  afterEach(async () => {
    await app.close();
  });

  /** Runs one recovery pass the way the server does: a queued job, claimed and run by the worker. */
  async function recover() {
    const rt = app.runtime();
    const schedule = scheduleDeliveryRecovery({ queue: rt.queue, wake: () => {}, log: rt.log, now: () => Date.now() });
    schedule.stop();
    await new Promise((r) => setTimeout(r, 20)); // the enqueue is not awaited by the schedule
    await app.settle();
    const jobs = await app.db.job.findMany({ where: { kind: "recover-deliveries" } });
    expect(jobs.map((j) => [j.state, j.lastError])).toEqual([["done", null]]);
  }

  async function recorded(guid: string) {
    await app.db.job.create({
      data: {
        kind: "diagnose-run",
        dedupeKey: `run:${guid}`,
        deliveryId: guid,
        installationId: 2,
        repository: "o/r",
        payload: "{}",
        state: "done",
      },
    });
  }

  it("redelivers a failed delivery ci-medic never recorded, with the App's JWT, and leaves the rest alone", async () => {
    const lost = randomUUID();
    const answeredLate = randomUUID(); // GitHub gave up waiting, but ci-medic had recorded it
    const recoveredBefore = randomUUID(); // failed once, a redelivery succeeded
    const fine = randomUUID();
    await recorded(answeredLate);
    const gh = mockGitHub({ owner: "o", repo: "r" });
    const auth: string[] = [];
    const posted: string[] = [];
    gh.api
      .get("/app/hook/deliveries")
      .query({ per_page: "100" })
      .reply(function () {
        auth.push(String(this.req.headers.authorization));
        return [
          200,
          [
            delivery({ id: 105, guid: recoveredBefore, ago: 1 * HOUR, status: 200, redelivery: true }),
            delivery({ id: 104, guid: fine, ago: 2 * HOUR, status: 200 }),
            delivery({ id: 103, guid: answeredLate, ago: 3 * HOUR, status: 0 }),
            delivery({ id: 102, guid: recoveredBefore, ago: 4 * HOUR, status: 500 }),
            delivery({ id: 101, guid: lost, ago: 5 * HOUR, status: 0 }),
          ],
        ];
      })
      .post("/app/hook/deliveries/101/attempts")
      .reply(function (uri) {
        posted.push(uri);
        auth.push(String(this.req.headers.authorization));
        return [202, {}];
      });

    await recover();

    gh.done();
    expect(posted).toEqual(["/app/hook/deliveries/101/attempts"]);
    // An App JWT (three base64url parts), not an installation token.
    for (const header of auth) expect(header).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/i);
    const text = await app.runtime().metrics.render();
    expect(text).toContain('ci_medic_webhook_redeliveries_total{outcome="requested"} 1');
    expect(text).toContain('ci_medic_webhook_redeliveries_total{outcome="recorded"} 1');
    expect(app.logs.text).toContain("asked GitHub to redeliver failed webhook deliveries");
  });

  it("follows the cursor in the link header, and stops at deliveries older than the age bound", async () => {
    const page1 = [randomUUID(), randomUUID()];
    const page2 = [randomUUID(), randomUUID()];
    const gh = mockGitHub({ owner: "o", repo: "r" });
    const next = (cursor: string) => ({
      link: `<https://api.github.com/app/hook/deliveries?per_page=100&cursor=${cursor}>; rel="next"`,
    });
    gh.api
      .get("/app/hook/deliveries")
      .query({ per_page: "100" })
      .reply(
        200,
        [
          delivery({ id: 204, guid: page1[0]!, ago: 1 * HOUR, status: 502 }),
          delivery({ id: 203, guid: page1[1]!, ago: 2 * HOUR, status: 0 }),
        ],
        next("v1_203"),
      )
      .get("/app/hook/deliveries")
      .query({ per_page: "100", cursor: "v1_203" })
      .reply(
        200,
        [
          delivery({ id: 202, guid: page2[0]!, ago: 3 * HOUR, status: 503 }),
          // Past the bound (older than RETENTION_DAYS and GitHub's 3 days): neither redelivered nor paged past.
          delivery({ id: 201, guid: page2[1]!, ago: RECOVERY_LIMITS.maxAgeMs + HOUR, status: 0 }),
        ],
        next("v1_201"),
      );
    for (const id of [204, 203, 202]) gh.api.post(`/app/hook/deliveries/${id}/attempts`).reply(202, {});

    await recover();

    gh.done(); // no third page was asked for, no redelivery of 201
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("asks at most maxRedeliveries per pass (oldest first), and gives up on an event that failed 3 times", async () => {
    const gh = mockGitHub({ owner: "o", repo: "r" });
    const hopeless = randomUUID();
    const items = [
      delivery({ id: 9003, guid: hopeless, ago: 10 * 60_000, status: 500, redelivery: true }),
      delivery({ id: 9002, guid: hopeless, ago: 20 * 60_000, status: 500, redelivery: true }),
      delivery({ id: 9001, guid: hopeless, ago: 30 * 60_000, status: 500 }),
    ];
    const total = RECOVERY_LIMITS.maxRedeliveries + 5;
    for (let i = 0; i < total; i++)
      items.push(delivery({ id: 5000 + i, guid: randomUUID(), ago: HOUR + (total - i) * 60_000, status: 0 }));
    gh.api.get("/app/hook/deliveries").query({ per_page: "100" }).reply(200, items);
    const asked: number[] = [];
    gh.api
      .post(/^\/app\/hook\/deliveries\/\d+\/attempts$/)
      .times(RECOVERY_LIMITS.maxRedeliveries)
      .reply((uri) => {
        asked.push(Number(uri.split("/")[4]));
        return [202, {}];
      });

    await recover();

    gh.done();
    // The oldest 50 (ids 5000 to 5049), none of the hopeless event's attempts.
    expect(asked).toHaveLength(RECOVERY_LIMITS.maxRedeliveries);
    expect([Math.min(...asked), Math.max(...asked)]).toEqual([5000, 5000 + RECOVERY_LIMITS.maxRedeliveries - 1]);
    expect(asked).not.toContain(9003);
    const text = await app.runtime().metrics.render();
    expect(text).toContain('ci_medic_webhook_redeliveries_total{outcome="over_limit"} 5');
    expect(text).toContain('ci_medic_webhook_redeliveries_total{outcome="given_up"} 1');
  });

  it("one scheduled pass per time slot across processes, and one pass at each start", async () => {
    const rt = app.runtime();
    const now = () => Date.parse("2026-12-03T12:00:30Z");
    // Two processes on one database, their timers firing in the same 10-minute slot.
    const schedules = [0, 1].map(() =>
      scheduleDeliveryRecovery({ queue: rt.queue, wake: () => {}, log: rt.log, now, intervalMs: 40 }),
    );
    await new Promise((r) => setTimeout(r, 100));
    for (const s of schedules) s.stop();
    const keys = (await app.db.job.findMany({ where: { kind: "recover-deliveries" } })).map((j) => j.dedupeKey);
    expect(keys.filter((k) => k.startsWith("recover-deliveries:start:"))).toHaveLength(2);
    expect(keys.filter((k) => !k.startsWith("recover-deliveries:start:"))).toEqual([
      `recover-deliveries:every:${Math.floor(now() / 40)}`,
    ]);
  });
});
