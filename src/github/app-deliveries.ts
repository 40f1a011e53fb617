import type { Octokit } from "./octokit.js";

// The App's webhook deliveries as GitHub keeps them (`GET /app/hook/deliveries`, newest first, paginated with a
// `cursor` in the `link` header) and the redelivery request. Both need the App's JWT (`app.auth()` without an
// installation), not an installation token.

export interface Delivery {
  /** This attempt's id: a redelivery gets a new one. */
  id: number;
  /** The event's id (X-GitHub-Delivery), shared by every attempt to deliver it. */
  guid: string;
  deliveredAt: Date;
  redelivery: boolean;
  /** 0 when GitHub got no answer (refused, timed out). */
  statusCode: number;
  event: string;
  action: string | null;
}

/**
 * The deliveries made since `since`, newest first: pages of 100 until one reaches past `since`, or `maxPages` pages
 * were read.
 */
export async function recentDeliveries(
  octokit: Octokit,
  opts: { since: Date; maxPages: number },
): Promise<{ deliveries: Delivery[]; complete: boolean }> {
  const deliveries: Delivery[] = [];
  let pages = 0;
  for await (const page of octokit.paginate.iterator("GET /app/hook/deliveries", { per_page: 100 })) {
    pages++;
    for (const item of page.data) {
      const deliveredAt = new Date(item.delivered_at);
      if (deliveredAt < opts.since) return { deliveries, complete: true };
      deliveries.push({
        id: item.id,
        guid: item.guid,
        deliveredAt,
        redelivery: item.redelivery,
        statusCode: item.status_code,
        event: item.event,
        action: item.action ?? null,
      });
    }
    if (pages >= opts.maxPages) return { deliveries, complete: false };
  }
  return { deliveries, complete: true };
}

/** Asks GitHub to deliver this attempt's event again (202: queued by GitHub). */
export async function redeliver(octokit: Octokit, deliveryId: number): Promise<void> {
  await octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: deliveryId });
}
