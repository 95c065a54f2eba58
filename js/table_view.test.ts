import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { TableView, arrangeRows, make, showChild } from "./table_view";
import { FakeKernel, FakeModel } from "./testing";

const TIMINGS = { kernelWaitMs: 1000, pingMs: 500 };
const WATCHED = ["rows", "title"];

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A started TableView over a fake model; `painted` holds what each repaint would show. */
function started(signal?: AbortSignal) {
  const model = new FakeModel({ rows: [], title: "" });
  const kernel = new FakeKernel();
  model.widget_manager.kernel = kernel;
  const painted: Array<string | null> = [];
  const torn: number[] = [];
  const life = new TableView(model, TIMINGS, () => painted.push(life.kernel.text("table")));
  const cleanup = life.start(signal, WATCHED, () => torn.push(1));
  return { model, kernel, life, painted, torn, cleanup };
}

test("a table view says ready as itself and shows nothing live until its own hello", () => {
  const { model, life, painted } = started();
  expect(model.sentOf("ready")).toEqual([{ kind: "ready", view: life.id }]);
  expect(painted).toEqual(["Waiting for the Python kernel…"]);
  model.receive({ kind: "hello", view: "another view" });
  expect(life.kernel.hasAnswered).toBe(false);
  model.receive({ kind: "hello", view: life.id });
  expect(life.kernel.hasAnswered).toBe(true);
  expect(painted[painted.length - 1]).toBeNull();
});

test("no hello within the wait: the view repaints saying it needs a kernel", () => {
  const { painted } = started();
  vi.advanceTimersByTime(TIMINGS.kernelWaitMs);
  expect(painted[painted.length - 1]).toMatch(/^This table needs a running Python kernel/);
});

test("a watched trait's change repaints; others do not", () => {
  const { model, painted } = started();
  model.set("rows", []);
  expect(painted).toHaveLength(2);
  model.trigger("change:other");
  expect(painted).toHaveLength(2);
});

test("a shown view says seen every pingMs, as itself", () => {
  const { model, life } = started();
  vi.advanceTimersByTime(TIMINGS.pingMs * 3);
  expect(model.sentOf("seen")).toEqual(Array(3).fill({ kind: "seen", view: life.id }));
});

test("a dead kernel turns the view offline; a comm change after an answer asks again", () => {
  const { model, kernel, life, painted } = started();
  model.receive({ kind: "hello", view: life.id });
  model.trigger("comm_live_update");
  expect(model.sentOf("ready")).toHaveLength(2);
  kernel.status("dead");
  expect(life.kernel.isOffline).toBe(true);
  expect(painted[painted.length - 1]).toMatch(/needs a running Python kernel/);
});

test("cleanup says gone once, stops every listener and timer, and tears the view down", () => {
  const { model, kernel, life, torn, cleanup } = started();
  cleanup();
  cleanup();
  expect(model.sentOf("gone")).toEqual([{ kind: "gone", view: life.id }]);
  expect(torn).toEqual([1]);
  expect(model.listenerCount()).toBe(0);
  expect(kernel.listeners).toBe(0);
  expect(life.listening.aborted).toBe(true);
  vi.advanceTimersByTime(TIMINGS.pingMs * 4);
  expect(model.sentOf("seen")).toHaveLength(0);
});

test("aborting render's signal cleans up; a signal aborted before start never says ready", () => {
  const controller = new AbortController();
  const live = started(controller.signal);
  controller.abort();
  expect(live.torn).toEqual([1]);
  expect(live.model.listenerCount()).toBe(0);

  const early = new AbortController();
  early.abort();
  const dead = started(early.signal);
  expect(dead.model.sentOf("ready")).toHaveLength(0);
  expect(dead.torn).toEqual([1]);
  expect(dead.model.listenerCount()).toBe(0);
});

/** Rows a..e in a tbody, with `opened` ones followed by their detail row. */
function table(keys: string[], opened: string[]) {
  const body = document.createElement("tbody");
  const units = new Map<string, { row: HTMLElement; detail: { tr: HTMLElement } | null }>();
  for (const key of keys) {
    const row = document.createElement("tr");
    row.dataset.key = key;
    const detail = opened.includes(key) ? { tr: document.createElement("tr") } : null;
    if (detail) detail.tr.dataset.key = `${key}+`;
    units.set(key, { row, detail });
  }
  const order = () => [...body.children].map((node) => (node as HTMLElement).dataset.key);
  return { body, units, order };
}

test("rows are put in order with each detail under its row, telling which placed ones moved", () => {
  const { body, units, order } = table(["a", "b", "c", "d"], ["a", "c", "d"]);
  const moved: string[] = [];
  const onMoved = (detail: { tr: HTMLElement }) => moved.push(detail.tr.dataset.key!);
  arrangeRows(body, ["a", "b", "c", "d"], units, onMoved);
  expect(order()).toEqual(["a", "a+", "b", "c", "c+", "d", "d+"]);
  expect(moved).toEqual([]); // first placed: nothing moved
  arrangeRows(body, ["d", "a", "b", "c"], units, onMoved);
  expect(order()).toEqual(["d", "d+", "a", "a+", "b", "c", "c+"]);
  expect(moved).toEqual(["d+"]); // a and c keep their order and stay; only d's detail moved
});

test("showChild says what it could not show, and what to display instead", () => {
  const slot = document.createElement("div");
  showChild(undefined, "anywidget:x", slot, new AbortController().signal, "this thing", "w[id]");
  expect(slot.dataset.failed).toBe("true");
  expect(slot.textContent).toMatch(/^Could not show this thing: .*display w\[id\] in a cell/);
});

test("make gives an element its class and text, and a button that never submits a form", () => {
  const button = make("button", "a b", "Start");
  expect([button.className, button.textContent, button.type]).toEqual(["a b", "Start", "button"]);
  const form = document.createElement("form");
  let submitted = 0;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitted++;
  });
  form.append(button);
  document.body.append(form);
  button.click();
  form.remove();
  expect(submitted).toBe(0);
  expect(make("td").className).toBe("");
});
