import { describe, expect, test } from "vitest";
import {
  chartBars,
  duration,
  parseProgress,
  parseRefs,
  parseRows,
  parseSummary,
  progressFraction,
  progressText,
  segmentTitle,
  shownText,
} from "./health_rules";

const ROW = {
  id: "c003", name: "Customer 3", external_id: "EXT-3", state: "failed", connected: 2,
  failed: 1, lost: 0, not_connected: 0, stopped_recipes: 1, problem: "Jira: refused",
}; // prettier-ignore

describe("parseRows", () => {
  test("keeps well-formed rows and drops malformed ones", () => {
    const rows = parseRows([ROW, { ...ROW, id: 3 }, { ...ROW, state: "weird" }, null, "x"]);
    expect(rows).toEqual([ROW]);
  });

  test("reads counts defensively and keeps a missing recipe count as null", () => {
    const [row] = parseRows([{ ...ROW, failed: -2, lost: "3", stopped_recipes: null }]);
    expect(row.failed).toBe(0);
    expect(row.lost).toBe(0);
    expect(row.stopped_recipes).toBeNull();
  });

  test("anything but a list is no rows", () => {
    expect(parseRows({ rows: [ROW] })).toEqual([]);
  });
});

describe("progress", () => {
  test("a running scan says read of total, elapsed, and the time left", () => {
    const p = parseProgress({ state: "scanning", read: 312, total: 1000, elapsed: 21.4, eta: 46.2 });
    expect(progressText(p)).toBe("312 of 1,000 customers read · 0:21 elapsed · about 0:46 left");
    expect(progressFraction(p)).toBeCloseTo(0.312);
  });

  test("before the first customer is read there is no estimate", () => {
    const p = parseProgress({ state: "scanning", read: 0, total: 50, elapsed: 1, eta: null });
    expect(progressText(p)).toBe("0 of 50 customers read · 0:01 elapsed");
  });

  test("listing, done, stopped and failed scans each say so", () => {
    expect(progressText(parseProgress({ state: "listing", elapsed: 2 }))).toBe("Listing customers… 0:02");
    const done = parseProgress({ state: "done", read: 1000, total: 1000, elapsed: 3725 });
    expect(progressText(done)).toBe("1,000 customers read in 1:02:05");
    expect(progressFraction(done)).toBe(1);
    const stopped = parseProgress({ state: "stopped", read: 3, total: 9, elapsed: 5 });
    expect(progressText(stopped)).toBe("Stopped: 3 of 9 customers read in 0:05");
    expect(progressText(parseProgress({ state: "failed", elapsed: 1 }))).toBe("Scan failed after 0:01");
  });

  test("garbage is an idle scan", () => {
    const p = parseProgress("nope");
    expect(p).toEqual({ state: "idle", read: 0, total: null, elapsed: 0, eta: null });
    expect(progressText(p)).toBe("Not scanned yet");
    expect(progressFraction(p)).toBe(0);
  });

  test("durations round to seconds", () => {
    expect(duration(0)).toBe("0:00");
    expect(duration(59.6)).toBe("1:00");
    expect(duration(-3)).toBe("0:00");
  });
});

describe("the summary chart", () => {
  const summary = parseSummary({
    customers: { failed: 1, lost: 1, healthy: 2 },
    connections: { connected: 6, failed: 1, lost: 1 },
    providers: [
      { provider: "jira", connected: 3, failed: 1 },
      { provider: "slack", connected: 1, lost: 1 },
    ],
  });

  test("each bar is stacked by state in order, scaled to its total", () => {
    const [customers, connections] = chartBars(summary, 100);
    expect(customers.segments.map((s) => [s.state, s.x, s.width])).toEqual([
      ["failed", 0, 25],
      ["lost", 25, 25],
      ["healthy", 50, 50],
    ]);
    expect(connections.total).toBe(8);
    expect(connections.segments.map((s) => s.state)).toEqual(["failed", "lost", "connected"]);
  });

  test("providers share one scale, so their lengths compare", () => {
    const [, , jira, slack] = chartBars(summary, 100);
    expect(jira.segments.reduce((w, s) => w + s.width, 0)).toBe(100);
    expect(slack.segments.reduce((w, s) => w + s.width, 0)).toBe(50);
    expect(segmentTitle(slack, slack.segments[0])).toBe("slack: Lost 1 connection");
  });

  test("an empty summary draws empty bars", () => {
    const bars = chartBars(parseSummary(undefined), 100);
    expect(bars.map((b) => b.total)).toEqual([0, 0]);
  });
});

test("refs are read by customer id and only when they are anywidget refs", () => {
  expect(parseRefs({ c1: "anywidget:abc", c2: "http://x", c3: 4, c4: "anywidget:" })).toEqual(
    new Map([["c1", "anywidget:abc"]]),
  );
});

test("the note says when the page draws fewer rows than the filters let through", () => {
  expect(shownText(200, 1234, 1234, false)).toBe(
    "Showing the first 200 of 1,234 customers (problems first); filter to narrow.",
  );
  expect(shownText(0, 0, 10, true)).toBe("No customer matches the filters.");
  expect(shownText(10, 10, 10, false)).toBe("");
  expect(shownText(0, 0, 0, false)).toBe("");
});
