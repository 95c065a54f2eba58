import { afterEach, expect, test } from "vitest";
import type { Host } from "@anywidget/types";
import widget from "./widget";
import { mount, type HealthModel } from "./health";
import { FakeModel, renderProps } from "./testing";

const ROWS = [
  { id: "c003", name: "Customer 3", external_id: "EXT-3", state: "failed", connected: 2,
    failed: 1, lost: 0, not_connected: 0, stopped_recipes: 0, problem: "Jira: refused" },
  { id: "c001", name: "Customer 1", external_id: null, state: "healthy", connected: 3,
    failed: 0, lost: 0, not_connected: 0, stopped_recipes: 0, problem: null },
]; // prettier-ignore

const TRAITS: HealthModel = {
  frame_kind: "health",
  title: "Account health",
  page_rows: ROWS,
  matching: 2,
  summary: { customers: { failed: 1, healthy: 1 }, connections: { connected: 5, failed: 1 },
    providers: [{ provider: "jira", connected: 1, failed: 1 }] }, // prettier-ignore
  progress: { state: "scanning", read: 2, total: 4, elapsed: 3, eta: 3 },
  expanded: {},
  recipes: true,
  error: null,
  filter_text: "",
  state_filter: "",
};

class FakeHost implements Host {
  readonly refs: string[] = [];
  getWidget<T>(ref: string) {
    this.refs.push(ref);
    return Promise.resolve({
      exports: undefined as T,
      render: async ({ el, signal }: { el: HTMLElement; signal?: AbortSignal }) => {
        const child = document.createElement("div");
        child.className = "child-panel";
        el.append(child);
        signal?.addEventListener("abort", () => child.remove());
      },
    });
  }
  getModel(): never {
    throw new Error("unused");
  }
}

const shown: { controller: AbortController; el: HTMLElement }[] = [];
afterEach(() => {
  for (const { controller, el } of shown.splice(0)) {
    controller.abort();
    el.remove();
  }
});

function show(traits: Partial<HealthModel> = {}, host?: Host) {
  const model = new FakeModel<HealthModel>({ ...TRAITS, ...traits });
  const el = document.createElement("div");
  document.body.append(el);
  const controller = new AbortController();
  const props = renderProps(model, el, controller.signal);
  if (host) props.host = host;
  mount(props, { kernelWaitMs: 5000, pingMs: 20_000 });
  shown.push({ controller, el });
  const ready = model.sentOf("ready")[0];
  model.receive({ kind: "hello", view: ready.view });
  return { model, el, view: ready.view as string };
}

const rowIds = (el: HTMLElement) =>
  [...el.querySelectorAll<HTMLElement>("tr.workato-health-row")].map((tr) => tr.dataset.id);

test("the bundle's entry renders the health view for frame_kind health", () => {
  const model = new FakeModel<HealthModel>(TRAITS);
  const el = document.createElement("div");
  const controller = new AbortController();
  widget.render(renderProps(model, el, controller.signal));
  expect(el.querySelector(".workato-health")).not.toBeNull();
  controller.abort();
});

test("rows are drawn in the kernel's order with their counts and worst problem", () => {
  const { el } = show();
  expect(rowIds(el)).toEqual(["c003", "c001"]);
  const cells = [...el.querySelectorAll("tr.workato-health-row")[0].querySelectorAll("td")];
  expect(cells.map((td) => td.textContent)).toEqual([
    "▸ Customer 3", "EXT-3", "Failed", "2", "1", "0", "0", "0", "Jira: refused",
  ]); // prettier-ignore
});

test("rows that arrive during a scan are added and the progress bar moves", () => {
  const { model, el } = show();
  const fill = el.querySelector<HTMLElement>(".workato-health-fill")!;
  expect(parseFloat(fill.style.width)).toBe(50);
  model.set("page_rows", [...ROWS, { ...ROWS[1], id: "c002", name: "Customer 2" }]);
  model.set("progress", { state: "scanning", read: 3, total: 4, elapsed: 4, eta: 1 });
  expect(rowIds(el)).toEqual(["c003", "c001", "c002"]);
  expect(parseFloat(fill.style.width)).toBe(75);
  expect(el.querySelector(".workato-health-progress-text")!.textContent).toContain("3 of 4");
});

test("Stop is offered while scanning, Scan once done, each sending its message", () => {
  const { model, el } = show();
  const stop = el.querySelector<HTMLButtonElement>(".workato-health-stop")!;
  const scan = el.querySelector<HTMLButtonElement>(".workato-health-scan")!;
  expect([stop.disabled, scan.disabled]).toEqual([false, true]);
  stop.click();
  expect(model.sentOf("stop")).toHaveLength(1);
  model.set("progress", { state: "stopped", read: 2, total: 4, elapsed: 5, eta: null });
  expect([stop.disabled, scan.disabled]).toEqual([true, false]);
  scan.click();
  expect(model.sentOf("scan")).toHaveLength(1);
});

test("clicking a row asks to open it, and an opened row renders its panel under it", async () => {
  const host = new FakeHost();
  const { model, el } = show({}, host);
  el.querySelector<HTMLElement>("tr.workato-health-row[data-id='c001'] td")!.click();
  expect(model.sentOf("expand")).toEqual([expect.objectContaining({ id: "c001" })]);

  model.set("expanded", { c001: "anywidget:panel-1" });
  await new Promise((resolve) => setTimeout(resolve, 0));
  const detail = el.querySelector("tr.workato-health-detail[data-id='c001']")!;
  expect(detail.previousElementSibling?.getAttribute("data-id")).toBe("c001");
  expect(detail.querySelector(".child-panel")).not.toBeNull();
  expect(host.refs).toEqual(["anywidget:panel-1"]);

  el.querySelector<HTMLElement>("tr.workato-health-row[data-id='c001'] td")!.click();
  expect(model.sentOf("collapse")).toHaveLength(1);
  model.set("expanded", {});
  expect(el.querySelector("tr.workato-health-detail")).toBeNull();
});

test("the filters set the model, which the kernel answers with the rows", () => {
  const { model, el } = show();
  const filter = el.querySelector<HTMLInputElement>(".workato-health-filter")!;
  filter.value = "ext";
  filter.dispatchEvent(new Event("input"));
  expect(model.get("filter_text")).toBe("ext");
  const state = el.querySelector<HTMLSelectElement>(".workato-health-state-filter")!;
  state.value = "problems";
  state.dispatchEvent(new Event("change"));
  expect(model.get("state_filter")).toBe("problems");
});

test("the summary chart draws a stacked bar per group with a tooltip per segment", () => {
  const { el } = show();
  const rects = [...el.querySelectorAll("svg.workato-health-chart rect")];
  expect(rects.map((r) => r.getAttribute("data-state"))).toEqual([
    "failed", "healthy", "failed", "connected", "failed", "connected",
  ]); // prettier-ignore
  expect(rects[0].querySelector("title")!.textContent).toBe("Customers: Failed 1 customer");
});

test("without recipes the stopped-recipes column is left out", () => {
  const { el } = show({ recipes: false });
  const heads = [...el.querySelectorAll("th")].map((th) => th.textContent);
  expect(heads).not.toContain("Stopped recipes");
  expect(el.querySelectorAll("tr.workato-health-row")[0].querySelectorAll("td")).toHaveLength(8);
});

test("an error is shown on the message line", () => {
  const { model, el } = show();
  model.set("error", "Workato's Embedded API refused the API token");
  const message = el.querySelector<HTMLElement>(".workato-health-message")!;
  expect(message.textContent).toContain("refused the API token");
  expect(message.dataset.kind).toBe("error");
});

test("rows take the kernel's new order; an opened row that moved renders its panel again", async () => {
  const host = new FakeHost();
  const third = { ...ROWS[1], id: "c002", name: "Customer 2" };
  const expanded = { c003: "anywidget:p3", c001: "anywidget:p1" };
  const { model, el } = show({ page_rows: [...ROWS, third], expanded }, host);
  await new Promise((resolve) => setTimeout(resolve, 0));

  model.set("page_rows", [ROWS[1], third, { ...ROWS[0], state: "healthy" }]);

  const order = [...el.querySelectorAll<HTMLElement>("tbody > tr")].map(
    (tr) => `${tr.className === "workato-health-detail" ? "panel:" : ""}${tr.dataset.id}`,
  );
  expect(order).toEqual(["c001", "panel:c001", "c002", "c003", "panel:c003"]);
  await new Promise((resolve) => setTimeout(resolve, 0));
  // One of the two swapped panels stays put; the other moved, and its iframes reloaded with
  // spent tokens, so it is rendered anew (the old render aborted): one panel under each row.
  expect(host.refs).toEqual(["anywidget:p3", "anywidget:p1", "anywidget:p1"]);
  const slots = [...el.querySelectorAll(".workato-health-panel")];
  expect(slots.map((slot) => slot.querySelectorAll(".child-panel").length)).toEqual([1, 1]);
});
