/** The dev server's gRPC requests to its frontend by operation, from its Prometheus `service_requests` counters. */
export type RequestCounts = Map<string, number>;

const LINE = /^service_requests\{([^}]*)\}\s+([0-9.eE+-]+)$/;

export async function frontendRequests(metricsUrl: string): Promise<RequestCounts> {
  const text = await (await fetch(metricsUrl)).text();
  const counts: RequestCounts = new Map();
  for (const line of text.split('\n')) {
    const match = LINE.exec(line);
    if (!match || !match[1]!.includes('service_name="frontend"')) continue;
    const operation = /operation="([^"]+)"/.exec(match[1]!)?.[1];
    if (operation) counts.set(operation, (counts.get(operation) ?? 0) + Number(match[2]));
  }
  return counts;
}

/** Requests per unit (e.g. per chunk) between two snapshots, most frequent first. */
export function requestsPer(
  before: RequestCounts,
  after: RequestCounts,
  units: number,
  top = 8,
): Array<{ operation: string; per: number }> {
  return [...after]
    .map(([operation, count]) => ({ operation, per: (count - (before.get(operation) ?? 0)) / units }))
    .filter((r) => r.per > 0)
    .sort((a, b) => b.per - a.per)
    .slice(0, top);
}
