// The connections panel's rules, with no DOM and no model, so tests can call them directly.
// Python owns the records, their order and their status; these decide what a view shows of them.
import { isObject } from "./bridge";

export type RowStatus = "failed" | "lost" | "not_connected" | "connected";

/** One row as the kernel syncs it (`ConnectionsPanel.rows`): what the table shows, no token. */
export interface Row {
  id: number;
  name: string;
  provider: string | null;
  status: RowStatus;
  error: string | null;
  when: string | null;
  when_kind: "authorized" | "lost" | "failed" | null;
}

export interface Badge {
  text: string;
  color: string;
  background: string;
}

const BADGES: Record<RowStatus, Badge> = {
  failed: { text: "Failed", color: "#c92a2a", background: "#ffe3e3" },
  lost: { text: "Lost", color: "#d9480f", background: "#fff4e6" },
  not_connected: { text: "Not connected", color: "#495057", background: "#f1f3f5" },
  connected: { text: "Connected", color: "#2b8a3e", background: "#ebfbee" },
};

/** The status filter's choices, in the table's order (problems first). */
export const STATUS_CHOICES: ReadonlyArray<{ value: "" | RowStatus; label: string }> = [
  { value: "", label: "All statuses" },
  { value: "failed", label: "Failed" },
  { value: "lost", label: "Lost" },
  { value: "not_connected", label: "Not connected" },
  { value: "connected", label: "Connected" },
];

const STATUSES = new Set<string>(Object.keys(BADGES));
const WHEN_KINDS = new Set<string>(["authorized", "lost", "failed"]);
const REF_PREFIX = "anywidget:";

const textOrNull = (value: unknown): string | null => (typeof value === "string" ? value : null);

/** The badge of a status: its words and colours. */
export function badge(status: RowStatus): Badge {
  return BADGES[status];
}

/** The synced rows, each checked; a malformed one is dropped rather than drawn half. */
export function parseRows(value: unknown): Row[] {
  if (!Array.isArray(value)) return [];
  const rows: Row[] = [];
  for (const item of value) {
    if (!isObject(item)) continue;
    const { id, name, status } = item;
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) continue;
    if (typeof name !== "string" || typeof status !== "string" || !STATUSES.has(status)) continue;
    const kind = textOrNull(item.when_kind);
    rows.push({
      id,
      name,
      provider: textOrNull(item.provider),
      status: status as RowStatus,
      error: textOrNull(item.error),
      when: textOrNull(item.when),
      when_kind: kind !== null && WHEN_KINDS.has(kind) ? (kind as Row["when_kind"]) : null,
    });
  }
  return rows;
}

/** The opened rows' widget refs (`"anywidget:<model id>"`) by connection id. */
export function parseRefs(value: unknown): Map<number, string> {
  const refs = new Map<number, string>();
  if (!isObject(value)) return refs;
  for (const [key, ref] of Object.entries(value)) {
    const id = Number(key);
    if (!Number.isSafeInteger(id) || id <= 0 || String(id) !== key) continue;
    if (typeof ref !== "string" || !ref.startsWith(REF_PREFIX) || ref === REF_PREFIX) continue;
    refs.set(id, ref);
  }
  return refs;
}

/** Whether a row passes the filter box (name or provider, case-insensitive) and the status. */
export function matches(row: Row, text: string, status: string): boolean {
  if (status && row.status !== status) return false;
  const needle = text.trim().toLocaleLowerCase();
  if (!needle) return true;
  return (
    row.name.toLocaleLowerCase().includes(needle) ||
    (row.provider ?? "").toLocaleLowerCase().includes(needle)
  );
}

/** "5 connections · 1 failed · 1 lost": the counts, problems first, zero counts left out. */
export function summary(rows: readonly Row[]): string {
  const counts = new Map<RowStatus, number>();
  for (const row of rows) counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
  const parts = [`${rows.length} connection${rows.length === 1 ? "" : "s"}`];
  for (const { value } of STATUS_CHOICES) {
    const count = value ? counts.get(value) : undefined;
    if (value && count) parts.push(`${count} ${badge(value).text.toLowerCase()}`);
  }
  return parts.join(" · ");
}

/** What the message line says when rows exist but the filters hide them all, else null. */
export function noMatchText(
  total: number,
  shown: number,
  text: string,
  status: string,
): string | null {
  if (total === 0 || shown > 0) return null;
  const label = STATUS_CHOICES.find((c) => c.value === status)?.label.toLowerCase();
  const what = [text.trim() && `“${text.trim()}”`, status && label].filter(Boolean).join(" and ");
  return `No connection matches ${what || "the filters"}.`;
}

/** "Authorized 3 min ago", "Lost 2 h ago", "Failed just now"; "" when the row has no time. */
export function whenText(row: Row, now: number): string {
  if (row.when === null || row.when_kind === null) return "";
  const at = Date.parse(row.when);
  if (Number.isNaN(at)) return "";
  const verb = { authorized: "Authorized", lost: "Lost", failed: "Failed" }[row.when_kind];
  const seconds = Math.max(0, (now - at) / 1000);
  let ago: string;
  if (seconds < 45) ago = "just now";
  else if (seconds < 3600) ago = `${Math.max(1, Math.round(seconds / 60))} min ago`;
  else if (seconds < 86_400) ago = `${Math.round(seconds / 3600)} h ago`;
  else if (seconds < 30 * 86_400) ago = `${Math.round(seconds / 86_400)} d ago`;
  else ago = `on ${new Date(at).toISOString().slice(0, 10)}`;
  return `${verb} ${ago}`;
}

/** What the kernel may tell one panel view: only `hello` (its `ready` was heard). */
export function isHello(content: unknown, view: string): boolean {
  return isObject(content) && content.kind === "hello" && content.view === view;
}

/**
 * Which opened rows can stay where they are in the DOM while the rows are put in `desired`
 * order: the longest run of `current` (their DOM order) that `desired` keeps in the same order.
 * Moving an element that holds an iframe reloads the iframe, so the view moves every other row
 * around these instead.
 */
export function rowsToKeep(current: readonly number[], desired: readonly number[]): Set<number> {
  const position = new Map(current.map((id, index) => [id, index]));
  const sequence = desired.filter((id) => position.has(id));
  // Longest increasing subsequence of positions, O(n log n), with back links to rebuild it.
  const tails: number[] = []; // tails[k]: index into `sequence` ending the best run of length k+1
  const previous: number[] = new Array(sequence.length).fill(-1);
  sequence.forEach((id, i) => {
    const at = position.get(id)!;
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (position.get(sequence[tails[mid]])! < at) low = mid + 1;
      else high = mid;
    }
    if (low > 0) previous[i] = tails[low - 1];
    tails[low] = i;
  });
  const keep = new Set<number>();
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = previous[i]) {
    keep.add(sequence[i]);
  }
  return keep;
}
