// One view of a ConnectionsPanel: the table of a customer's connections, its filters, and each
// opened row's ConnectionWidget rendered under it through anywidget's composition API (the
// iframe logic stays in view.ts). Decisions live in panel_rules.ts; this file wires them.
import type { RenderProps } from "@anywidget/types";
import {
  STATUS_CHOICES,
  badge,
  lastJobText,
  matches,
  noMatchText,
  parseActions,
  parseRecipes,
  parseRefs,
  parseRows,
  recipeStateText,
  recipeSummaryText,
  recipeWarning,
  summary,
  whenText,
  type RecipeAction,
  type RecipeView,
  type Row,
} from "./panel_rules";
import { KERNEL_WAIT_MS } from "./bridge";
import { TableView, arrangeRows, make, showChild, type TableTimings } from "./table_view";

/** Traits synced from a ConnectionsPanel (Python -> JS; the filters go both ways). */
export interface PanelModel {
  frame_kind: "panel";
  title: string;
  rows: unknown;
  expanded: unknown;
  status: "loading" | "ready" | "empty" | "error";
  error: string | null;
  updated_at: string | null;
  filter_text: string;
  status_filter: string;
  recipes: unknown;
  recipes_note: string | null;
  recipe_actions: unknown;
}

export interface PanelOptions extends TableTimings {
  /** The clock "3 min ago" is measured against. */
  now: () => number;
}

const DEFAULTS: PanelOptions = { kernelWaitMs: KERNEL_WAIT_MS, pingMs: 20_000, now: Date.now };
const COLUMNS = ["Name", "Provider", "Status", "When", "Recipes", "Error"];
const RECIPES = 4;
const ERROR = 5;
const WATCHED = [
  "rows",
  "expanded",
  "status",
  "error",
  "title",
  "filter_text",
  "status_filter",
  "recipes",
  "recipes_note",
  "recipe_actions",
];
const CSS = `
.workato-panel { font-size: var(--jp-ui-font-size1, 13px);
  color: var(--jp-ui-font-color1, #1f2933); }
.workato-panel-bar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center;
  margin: 0 0 6px; }
.workato-panel-title { font-weight: 600; margin-right: auto; }
.workato-panel-summary { color: var(--jp-ui-font-color2, #52606d); }
.workato-panel-filter { min-width: 16em; }
.workato-panel-message { margin: 0 0 6px; }
.workato-panel-message[data-kind="error"] { color: var(--jp-error-color1, #d32f2f); }
.workato-panel-table { border-collapse: collapse; width: 100%; }
.workato-panel-table th { text-align: left; font-weight: 600; padding: 4px 8px;
  border-bottom: 1px solid var(--jp-border-color1, #cbd2d9); }
.workato-panel-row > td { padding: 4px 8px; vertical-align: top;
  border-bottom: 1px solid var(--jp-border-color2, #e4e7eb); }
.workato-panel-row { cursor: pointer; }
.workato-panel-row:hover { background: var(--jp-layout-color2, #f5f7fa); }
.workato-panel-toggle { all: unset; cursor: pointer; font-weight: 500; }
.workato-panel-toggle:focus-visible { outline: 2px solid var(--jp-brand-color1, #1976d2); }
.workato-badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  white-space: nowrap; }
.workato-panel-error-text { color: var(--jp-error-color1, #c92a2a); }
.workato-panel-detail > td { padding: 4px 8px 12px 24px;
  border-bottom: 1px solid var(--jp-border-color2, #e4e7eb); }
.workato-panel-warning { display: block; color: #d9480f; }
.workato-panel-recipes { margin: 8px 0 0; padding: 0; list-style: none; }
.workato-panel-recipe { padding: 4px 0; border-top: 1px solid var(--jp-border-color2, #e4e7eb); }
.workato-panel-recipe-name { font-weight: 500; margin-right: 8px; }
.workato-panel-recipe-state[data-running="false"] { color: #d9480f; }
.workato-panel-recipe-job { display: block; color: var(--jp-ui-font-color2, #52606d); }
.workato-panel-recipe-job[data-failed="true"] { color: var(--jp-error-color1, #c92a2a); }
.workato-panel-recipe-action { margin-left: 8px; }
.workato-panel-recipe-message[data-kind="failed"] { color: var(--jp-error-color1, #c92a2a); }
`;

/** One connection's rows in the table: its row, and the one under it while it is opened. */
interface Unit {
  row: HTMLTableRowElement;
  toggle: HTMLButtonElement;
  cells: HTMLTableCellElement[];
  badge: HTMLSpanElement;
  detail: Detail | null;
}

interface Detail {
  tr: HTMLTableRowElement;
  ref: string;
  controller: AbortController;
  slot: HTMLElement;
  recipes: HTMLUListElement;
}

/** Render one panel view. Returns its cleanup; aborting `signal` cleans up too. */
export function render(props: RenderProps<PanelModel>): () => void {
  return mount(props, DEFAULTS);
}

/** render() with timings and the clock injected, so tests run deterministically. */
export function mount(
  { model, el, signal, host }: RenderProps<PanelModel>,
  options: PanelOptions,
): () => void {
  // The kernel answers `ready` with a `hello`; until then no saved row is shown as live.
  const life = new TableView(model, options, () => paint());
  const { kernel, send, listening } = life;
  const container = make("div", "workato-panel");
  container.dataset.view = life.id;
  const style = make("style");
  style.textContent = CSS;

  const bar = make("div", "workato-panel-bar");
  const title = make("span", "workato-panel-title");
  const counts = make("span", "workato-panel-summary");
  const filter = make("input", "workato-panel-filter");
  filter.type = "search";
  filter.placeholder = "Filter by name or provider";
  filter.setAttribute("aria-label", "Filter connections by name or provider");
  const statusFilter = make("select", "workato-panel-status-filter");
  statusFilter.setAttribute("aria-label", "Show connections with this status");
  for (const choice of STATUS_CHOICES) statusFilter.add(new Option(choice.label, choice.value));
  const refresh = make("button", "workato-panel-refresh", "Refresh");
  bar.append(title, counts, filter, statusFilter, refresh);

  const message = make("div", "workato-panel-message");
  message.setAttribute("role", "status");
  message.setAttribute("aria-live", "polite");

  const table = make("table", "workato-panel-table");
  const head = table.createTHead().insertRow();
  for (const name of COLUMNS) head.append(make("th", "", name));
  const body = table.createTBody();
  container.append(style, bar, message, table);
  el.append(container);

  const units = new Map<number, Unit>();
  const confirming = new Set<number>(); // recipes whose Start waits for Confirm, in this view
  function makeUnit(row: Row): Unit {
    const tr = make("tr", "workato-panel-row");
    tr.dataset.id = String(row.id);
    const cells = COLUMNS.map(() => tr.insertCell());
    const toggle = make("button", "workato-panel-toggle");
    cells[0].append(toggle);
    const chip = make("span", "workato-badge");
    cells[2].append(chip);
    cells[ERROR].className = "workato-panel-error-text";
    cells[RECIPES].className = "workato-panel-recipes-cell";
    return { row: tr, toggle, cells, badge: chip, detail: null };
  }

  function fill(unit: Unit, row: Row, opened: boolean, shown: boolean): void {
    unit.toggle.textContent = `${opened ? "▾" : "▸"} ${row.name}`;
    unit.toggle.setAttribute("aria-expanded", String(opened));
    unit.cells[1].textContent = row.provider ?? "";
    const look = badge(row.status);
    unit.badge.textContent = look.text;
    unit.badge.dataset.status = row.status;
    Object.assign(unit.badge.style, { color: look.color, background: look.background });
    unit.cells[3].textContent = whenText(row, options.now());
    unit.cells[3].title = row.when ?? "";
    unit.cells[RECIPES].textContent = recipeSummaryText(row.recipes, options.now());
    const warning = recipeWarning(row.recipes);
    if (warning) {
      const note = make("span", "workato-panel-warning");
      note.textContent = warning;
      unit.cells[RECIPES].append(note);
    }
    unit.cells[ERROR].textContent = row.error ?? "";
    unit.row.dataset.status = row.status;
    unit.row.style.display = shown ? "" : "none";
    // Hidden, never removed: taking an iframe out of the document reloads it.
    if (unit.detail) unit.detail.tr.style.display = shown ? "" : "none";
  }

  const showWidget = (ref: string, slot: HTMLElement, until: AbortSignal) =>
    showChild(host, ref, slot, until, "this connection", "panel.widgets[id]");

  function open(id: number, ref: string): Detail {
    const tr = make("tr", "workato-panel-detail");
    tr.dataset.id = String(id);
    const cell = tr.insertCell();
    cell.colSpan = COLUMNS.length;
    const slot = make("div", "workato-panel-widget");
    const recipes = make("ul", "workato-panel-recipes");
    recipes.setAttribute("aria-label", "Recipes using this connection");
    cell.append(slot, recipes);
    const controller = new AbortController();
    showWidget(ref, slot, controller.signal);
    return { tr, ref, controller, slot, recipes };
  }

  function shut(detail: Detail): void {
    detail.controller.abort(); // the child view cleans up (and unloads its iframe)
    detail.tr.remove();
  }

  /**
   * A moved opened row renders its widget again: a moved iframe reloads its URL, whose token
   * Workato (and the sandbox) already took once, so a fresh view asks the kernel for a new one.
   */
  function rerender(detail: Detail): void {
    detail.controller.abort();
    detail.slot.replaceChildren();
    detail.controller = new AbortController();
    showWidget(detail.ref, detail.slot, detail.controller.signal);
  }

  /** An opened row's recipes, under its widget: state, last job, and Start for a stopped one. */
  function fillRecipes(detail: Detail, recipes: RecipeView[], actions: Map<number, RecipeAction>) {
    detail.recipes.replaceChildren();
    for (const recipe of recipes) {
      const item = make("li", "workato-panel-recipe");
      item.dataset.recipe = String(recipe.id);
      const name = make("span", "workato-panel-recipe-name");
      name.textContent = recipe.name;
      const state = make("span", "workato-panel-recipe-state");
      state.dataset.running = String(recipe.running);
      state.textContent = recipeStateText(recipe);
      item.append(name, state);
      const action = actions.get(recipe.id);
      if (!recipe.running && action?.state !== "starting") {
        item.append(...startControls(recipe));
      }
      if (action) {
        const said = make("span", "workato-panel-recipe-message workato-panel-recipe-action");
        said.dataset.kind = action.state;
        said.textContent =
          action.state === "starting"
            ? "Starting…"
            : action.state === "started"
              ? recipe.running
                ? "Started"
                : "Start sent; waiting for Workato"
              : (action.message ?? "Could not start");
        item.append(said);
      }
      const job = lastJobText(recipe, options.now());
      if (job) {
        const line = make("span", "workato-panel-recipe-job");
        line.dataset.failed = String(recipe.last_job?.failed === true);
        line.textContent = job;
        item.append(line);
      }
      detail.recipes.append(item);
    }
    detail.recipes.hidden = recipes.length === 0;
  }

  /** Start, then "Start <name>? Confirm / Cancel": a recipe starts only on purpose. */
  function startControls(recipe: RecipeView): HTMLElement[] {
    const button = (text: string, kind: string, onClick: () => void) => {
      const b = make("button", `workato-panel-recipe-action workato-panel-recipe-${kind}`, text);
      b.addEventListener(
        "click",
        (event) => {
          event.stopPropagation();
          onClick();
        },
        { signal: listening },
      );
      return b;
    };
    if (!confirming.has(recipe.id)) {
      return [
        button("Start", "start", () => {
          confirming.add(recipe.id);
          paint();
        }),
      ];
    }
    const ask = make("span", "workato-panel-recipe-action");
    ask.textContent = `Start “${recipe.name}”?`;
    return [
      ask,
      button("Confirm", "confirm", () => {
        confirming.delete(recipe.id);
        send({ kind: "start_recipe", id: recipe.id });
      }),
      button("Cancel", "cancel", () => {
        confirming.delete(recipe.id);
        paint();
      }),
    ];
  }

  function paint(): void {
    title.textContent = model.get("title") ?? "";
    const text = model.get("filter_text") ?? "";
    const status = model.get("status_filter") ?? "";
    if (document.activeElement !== filter && filter.value !== text) filter.value = text;
    if (statusFilter.value !== status) statusFilter.value = status;
    container.dataset.live = String(kernel.hasAnswered);
    const waiting = kernel.text("panel");
    if (waiting !== null) {
      table.style.display = "none";
      counts.textContent = "";
      showMessage(waiting, kernel.isOffline, kernel.isOffline);
      return;
    }
    const rows = parseRows(model.get("rows"));
    const refs = parseRefs(model.get("expanded"));
    const recipes = parseRecipes(model.get("recipes"));
    const actions = parseActions(model.get("recipe_actions"));
    const ids = new Set(rows.map((row) => row.id));
    for (const [id, unit] of units) {
      if (ids.has(id)) continue;
      if (unit.detail) shut(unit.detail);
      unit.row.remove();
      units.delete(id);
    }
    let shown = 0;
    for (const row of rows) {
      let unit = units.get(row.id);
      if (!unit) units.set(row.id, (unit = makeUnit(row)));
      const ref = refs.get(row.id);
      if (unit.detail && unit.detail.ref !== ref) {
        shut(unit.detail);
        unit.detail = null;
      }
      if (ref !== undefined && !unit.detail) unit.detail = open(row.id, ref);
      if (unit.detail) fillRecipes(unit.detail, recipes.get(row.id) ?? [], actions);
      const visible = matches(row, text, status);
      if (visible) shown++;
      fill(unit, row, ref !== undefined, visible);
    }
    arrangeRows(body, rows.map((row) => row.id), units, rerender);
    table.style.display = rows.length ? "" : "none";
    counts.textContent = rows.length ? summary(rows) : "";
    const error = model.get("error");
    const state = model.get("status");
    const note =
      error ?? noMatchText(rows.length, shown, text, status) ?? model.get("recipes_note") ?? "";
    showMessage(note, state === "error" || (error !== null && state !== "empty"), false);
  }

  function showMessage(text: string, isError: boolean, isOffline: boolean): void {
    message.textContent = text;
    message.hidden = !text;
    message.dataset.kind = isOffline ? "offline" : isError ? "error" : text ? "info" : "none";
  }

  function onClick(event: MouseEvent): void {
    const target = event.target as Element | null;
    const tr = target?.closest?.("tr.workato-panel-row") as HTMLElement | null;
    if (!tr || !body.contains(tr)) return;
    const id = Number(tr.dataset.id);
    const unit = units.get(id);
    if (unit) send({ kind: unit.detail ? "collapse" : "expand", id });
  }

  // model.set fires `change:*` synchronously, and that listener repaints: no paint() here.
  function onFilter(): void {
    model.set("filter_text", filter.value);
    model.save_changes();
  }

  function onStatusFilter(): void {
    model.set("status_filter", statusFilter.value);
    model.save_changes();
  }

  function onRefresh(): void {
    send({ kind: "refresh" });
  }

  body.addEventListener("click", onClick, { signal: listening });
  filter.addEventListener("input", onFilter, { signal: listening });
  statusFilter.addEventListener("change", onStatusFilter, { signal: listening });
  refresh.addEventListener("click", onRefresh, { signal: listening });
  return life.start(signal, WATCHED, () => {
    for (const unit of units.values()) if (unit.detail) shut(unit.detail);
    units.clear();
    container.remove();
  });
}
