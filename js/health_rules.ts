// The account-health view's rules, with no DOM and no model, so tests call them directly.
// Python owns the rows, their order, the filters' result and the counts; these decide how a view
// draws them: the progress line, the summary chart's geometry, and what a row says.
import { isObject } from "./bridge";

export type HealthState =
  | "error"
  | "failed"
  | "lost"
  | "recipes_stopped"
  | "not_connected"
  | "healthy";
export type ConnectionState = "connected" | "failed" | "lost" | "not_connected";

/** One customer as the kernel syncs it (`AccountHealth.rows`): what the table shows, no token. */
export interface HealthRow {
  id: string;
  name: string;
  external_id: string | null;
  state: HealthState;
  connected: number;
  failed: number;
  lost: number;
  not_connected: number;
  stopped_recipes: number | null;
  problem: string | null;
}

export interface Progress {
  state: "idle" | "listing" | "scanning" | "done" | "stopped" | "failed";
  read: number;
  total: number | null;
  elapsed: number;
  eta: number | null;
}

export interface Summary {
  customers: Record<HealthState, number>;
  connections: Record<ConnectionState, number>;
  providers: Array<{ provider: string } & Record<ConnectionState, number>>;
}

export const HEALTH_STATES: readonly HealthState[] = [
  "error", "failed", "lost", "recipes_stopped", "not_connected", "healthy",
]; // prettier-ignore
export const CONNECTION_STATES: readonly ConnectionState[] = [
  "failed", "lost", "not_connected", "connected",
]; // prettier-ignore

export const LABELS: Record<HealthState | ConnectionState, string> = {
  error: "Read failed",
  failed: "Failed",
  lost: "Lost",
  recipes_stopped: "Recipe stopped",
  not_connected: "Never authorized",
  healthy: "Healthy",
  connected: "Connected",
};

export const COLORS: Record<HealthState | ConnectionState, string> = {
  error: "#862e9c",
  failed: "#c92a2a",
  lost: "#e8590c",
  recipes_stopped: "#f08c00",
  not_connected: "#868e96",
  healthy: "#2b8a3e",
  connected: "#2b8a3e",
};

/** The state filter's choices; the kernel filters, the view only sets `state_filter`. */
export const STATE_CHOICES: ReadonlyArray<{ value: string; label: string }> = [
  { value: "", label: "All customers" },
  { value: "problems", label: "With problems" },
  ...HEALTH_STATES.map((state) => ({ value: state, label: LABELS[state] })),
];

const PROGRESS_STATES = new Set(["idle", "listing", "scanning", "done", "stopped", "failed"]);
const REF_PREFIX = "anywidget:";
const count = (value: unknown): number =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.floor(value) : 0;
const textOrNull = (value: unknown): string | null => (typeof value === "string" ? value : null);

/** The synced rows, each checked; a malformed one is dropped rather than drawn half. */
export function parseRows(value: unknown): HealthRow[] {
  if (!Array.isArray(value)) return [];
  const rows: HealthRow[] = [];
  for (const item of value) {
    if (!isObject(item)) continue;
    const { id, name, state } = item;
    if (typeof id !== "string" || !id || typeof name !== "string") continue;
    if (typeof state !== "string" || !(HEALTH_STATES as readonly string[]).includes(state)) continue;
    const stopped = item.stopped_recipes;
    rows.push({
      id,
      name,
      external_id: textOrNull(item.external_id),
      state: state as HealthState,
      connected: count(item.connected),
      failed: count(item.failed),
      lost: count(item.lost),
      not_connected: count(item.not_connected),
      stopped_recipes: typeof stopped === "number" ? count(stopped) : null,
      problem: textOrNull(item.problem),
    });
  }
  return rows;
}

export function parseProgress(value: unknown): Progress {
  const item = isObject(value) ? value : {};
  const state = typeof item.state === "string" && PROGRESS_STATES.has(item.state) ? item.state : "idle";
  const total = typeof item.total === "number" ? count(item.total) : null;
  const eta = typeof item.eta === "number" && Number.isFinite(item.eta) ? Math.max(0, item.eta) : null;
  const elapsed = typeof item.elapsed === "number" && Number.isFinite(item.elapsed) ? item.elapsed : 0;
  return { state: state as Progress["state"], read: count(item.read), total, elapsed, eta };
}

export function parseSummary(value: unknown): Summary {
  const item = isObject(value) ? value : {};
  const customers = isObject(item.customers) ? item.customers : {};
  const connections = isObject(item.connections) ? item.connections : {};
  const providers = Array.isArray(item.providers) ? item.providers : [];
  return {
    customers: Object.fromEntries(HEALTH_STATES.map((s) => [s, count(customers[s])])) as Summary["customers"],
    connections: Object.fromEntries(
      CONNECTION_STATES.map((s) => [s, count(connections[s])]),
    ) as Summary["connections"],
    providers: providers.filter(isObject).map((p) => ({
      provider: typeof p.provider === "string" ? p.provider : "?",
      ...(Object.fromEntries(CONNECTION_STATES.map((s) => [s, count(p[s])])) as Record<ConnectionState, number>),
    })),
  };
}

/** The opened customers' panel refs (`"anywidget:<model id>"`) by customer id. */
export function parseRefs(value: unknown): Map<string, string> {
  const refs = new Map<string, string>();
  if (!isObject(value)) return refs;
  for (const [key, ref] of Object.entries(value)) {
    if (typeof ref === "string" && ref.startsWith(REF_PREFIX) && ref !== REF_PREFIX) refs.set(key, ref);
  }
  return refs;
}

/** "0:07", "12:34", "1:02:03". */
export function duration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

const number = (n: number): string => n.toLocaleString("en-US");

/** The progress line: customers read of total, elapsed, and the time left at the measured rate. */
export function progressText(p: Progress): string {
  const of = p.total === null ? `${number(p.read)}` : `${number(p.read)} of ${number(p.total)}`;
  switch (p.state) {
    case "idle":
      return "Not scanned yet";
    case "listing":
      return `Listing customers… ${duration(p.elapsed)}`;
    case "scanning": {
      const left = p.eta === null ? "" : ` · about ${duration(p.eta)} left`;
      return `${of} customers read · ${duration(p.elapsed)} elapsed${left}`;
    }
    case "done":
      return `${number(p.read)} customers read in ${duration(p.elapsed)}`;
    case "stopped":
      return `Stopped: ${of} customers read in ${duration(p.elapsed)}`;
    case "failed":
      return `Scan failed after ${duration(p.elapsed)}`;
  }
}

/** How full the progress bar is, 0 to 1. */
export function progressFraction(p: Progress): number {
  if (p.state === "done") return 1;
  if (!p.total) return 0;
  return Math.min(1, p.read / p.total);
}

export function isRunning(p: Progress): boolean {
  return p.state === "listing" || p.state === "scanning";
}

/** One segment of a stacked bar, in the chart's units (0 to `width`). */
export interface Segment {
  state: HealthState | ConnectionState;
  value: number;
  x: number;
  width: number;
  color: string;
}

export interface Bar {
  label: string;
  total: number;
  segments: Segment[];
}

/** A stacked bar of `counts` in `order`, scaled so that `scale` fills `width` (zeros left out). */
export function stack<S extends HealthState | ConnectionState>(
  label: string,
  counts: Record<S, number>,
  order: readonly S[],
  width: number,
  scale: number,
): Bar {
  const total = order.reduce((sum, state) => sum + counts[state], 0);
  const segments: Segment[] = [];
  let x = 0;
  for (const state of order) {
    const value = counts[state];
    if (!value) continue;
    const w = scale > 0 ? (value / scale) * width : 0;
    segments.push({ state, value, x, width: w, color: COLORS[state] });
    x += w;
  }
  return { label, total, segments };
}

/** The summary chart's bars: customers by state, connections by state, then each provider's
 *  connections by state (providers share one scale, so their lengths compare). */
export function chartBars(summary: Summary, width: number): Bar[] {
  const customers = stack("Customers", summary.customers, HEALTH_STATES, width, 0);
  const connections = stack("Connections", summary.connections, CONNECTION_STATES, width, 0);
  const bars = [
    stack("Customers", summary.customers, HEALTH_STATES, width, customers.total),
    stack("Connections", summary.connections, CONNECTION_STATES, width, connections.total),
  ];
  const widest = Math.max(0, ...summary.providers.map((p) => CONNECTION_STATES.reduce((s, k) => s + p[k], 0)));
  for (const p of summary.providers) bars.push(stack(p.provider, p, CONNECTION_STATES, width, widest));
  return bars;
}

/** A segment's tooltip: "Lost: 12 connections". */
export function segmentTitle(bar: Bar, segment: Segment): string {
  const unit = bar.label === "Customers" ? "customer" : "connection";
  return `${bar.label}: ${LABELS[segment.state]} ${number(segment.value)} ${unit}${segment.value === 1 ? "" : "s"}`;
}

/** The note under the table: how many rows the filters let through and how many are drawn. */
export function shownText(drawn: number, matching: number, read: number, filtered: boolean): string {
  if (read === 0) return "";
  if (matching === 0) return filtered ? "No customer matches the filters." : "";
  if (drawn < matching) {
    return `Showing the first ${number(drawn)} of ${number(matching)} customers (problems first); filter to narrow.`;
  }
  return "";
}
