// One view of an AccountHealth: the progress bar and Stop button, the summary chart, the filters,
// the table of customers, and each opened customer's ConnectionsPanel rendered under its row
// through anywidget's composition API. Decisions live in health_rules.ts; this file wires them.
import type { RenderProps } from "@anywidget/types";
import {
  COLORS,
  LABELS,
  STATE_CHOICES,
  chartBars,
  isRunning,
  parseProgress,
  parseRefs,
  parseRows,
  parseSummary,
  progressFraction,
  progressText,
  segmentTitle,
  shownText,
  type HealthRow,
} from "./health_rules";
import { KERNEL_WAIT_MS } from "./bridge";
import { TableView, arrangeRows, make, showChild, type TableTimings } from "./table_view";

/** Traits synced from an AccountHealth (Python -> JS; the filters go both ways). */
export interface HealthModel {
  frame_kind: "health";
  title: string;
  page_rows: unknown;
  matching: number;
  summary: unknown;
  progress: unknown;
  expanded: unknown;
  recipes: boolean;
  error: string | null;
  filter_text: string;
  state_filter: string;
}

const DEFAULTS: TableTimings = { kernelWaitMs: KERNEL_WAIT_MS, pingMs: 20_000 };
const SVG = "http://www.w3.org/2000/svg";
const CHART_WIDTH = 360;
const LABEL_WIDTH = 110;
const BAR_HEIGHT = 12;
const WATCHED = ["page_rows", "matching", "summary", "progress", "expanded", "error", "title",
  "filter_text", "state_filter"]; // prettier-ignore
const CSS = `
.workato-health { font-size: var(--jp-ui-font-size1, 13px); color: var(--jp-ui-font-color1, #1f2933); }
.workato-health-bar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 0 0 6px; }
.workato-health-title { font-weight: 600; margin-right: auto; }
.workato-health-track { flex: 1 1 200px; height: 8px; background: var(--jp-layout-color3, #e4e7eb);
  border-radius: 4px; overflow: hidden; }
.workato-health-fill { height: 100%; background: var(--jp-brand-color1, #1976d2); width: 0; }
.workato-health-progress-text { color: var(--jp-ui-font-color2, #52606d); }
.workato-health-message[data-kind="error"] { color: var(--jp-error-color1, #d32f2f); }
.workato-health-table { border-collapse: collapse; width: 100%; }
.workato-health-table th { text-align: left; font-weight: 600; padding: 4px 8px;
  border-bottom: 1px solid var(--jp-border-color1, #cbd2d9); }
.workato-health-row > td { padding: 4px 8px; border-bottom: 1px solid var(--jp-border-color2, #e4e7eb); }
.workato-health-row { cursor: pointer; }
.workato-health-row:hover { background: var(--jp-layout-color2, #f5f7fa); }
.workato-health-row td.n { text-align: right; font-variant-numeric: tabular-nums; }
.workato-health-toggle { all: unset; cursor: pointer; font-weight: 500; }
.workato-health-problem { color: var(--jp-error-color1, #c92a2a); }
.workato-health-detail > td { padding: 4px 8px 12px 24px; }
`;

interface Unit {
  row: HTMLTableRowElement;
  toggle: HTMLButtonElement;
  cells: HTMLTableCellElement[];
  detail: Detail | null;
}

/** An opened customer's row: its ConnectionsPanel, rendered into `slot` until `controller` aborts. */
interface Detail {
  tr: HTMLTableRowElement;
  ref: string;
  slot: HTMLElement;
  controller: AbortController;
}

/** Render one account-health view. Returns its cleanup; aborting `signal` cleans up too. */
export function render(props: RenderProps<HealthModel>): () => void {
  return mount(props, DEFAULTS);
}

/** render() with timings injected, so tests run deterministically. */
export function mount(
  { model, el, signal, host }: RenderProps<HealthModel>,
  options: TableTimings,
): () => void {
  const life = new TableView(model, options, () => paint());
  const { kernel, send, listening } = life;
  const container = make("div", "workato-health");
  container.dataset.view = life.id;
  const style = make("style");
  style.textContent = CSS;

  const bar = make("div", "workato-health-bar");
  const title = make("span", "workato-health-title");
  const track = make("div", "workato-health-track");
  track.setAttribute("role", "progressbar");
  track.setAttribute("aria-label", "Customers read");
  const fill = make("div", "workato-health-fill");
  track.append(fill);
  const progressLine = make("span", "workato-health-progress-text");
  const stop = make("button", "workato-health-stop", "Stop");
  const again = make("button", "workato-health-scan", "Scan");
  bar.append(title, track, progressLine, stop, again);

  const chart = document.createElementNS(SVG, "svg");
  chart.classList.add("workato-health-chart");
  chart.setAttribute("role", "img");

  const filters = make("div", "workato-health-bar");
  const filter = make("input", "workato-health-filter");
  filter.type = "search";
  filter.placeholder = "Filter by customer name or id";
  filter.setAttribute("aria-label", "Filter customers by name or id");
  const stateFilter = make("select", "workato-health-state-filter");
  stateFilter.setAttribute("aria-label", "Show customers in this state");
  for (const choice of STATE_CHOICES) stateFilter.add(new Option(choice.label, choice.value));
  filters.append(filter, stateFilter);

  const message = make("div", "workato-health-message");
  message.setAttribute("role", "status");
  const table = make("table", "workato-health-table");
  const headRow = table.createTHead().insertRow();
  const body = table.createTBody();
  const note = make("div", "workato-health-note");
  container.append(style, bar, chart, filters, message, table, note);
  el.append(container);

  const units = new Map<string, Unit>();
  let columns: string[] = [];
  let withRecipes = false;

  function header(recipes: boolean): void {
    const wanted = ["Customer", "External id", "State", "Connected", "Failed", "Lost",
      "Never authorized", ...(recipes ? ["Stopped recipes"] : []), "Worst problem"]; // prettier-ignore
    if (wanted.join() === columns.join()) return;
    columns = wanted;
    withRecipes = recipes;
    headRow.replaceChildren(...wanted.map((name) => make("th", "", name)));
    for (const unit of units.values()) drop(unit);
    units.clear();
  }

  function makeUnit(row: HealthRow): Unit {
    const tr = make("tr", "workato-health-row");
    tr.dataset.id = row.id;
    const cells = columns.map(() => tr.insertCell());
    const toggle = make("button", "workato-health-toggle");
    cells[0].append(toggle);
    cells.slice(3, columns.length - 1).forEach((cell) => (cell.className = "n"));
    cells[columns.length - 1].className = "workato-health-problem";
    return { row: tr, toggle, cells, detail: null };
  }

  function fill_(unit: Unit, row: HealthRow, opened: boolean): void {
    unit.toggle.textContent = `${opened ? "▾" : "▸"} ${row.name}`;
    unit.toggle.setAttribute("aria-expanded", String(opened));
    const values = [row.external_id ?? "", LABELS[row.state], row.connected, row.failed, row.lost,
      row.not_connected]; // prettier-ignore
    if (withRecipes) values.push(row.stopped_recipes ?? "");
    values.push(row.problem ?? "");
    values.forEach((value, i) => (unit.cells[i + 1].textContent = String(value)));
    unit.cells[2].style.color = COLORS[row.state];
    unit.row.dataset.state = row.state;
  }

  function drop(unit: Unit): void {
    if (unit.detail) {
      unit.detail.controller.abort();
      unit.detail.tr.remove();
    }
    unit.row.remove();
  }

  function paintChart(): void {
    const bars = chartBars(parseSummary(model.get("summary")), CHART_WIDTH);
    const shown = bars.filter((b) => b.total > 0);
    chart.replaceChildren();
    chart.style.display = shown.length ? "" : "none";
    const height = shown.length * (BAR_HEIGHT + 6);
    chart.setAttribute("width", String(LABEL_WIDTH + CHART_WIDTH + 60));
    chart.setAttribute("height", String(height));
    chart.setAttribute("aria-label", "Customers and connections by state, and by provider");
    shown.forEach((b, i) => {
      const y = i * (BAR_HEIGHT + 6);
      const label = document.createElementNS(SVG, "text");
      label.setAttribute("x", "0");
      label.setAttribute("y", String(y + BAR_HEIGHT - 2));
      label.setAttribute("font-size", "11");
      label.setAttribute("fill", "currentColor");
      label.textContent = b.label;
      chart.append(label);
      for (const s of b.segments) {
        const rect = document.createElementNS(SVG, "rect");
        rect.setAttribute("x", String(LABEL_WIDTH + s.x));
        rect.setAttribute("y", String(y));
        rect.setAttribute("width", String(Math.max(1, s.width)));
        rect.setAttribute("height", String(BAR_HEIGHT));
        rect.setAttribute("fill", s.color);
        rect.dataset.state = s.state;
        const tip = document.createElementNS(SVG, "title");
        tip.textContent = segmentTitle(b, s);
        rect.append(tip);
        chart.append(rect);
      }
      const total = document.createElementNS(SVG, "text");
      total.setAttribute("x", String(LABEL_WIDTH + CHART_WIDTH + 4));
      total.setAttribute("y", String(y + BAR_HEIGHT - 2));
      total.setAttribute("font-size", "11");
      total.setAttribute("fill", "currentColor");
      total.textContent = b.total.toLocaleString("en-US");
      chart.append(total);
    });
  }

  function paint(): void {
    title.textContent = model.get("title") ?? "";
    const text = model.get("filter_text") ?? "";
    const state = model.get("state_filter") ?? "";
    if (document.activeElement !== filter && filter.value !== text) filter.value = text;
    if (stateFilter.value !== state) stateFilter.value = state;
    container.dataset.live = String(kernel.hasAnswered);
    const waiting = kernel.text("table");
    const progress = parseProgress(model.get("progress"));
    const running = isRunning(progress);
    stop.disabled = !running || waiting !== null;
    again.disabled = running || waiting !== null;
    fill.style.width = `${(progressFraction(progress) * 100).toFixed(1)}%`;
    track.setAttribute("aria-valuenow", String(progress.read));
    track.setAttribute("aria-valuemax", String(progress.total ?? 0));
    container.dataset.scan = progress.state;
    progressLine.textContent = progressText(progress);
    if (waiting !== null) {
      table.style.display = "none";
      setMessage(waiting, kernel.isOffline ? "offline" : "info");
      return;
    }
    header(model.get("recipes") !== false);
    paintChart();
    const rows = parseRows(model.get("page_rows"));
    const refs = parseRefs(model.get("expanded"));
    const ids = new Set(rows.map((row) => row.id));
    for (const [id, unit] of units) {
      if (!ids.has(id)) {
        drop(unit);
        units.delete(id);
      }
    }
    for (const row of rows) {
      let unit = units.get(row.id);
      if (!unit) units.set(row.id, (unit = makeUnit(row)));
      const ref = refs.get(row.id);
      if (unit.detail && unit.detail.ref !== ref) {
        unit.detail.controller.abort();
        unit.detail.tr.remove();
        unit.detail = null;
      }
      if (ref !== undefined && !unit.detail) unit.detail = open(row.id, ref);
      fill_(unit, row, ref !== undefined);
    }
    arrangeRows(body, rows.map((row) => row.id), units, showAgain);
    table.style.display = rows.length ? "" : "none";
    const matching = Number(model.get("matching")) || 0;
    note.textContent = shownText(rows.length, matching, progress.read, Boolean(text || state));
    const error = model.get("error");
    setMessage(error ?? "", error ? "error" : "none");
  }

  function setMessage(text: string, kind: string): void {
    message.textContent = text;
    message.hidden = !text;
    message.dataset.kind = kind;
  }

  const showPanel = (ref: string, slot: HTMLElement, until: AbortSignal) =>
    showChild(host, ref, slot, until, "this customer's connections", "health.panels[id]");

  /** A moved opened row renders its panel again: the iframes in it reloaded with spent tokens. */
  function showAgain(detail: Detail): void {
    detail.controller.abort();
    detail.slot.replaceChildren();
    detail.controller = new AbortController();
    showPanel(detail.ref, detail.slot, detail.controller.signal);
  }

  function open(id: string, ref: string): Detail {
    const tr = make("tr", "workato-health-detail");
    tr.dataset.id = id;
    const cell = tr.insertCell();
    cell.colSpan = columns.length;
    const slot = make("div", "workato-health-panel");
    cell.append(slot);
    const controller = new AbortController();
    showPanel(ref, slot, controller.signal);
    return { tr, ref, slot, controller };
  }

  function onClick(event: MouseEvent): void {
    const tr = (event.target as Element | null)?.closest?.("tr.workato-health-row") as HTMLElement | null;
    if (!tr || tr.parentNode !== body) return;
    const unit = units.get(tr.dataset.id ?? "");
    if (unit) send({ kind: unit.detail ? "collapse" : "expand", id: tr.dataset.id });
  }

  body.addEventListener("click", onClick, { signal: listening });
  filter.addEventListener(
    "input",
    () => {
      model.set("filter_text", filter.value);
      model.save_changes();
    },
    { signal: listening },
  );
  stateFilter.addEventListener(
    "change",
    () => {
      model.set("state_filter", stateFilter.value);
      model.save_changes();
    },
    { signal: listening },
  );
  stop.addEventListener("click", () => send({ kind: "stop" }), { signal: listening });
  again.addEventListener("click", () => send({ kind: "scan" }), { signal: listening });
  return life.start(signal, WATCHED, () => {
    for (const unit of units.values()) drop(unit);
    units.clear();
    container.remove();
  });
}
