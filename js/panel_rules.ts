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
  /** The recipes using the connection; null when recipes were not read. */
  recipes: RecipeSummary | null;
}

/** A row's recipe summary (`ConnectionsPanel.rows[i].recipes`). */
export interface RecipeSummary {
  count: number;
  stopped: number;
  trigger_errors: number;
  last_failed_at: string | null;
  last_job_failed: boolean | null;
  last_job_at: string | null;
}

/** A recipe's newest job as an opened row shows it. */
export interface JobView {
  id: string;
  at: string | null;
  failed: boolean;
  error: string | null;
  step: string | null;
}

/** One recipe under an opened row (`ConnectionsPanel.recipes[id][i]`). */
export interface RecipeView {
  id: number;
  name: string;
  running: boolean;
  stop_cause: string | null;
  stopped_at: string | null;
  last_job: JobView | null;
}

/** A Start asked for from the page, as the kernel reports it back. */
export interface RecipeAction {
  state: "starting" | "started" | "failed";
  message: string | null;
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
const count = (value: unknown): number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : 0;
const isId = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0;

const STOP_CAUSES: Record<string, string> = {
  trigger_errors_limit: "stopped after too many trigger errors in a row",
  action_quota_limit: "stopped: action quota reached",
  trial_expired: "stopped: the trial expired",
  txn_quota_limit: "stopped: transaction quota reached",
};

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
      recipes: parseSummary(item.recipes),
    });
  }
  return rows;
}

function parseSummary(value: unknown): RecipeSummary | null {
  if (!isObject(value)) return null;
  const failed = value.last_job_failed;
  return {
    count: count(value.count),
    stopped: count(value.stopped),
    trigger_errors: count(value.trigger_errors),
    last_failed_at: textOrNull(value.last_failed_at),
    last_job_failed: typeof failed === "boolean" ? failed : null,
    last_job_at: textOrNull(value.last_job_at),
  };
}

function parseJob(value: unknown): JobView | null {
  if (!isObject(value) || typeof value.id !== "string") return null;
  return {
    id: value.id,
    at: textOrNull(value.at),
    failed: value.failed === true,
    error: textOrNull(value.error),
    step: textOrNull(value.step),
  };
}

/** The opened rows' recipes by connection id, each checked; a malformed one is dropped. */
export function parseRecipes(value: unknown): Map<number, RecipeView[]> {
  const byRow = new Map<number, RecipeView[]>();
  if (!isObject(value)) return byRow;
  for (const [key, list] of Object.entries(value)) {
    const id = Number(key);
    if (!isId(id) || String(id) !== key || !Array.isArray(list)) continue;
    const recipes: RecipeView[] = [];
    for (const item of list) {
      if (!isObject(item) || !isId(item.id) || typeof item.name !== "string") continue;
      recipes.push({
        id: item.id,
        name: item.name,
        running: item.running === true,
        stop_cause: textOrNull(item.stop_cause),
        stopped_at: textOrNull(item.stopped_at),
        last_job: parseJob(item.last_job),
      });
    }
    byRow.set(id, recipes);
  }
  return byRow;
}

/** The kernel's answers to the page's Start requests, by recipe id. */
export function parseActions(value: unknown): Map<number, RecipeAction> {
  const actions = new Map<number, RecipeAction>();
  if (!isObject(value)) return actions;
  for (const [key, item] of Object.entries(value)) {
    const id = Number(key);
    if (!isId(id) || String(id) !== key || !isObject(item)) continue;
    const state = item.state;
    if (state !== "starting" && state !== "started" && state !== "failed") continue;
    actions.set(id, { state, message: textOrNull(item.message) });
  }
  return actions;
}

/** "3 min ago", "just now", "on 2024-05-01"; "" for a missing or unreadable time. */
export function agoText(when: string | null, now: number): string {
  if (when === null) return "";
  const at = Date.parse(when);
  if (Number.isNaN(at)) return "";
  const seconds = Math.max(0, (now - at) / 1000);
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  if (seconds < 30 * 86_400) return `${Math.round(seconds / 86_400)} d ago`;
  return `on ${new Date(at).toISOString().slice(0, 10)}`;
}

/**
 * A row's Recipes cell: "2 recipes · 1 stopped · last job failed 3 min ago"; "" when recipes
 * were not read, "No recipes" when none uses the connection.
 */
export function recipeSummaryText(summary: RecipeSummary | null, now: number): string {
  if (summary === null) return "";
  if (summary.count === 0) return "No recipes";
  const parts = [`${summary.count} recipe${summary.count === 1 ? "" : "s"}`];
  if (summary.stopped) parts.push(`${summary.stopped} stopped`);
  if (summary.last_job_failed === true) {
    const ago = agoText(summary.last_job_at, now);
    parts.push(`last job failed${ago ? ` ${ago}` : ""}`);
  } else if (summary.last_job_failed === false) {
    const ago = agoText(summary.last_job_at, now);
    parts.push(`last job succeeded${ago ? ` ${ago}` : ""}`);
    if (summary.last_failed_at) parts.push(`last failure ${agoText(summary.last_failed_at, now)}`);
  }
  return parts.join(" · ");
}

/** The warning a row shows when one of its recipes stopped on trigger errors, else "". */
export function recipeWarning(summary: RecipeSummary | null): string {
  if (summary === null || summary.trigger_errors === 0) return "";
  const which = summary.trigger_errors === 1 ? "A recipe" : `${summary.trigger_errors} recipes`;
  return `⚠ ${which} stopped on trigger errors`;
}

/** A recipe's state: "Running", or "Stopped" with why. */
export function recipeStateText(recipe: RecipeView): string {
  if (recipe.running) return "Running";
  const cause = recipe.stop_cause === null ? null : STOP_CAUSES[recipe.stop_cause];
  if (cause) return cause.charAt(0).toUpperCase() + cause.slice(1);
  return recipe.stop_cause ? `Stopped (${recipe.stop_cause})` : "Stopped";
}

/** "Last job failed 2 min ago at step 3: salesforce search: <error>", or "" with no job. */
export function lastJobText(recipe: RecipeView, now: number): string {
  const job = recipe.last_job;
  if (job === null) return "";
  const ago = agoText(job.at, now);
  const head = `Last job ${job.failed ? "failed" : "succeeded"}${ago ? ` ${ago}` : ""}`;
  if (!job.failed) return head;
  const where = job.step ? ` at ${job.step}` : "";
  return `${head}${where}${job.error ? `: ${job.error}` : ""}`;
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
  if (row.when_kind === null) return "";
  const ago = agoText(row.when, now);
  if (!ago) return "";
  const verb = { authorized: "Authorized", lost: "Lost", failed: "Failed" }[row.when_kind];
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
export function rowsToKeep<K>(current: readonly K[], desired: readonly K[]): Set<K> {
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
  const keep = new Set<K>();
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = previous[i]) {
    keep.add(sequence[i]);
  }
  return keep;
}
