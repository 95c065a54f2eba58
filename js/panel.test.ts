import { afterEach, describe, expect, test, vi } from "vitest";
import type { Host, RenderProps } from "@anywidget/types";
import widget from "./widget";
import { mount, type PanelModel } from "./panel";
import type { Row } from "./panel_rules";
import { FakeKernel, FakeModel, renderProps } from "./testing";

const ROWS: Row[] = [
  { id: 2, name: "Jira", provider: "jira", status: "failed", error: "bad credentials",
    when: "2026-05-01T11:57:00Z", when_kind: "failed", recipes: null },
  { id: 3, name: "Slack", provider: "slack", status: "lost", error: "Connection lost: revoked",
    when: "2026-05-01T11:00:00Z", when_kind: "lost",
    recipes: { count: 2, stopped: 1, trigger_errors: 1, last_failed_at: "2026-05-01T11:58:00Z",
               last_job_failed: true, last_job_at: "2026-05-01T11:58:00Z" } },
  { id: 1, name: "Salesforce", provider: "salesforce", status: "connected", error: null,
    when: "2026-05-01T11:59:50Z", when_kind: "authorized", recipes: null },
]; // prettier-ignore

const TRAITS: PanelModel = {
  frame_kind: "panel",
  title: "Connections of 'acme'",
  rows: ROWS,
  expanded: {},
  status: "ready",
  error: null,
  updated_at: null,
  filter_text: "",
  status_filter: "",
  recipes: {},
  recipes_note: null,
  recipe_actions: {},
};

/** Plays anywidget's host: each child render draws a marker and removes it on abort. */
class FakeHost implements Host {
  readonly renders: { ref: string; el: HTMLElement; signal?: AbortSignal }[] = [];

  getWidget<T>(ref: string) {
    return Promise.resolve({
      exports: undefined as T,
      render: async ({ el, signal }: { el: HTMLElement; signal?: AbortSignal }) => {
        const child = document.createElement("div");
        child.className = "child-view";
        child.dataset.ref = ref;
        el.append(child);
        this.renders.push({ ref, el, signal });
        signal?.addEventListener("abort", () => child.remove());
      },
    });
  }

  getModel(): never {
    throw new Error("not used by the panel");
  }
}

const opened: { controller: AbortController; el: HTMLElement }[] = [];
afterEach(() => {
  for (const { controller, el } of opened.splice(0)) {
    controller.abort();
    el.remove();
  }
  vi.useRealTimers();
});

function show(traits: Partial<PanelModel> = {}) {
  const model = new FakeModel<PanelModel>({ ...TRAITS, ...traits });
  const el = document.createElement("div");
  document.body.append(el);
  const controller = new AbortController();
  const host = new FakeHost();
  const props: RenderProps<PanelModel> = { ...renderProps(model, el, controller.signal), host };
  const cleanup = mount(props, {
    kernelWaitMs: 3000,
    pingMs: 20_000,
    now: () => Date.parse("2026-05-01T12:00:00Z"),
  });
  opened.push({ controller, el });
  const view: string = model.sent[0].view;
  const q = <E extends Element = HTMLElement>(s: string) => el.querySelector<E>(s)!;
  return {
    model,
    el,
    host,
    controller,
    cleanup,
    view,
    hello: () => model.receive({ kind: "hello", view }),
    message: () => q(".workato-panel-message"),
    table: () => q(".workato-panel-table"),
    rows: () => [...el.querySelectorAll<HTMLElement>("tr.workato-panel-row")],
    shownIds: () =>
      [...el.querySelectorAll<HTMLElement>("tr.workato-panel-row")]
        .filter((tr) => tr.style.display !== "none")
        .map((tr) => Number(tr.dataset.id)),
    order: () =>
      [...el.querySelectorAll<HTMLElement>("tbody > tr")].map(
        (tr) => `${tr.classList.contains("workato-panel-detail") ? "detail" : "row"}:${tr.dataset.id}`,
      ),
    filter: () => q<HTMLInputElement>(".workato-panel-filter"),
    statusFilter: () => q<HTMLSelectElement>(".workato-panel-status-filter"),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("before the kernel answers", () => {
  test("the view asks the kernel and shows no saved rows as live", () => {
    const panel = show();

    expect(panel.model.sent[0]).toEqual({ kind: "ready", view: panel.view });
    expect(panel.table().style.display).toBe("none");
    expect(panel.message().textContent).toBe("Waiting for the Python kernel…");
  });

  test("without an answer it says a running kernel is needed", () => {
    vi.useFakeTimers();
    const panel = show();

    vi.advanceTimersByTime(3000);

    expect(panel.message().dataset.kind).toBe("offline");
    expect(panel.message().textContent).toMatch(/needs a running Python kernel/);
    expect(panel.table().style.display).toBe("none");
  });

  test("a restarted kernel hides the rows and says a running kernel is needed", () => {
    const kernel = new FakeKernel();
    const model = new FakeModel<PanelModel>({ ...TRAITS });
    model.widget_manager.kernel = kernel;
    const el = document.createElement("div");
    document.body.append(el);
    const controller = new AbortController();
    mount({ ...renderProps(model, el, controller.signal), host: new FakeHost() }, {
      kernelWaitMs: 3000,
      pingMs: 20_000,
      now: Date.now,
    });
    opened.push({ controller, el });
    model.receive({ kind: "hello", view: model.sent[0].view });
    const table = el.querySelector<HTMLElement>(".workato-panel-table")!;
    const message = el.querySelector<HTMLElement>(".workato-panel-message")!;
    expect(table.style.display).not.toBe("none");

    kernel.status("restarting");

    expect(table.style.display).toBe("none");
    expect(message.dataset.kind).toBe("offline");
    expect(message.textContent).toMatch(/needs a running Python kernel/);
    controller.abort();
    expect(kernel.listeners).toBe(0);
  });

  test("a hello for another view changes nothing", () => {
    const panel = show();
    panel.model.receive({ kind: "hello", view: "someone-else" });
    expect(panel.table().style.display).toBe("none");
  });
});

describe("the table", () => {
  test("shows every row in the kernel's order with its badge, time and error", () => {
    const panel = show();
    panel.hello();

    const rows = panel.rows();
    expect(rows.map((tr) => tr.dataset.id)).toEqual(["2", "3", "1"]);
    const first = rows[0].querySelectorAll("td");
    expect(first[0].textContent).toBe("▸ Jira");
    expect(first[1].textContent).toBe("jira");
    expect(first[2].querySelector(".workato-badge")!.textContent).toBe("Failed");
    expect(first[3].textContent).toBe("Failed 3 min ago");
    expect(first[4].textContent).toBe(""); // recipes not read for this row
    expect(first[5].textContent).toBe("bad credentials");
    expect(panel.el.querySelector(".workato-panel-summary")!.textContent).toBe(
      "3 connections · 1 failed · 1 lost · 1 connected",
    );
    expect(panel.el.querySelector(".workato-panel-title")!.textContent).toBe(
      "Connections of 'acme'",
    );
  });

  test("a row's new status from the kernel redraws its badge in place", () => {
    const panel = show();
    panel.hello();
    const before = panel.rows()[0];

    panel.model.set("rows", [{ ...ROWS[0], status: "connected", error: null }, ...ROWS.slice(1)]);

    expect(panel.rows()[0]).toBe(before);
    expect(before.querySelector(".workato-badge")!.textContent).toBe("Connected");
    expect(before.dataset.status).toBe("connected");
  });

  test("the panel's error shows on the message line as an error", () => {
    const panel = show({ rows: [], status: "error", error: "Workato's Embedded API refused" });
    panel.hello();

    expect(panel.message().textContent).toBe("Workato's Embedded API refused");
    expect(panel.message().dataset.kind).toBe("error");
    expect(panel.table().style.display).toBe("none");
  });

  test("an empty account's message is information, not an error", () => {
    const panel = show({ rows: [], status: "empty", error: "Customer 'x' has no connections yet." });
    panel.hello();

    expect(panel.message().dataset.kind).toBe("info");
  });
});

describe("opening rows", () => {
  test("a click asks the kernel to expand the row, and again to collapse it", async () => {
    const panel = show();
    panel.hello();

    panel.rows()[1].querySelector<HTMLElement>("td:nth-child(2)")!.click();
    expect(panel.model.sentOf("expand")).toEqual([{ kind: "expand", id: 3, view: panel.view }]);

    panel.model.set("expanded", { "3": "anywidget:m3" });
    await settle();
    panel.rows()[1].querySelector<HTMLButtonElement>(".workato-panel-toggle")!.click();
    expect(panel.model.sentOf("collapse")).toEqual([{ kind: "collapse", id: 3, view: panel.view }]);
  });

  test("an opened row renders its widget under the row through the host", async () => {
    const panel = show();
    panel.hello();

    panel.model.set("expanded", { "3": "anywidget:m3" });
    await settle();

    expect(panel.order()).toEqual(["row:2", "row:3", "detail:3", "row:1"]);
    expect(panel.host.renders.map((r) => r.ref)).toEqual(["anywidget:m3"]);
    expect(panel.el.querySelector("tr.workato-panel-detail .child-view")).not.toBeNull();
    expect(panel.rows()[1].querySelector(".workato-panel-toggle")!.getAttribute("aria-expanded")).toBe(
      "true",
    );
  });

  test("collapsing aborts the child view and removes its row", async () => {
    const panel = show();
    panel.hello();
    panel.model.set("expanded", { "3": "anywidget:m3" });
    await settle();
    const child = panel.host.renders[0];

    panel.model.set("expanded", {});

    expect(child.signal?.aborted).toBe(true);
    expect(panel.el.querySelector(".child-view")).toBeNull();
    expect(panel.order()).toEqual(["row:2", "row:3", "row:1"]);
  });

  test("a reordering never takes an opened row's widget out of the document", async () => {
    const panel = show();
    panel.hello();
    panel.model.set("expanded", { "2": "anywidget:m2" });
    await settle();
    const detail = panel.el.querySelector("tr.workato-panel-detail")!;
    const removed: Node[] = [];
    const observer = new MutationObserver((records) =>
      records.forEach((r) => removed.push(...r.removedNodes)),
    );
    observer.observe(panel.el, { childList: true, subtree: true });

    // Jira got connected: it sorts last now.
    panel.model.set("rows", [ROWS[1], ROWS[2], { ...ROWS[0], status: "connected", error: null }]);
    await settle();
    observer.disconnect();

    expect(panel.order()).toEqual(["row:3", "row:1", "row:2", "detail:2"]);
    expect(removed).not.toContain(detail);
    expect(panel.host.renders).toHaveLength(1);
  });

  test("of two opened rows that swap places, the moved one renders its widget again", async () => {
    const panel = show();
    panel.hello();
    panel.model.set("expanded", { "2": "anywidget:m2", "1": "anywidget:m1" });
    await settle();
    expect(panel.order()).toEqual(["row:2", "detail:2", "row:3", "row:1", "detail:1"]);
    const [jira, salesforce] = panel.host.renders;

    // Jira got connected and sorts last, after Salesforce: one of the two has to move.
    panel.model.set("rows", [ROWS[1], ROWS[2], { ...ROWS[0], status: "connected", error: null }]);
    await settle();

    expect(panel.order()).toEqual(["row:3", "row:1", "detail:1", "row:2", "detail:2"]);
    const moved = [jira, salesforce].filter((r) => r.signal?.aborted);
    expect(moved).toHaveLength(1); // a moved iframe would reload a token already used: new view
    expect(panel.host.renders).toHaveLength(3);
    expect(panel.host.renders[2].ref).toBe(moved[0].ref);
    expect(panel.el.querySelectorAll(".child-view")).toHaveLength(2);
  });

  test("a row that disappears closes its child view", async () => {
    const panel = show();
    panel.hello();
    panel.model.set("expanded", { "1": "anywidget:m1" });
    await settle();

    panel.model.set("rows", ROWS.slice(0, 2));

    expect(panel.host.renders[0].signal?.aborted).toBe(true);
    expect(panel.order()).toEqual(["row:2", "row:3"]);
  });

  test("a frontend without anywidget's host API gets a message under the row, not a crash", () => {
    const panel = show();
    panel.hello();
    (panel.host as { getWidget?: unknown }).getWidget = undefined;

    panel.model.set("expanded", { "1": "anywidget:m1" });

    const slot = panel.el.querySelector<HTMLElement>(".workato-panel-widget")!;
    expect(slot.dataset.failed).toBe("true");
    expect(slot.textContent).toMatch(/display panel.widgets\[id\] in a cell of its own/);
    expect(panel.rows()).toHaveLength(3);
  });

  test("a child that cannot be shown says so under its row", async () => {
    const panel = show();
    panel.hello();
    panel.host.getWidget = () => Promise.reject(new Error("Timed out waiting for widget"));

    panel.model.set("expanded", { "1": "anywidget:m1" });
    await settle();

    const slot = panel.el.querySelector<HTMLElement>(".workato-panel-widget")!;
    expect(slot.dataset.failed).toBe("true");
    expect(slot.textContent).toBe("Could not show this connection: Timed out waiting for widget");
  });
});

describe("recipes", () => {
  const RECIPES = {
    "3": [
      { id: 11, name: "Sync leads", running: false, stop_cause: "trigger_errors_limit",
        stopped_at: "2026-05-01T11:58:00Z",
        last_job: { id: "j-1", at: "2026-05-01T11:58:00Z", failed: true,
                    error: "slack: token revoked", step: "step 2: slack post_message" } },
      { id: 12, name: "Digest", running: true, stop_cause: null, stopped_at: null,
        last_job: { id: "j-2", at: "2026-05-01T11:59:30Z", failed: false, error: null, step: null } },
    ],
  }; // prettier-ignore
  const item = (panel: ReturnType<typeof show>, id: number) =>
    panel.el.querySelector<HTMLElement>(`li.workato-panel-recipe[data-recipe="${id}"]`)!;

  test("a row shows how many recipes use it, how many stopped, and the trigger-errors warning", () => {
    const panel = show();
    panel.hello();

    const cell = panel.rows()[1].querySelector<HTMLElement>(".workato-panel-recipes-cell")!;
    expect(cell.textContent).toContain("2 recipes · 1 stopped · last job failed 2 min ago");
    expect(cell.querySelector(".workato-panel-warning")!.textContent).toBe(
      "⚠ A recipe stopped on trigger errors",
    );
    expect(panel.rows()[0].querySelector(".workato-panel-recipes-cell")!.textContent).toBe("");
  });

  test("an opened row lists its recipes under the widget with state and last job", async () => {
    const panel = show({ expanded: { "3": "anywidget:m3" }, recipes: RECIPES });
    panel.hello();
    await settle();

    const stopped = item(panel, 11);
    expect(stopped.querySelector(".workato-panel-recipe-state")!.textContent).toBe(
      "Stopped after too many trigger errors in a row",
    );
    expect(stopped.querySelector(".workato-panel-recipe-job")!.textContent).toBe(
      "Last job failed 2 min ago at step 2: slack post_message: slack: token revoked",
    );
    expect(item(panel, 12).querySelector(".workato-panel-recipe-job")!.textContent).toBe(
      "Last job succeeded just now",
    );
    expect(item(panel, 12).querySelector(".workato-panel-recipe-start")).toBeNull();
  });

  test("Start asks for confirmation and only Confirm asks the kernel", async () => {
    const panel = show({ expanded: { "3": "anywidget:m3" }, recipes: RECIPES });
    panel.hello();
    await settle();

    item(panel, 11).querySelector<HTMLButtonElement>(".workato-panel-recipe-start")!.click();
    expect(panel.model.sentOf("start_recipe")).toEqual([]);
    expect(item(panel, 11).textContent).toContain("Start “Sync leads”?");
    item(panel, 11).querySelector<HTMLButtonElement>(".workato-panel-recipe-cancel")!.click();
    expect(item(panel, 11).querySelector(".workato-panel-recipe-confirm")).toBeNull();

    item(panel, 11).querySelector<HTMLButtonElement>(".workato-panel-recipe-start")!.click();
    item(panel, 11).querySelector<HTMLButtonElement>(".workato-panel-recipe-confirm")!.click();

    expect(panel.model.sentOf("start_recipe")).toEqual([
      { kind: "start_recipe", id: 11, view: panel.view },
    ]);
    expect(panel.model.sentOf("expand")).toEqual([]); // the click stays in the detail row
  });

  test("a refused start shows Workato's reason beside the recipe", async () => {
    const panel = show({ expanded: { "3": "anywidget:m3" }, recipes: RECIPES });
    panel.hello();
    await settle();

    panel.model.set("recipe_actions", {
      "11": { state: "failed", message: "Could not start recipe 11: Slack is not connected" },
    });

    const said = item(panel, 11).querySelector<HTMLElement>(".workato-panel-recipe-message")!;
    expect(said.textContent).toBe("Could not start recipe 11: Slack is not connected");
    expect(said.dataset.kind).toBe("failed");
  });

  test("why recipes are missing is said on the message line", () => {
    const panel = show({ recipes_note: "Recipes: Workato refused to list them (403)" });
    panel.hello();

    expect(panel.message().textContent).toBe("Recipes: Workato refused to list them (403)");
  });
});

describe("filters", () => {
  test("typing filters at once and syncs the text to the kernel", () => {
    const panel = show();
    panel.hello();
    const save = vi.spyOn(panel.model, "save_changes");

    panel.filter().value = "SLA";
    panel.filter().dispatchEvent(new Event("input"));

    expect(panel.shownIds()).toEqual([3]);
    expect(panel.model.get("filter_text")).toBe("SLA");
    expect(save).toHaveBeenCalled();
  });

  test("the status filter keeps one status", () => {
    const panel = show();
    panel.hello();

    panel.statusFilter().value = "connected";
    panel.statusFilter().dispatchEvent(new Event("change"));

    expect(panel.shownIds()).toEqual([1]);
    expect(panel.model.get("status_filter")).toBe("connected");
  });

  test("a filter change repaints once, through the model's change event", () => {
    const panel = show();
    panel.hello();
    const get = vi.spyOn(panel.model, "get");
    const paints = () => get.mock.calls.filter(([key]) => key === "rows").length;

    panel.filter().value = "SLA";
    panel.filter().dispatchEvent(new Event("input"));
    expect(paints()).toBe(1);
    panel.statusFilter().value = "lost";
    panel.statusFilter().dispatchEvent(new Event("change"));
    expect(paints()).toBe(2);
    expect(panel.shownIds()).toEqual([3]);
  });

  test("filters set from Python show in the inputs, and no match is said", () => {
    const panel = show();
    panel.hello();

    panel.model.set("filter_text", "zendesk");

    expect(panel.filter().value).toBe("zendesk");
    expect(panel.shownIds()).toEqual([]);
    expect(panel.message().textContent).toBe("No connection matches “zendesk”.");
  });

  test("a filtered-out opened row is hidden, not closed", async () => {
    const panel = show({ expanded: { "1": "anywidget:m1" } });
    panel.hello();
    await settle();

    panel.model.set("status_filter", "failed");

    const detail = panel.el.querySelector<HTMLElement>("tr.workato-panel-detail")!;
    expect(detail.style.display).toBe("none");
    expect(panel.host.renders[0].signal?.aborted).toBe(false);
  });
});

describe("kernel traffic", () => {
  test("refresh asks the kernel; a shown view says it is still there", () => {
    vi.useFakeTimers();
    const panel = show();
    panel.hello();

    panel.el.querySelector<HTMLButtonElement>(".workato-panel-refresh")!.click();
    vi.advanceTimersByTime(40_000);

    expect(panel.model.sentOf("refresh")).toEqual([{ kind: "refresh", view: panel.view }]);
    expect(panel.model.sentOf("seen")).toHaveLength(2);
  });

  test("cleanup says goodbye, closes children and leaves no listener", async () => {
    const panel = show({ expanded: { "1": "anywidget:m1" } });
    panel.hello();
    await settle();

    panel.cleanup();

    expect(panel.model.sentOf("gone")).toEqual([{ kind: "gone", view: panel.view }]);
    expect(panel.host.renders[0].signal?.aborted).toBe(true);
    expect(panel.model.listenerCount()).toBe(0);
    expect(panel.el.children).toHaveLength(0);
  });

  test("aborting the render signal cleans up the same way", () => {
    const panel = show();
    panel.controller.abort();
    expect(panel.model.sentOf("gone")).toHaveLength(1);
    expect(panel.model.listenerCount()).toBe(0);
  });
});

describe("abort signals", () => {
  test("works without AbortSignal.any (Safari < 17.4, Firefox < 124)", () => {
    vi.stubGlobal("AbortSignal", Object.assign(Object.create(AbortSignal), { any: undefined }));
    try {
      const panel = show();
      panel.hello();
      panel.filter().value = "SLA";
      panel.filter().dispatchEvent(new Event("input"));
      expect(panel.shownIds()).toEqual([3]);
      panel.controller.abort();
      expect(panel.model.sentOf("gone")).toHaveLength(1);
      expect(panel.model.listenerCount()).toBe(0);
      expect(panel.el.children).toHaveLength(0);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  test("DOM listeners go with cleanup, whether called or run by the render signal", () => {
    for (const how of ["cleanup", "abort"] as const) {
      const panel = show();
      panel.hello();
      const filter = panel.filter();
      const refresh = panel.el.querySelector<HTMLButtonElement>(".workato-panel-refresh")!;
      if (how === "abort") panel.controller.abort();
      else panel.cleanup();
      const sent = panel.model.sent.length;
      filter.value = "SLA";
      filter.dispatchEvent(new Event("input"));
      refresh.click();
      expect(panel.model.sent).toHaveLength(sent);
      expect(panel.model.get("filter_text")).toBe("");
    }
  });

  test("a signal already aborted leaves nothing: no view, no listener, no timer, no ready", () => {
    vi.useFakeTimers();
    const model = new FakeModel<PanelModel>(TRAITS);
    const el = document.createElement("div");
    mount(renderProps(model, el, AbortSignal.abort()), {
      kernelWaitMs: 3000,
      pingMs: 20_000,
      now: Date.now,
    });
    expect(el.children).toHaveLength(0);
    expect(model.listenerCount()).toBe(0);
    expect(model.sentOf("ready")).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

test("the bundle's one render draws a panel for a panel model and a frame otherwise", () => {
  const el = document.createElement("div");
  const controller = new AbortController();
  const panelModel = new FakeModel<PanelModel>(TRAITS);
  const frameModel = new FakeModel<Record<string, unknown>>({
    frame_kind: "connection", height: 0, error: null, status: "loading", diagnose_after: null,
  }); // prettier-ignore

  widget.render(renderProps(panelModel, el, controller.signal) as never);
  widget.render(renderProps(frameModel, el, controller.signal) as never);

  expect(el.querySelectorAll(".workato-panel")).toHaveLength(1);
  expect(el.querySelectorAll(".workato-frame")).toHaveLength(1);
  controller.abort();
  expect(el.children).toHaveLength(0);
});
