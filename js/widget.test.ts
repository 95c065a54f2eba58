import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import fc from "fast-check";
import * as entry from "./widget";
import widget from "./widget";
import { mount, render, type Model } from "./view";
import { MAX_MESSAGE_BYTES, type Scheduler } from "./bridge";
import { FakeKernel, FakeModel, FakeScheduler, renderProps } from "./testing";

const ORIGIN = "http://127.0.0.1:8123";
const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ2OmMifQ.c2lnbmF0dXJl";
const URL_WITH_TOKEN = `${ORIGIN}/direct_link/embedded/connections/7?workato_dl_token=${TOKEN}`;

const TRAITS: Model = {
  connection_id: 7,
  height: 0,
  connected: null,
  provider: null,
  error: null,
  status: "loading",
  diagnose_after: 15,
};

type View = ReturnType<typeof open>;

/** Render a view into the document, the way anywidget does. */
function open(traits: Partial<Model> = {}, schedule?: Scheduler, kernel?: FakeKernel) {
  const model = new FakeModel<Model>({ ...TRAITS, ...traits });
  if (kernel) model.widget_manager.kernel = kernel;
  const el = document.createElement("div");
  document.body.append(el);
  const controller = new AbortController();
  const props = renderProps(model, el, controller.signal);
  const cleanup = schedule ? mount(props, schedule, { kernelWaitMs: 3000 }) : render(props);
  const view: string = model.sent[0].view;
  const frame = el.querySelector<HTMLIFrameElement>("iframe.workato-frame-iframe")!;
  const status = el.querySelector<HTMLElement>(".workato-frame-status")!;
  return {
    model,
    el,
    controller,
    cleanup,
    view,
    frame,
    status,
    load(url = URL_WITH_TOKEN, origins?: string[]) {
      model.receive({ kind: "load", view, url, origins });
    },
    /** Deliver a postMessage as the browser would, from our iframe unless told otherwise. */
    post(data: unknown, from: { origin?: string; source?: Window | null } = {}) {
      const source = "source" in from ? from.source : frame.contentWindow;
      window.dispatchEvent(
        new MessageEvent("message", { data, origin: from.origin ?? ORIGIN, source }),
      );
    },
    forwarded() {
      return model.sentOf("message");
    },
  };
}

const opened: View[] = [];
/** Exceptions thrown inside our listeners: jsdom reports them as window "error" events. */
const listenerErrors: unknown[] = [];
const onError = (event: ErrorEvent) => listenerErrors.push(event.error);

beforeEach(() => {
  listenerErrors.length = 0;
  window.addEventListener("error", onError);
});

function openView(traits: Partial<Model> = {}, schedule?: Scheduler, kernel?: FakeKernel): View {
  const v = open(traits, schedule, kernel);
  opened.push(v);
  return v;
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));
const height = (h: unknown) => JSON.stringify({ type: "heightChange", payload: { height: h } });

afterEach(() => {
  window.removeEventListener("error", onError);
  expect(listenerErrors).toEqual([]);
  opened.splice(0).forEach((v) => v.cleanup());
  document.body.replaceChildren();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("render", () => {
  test("the default export is an anywidget module whose render draws a frame's view", () => {
    const model = new FakeModel<Model>(TRAITS);
    const el = document.createElement("div");
    const controller = new AbortController();
    widget.render(renderProps(model, el, controller.signal));
    expect(el.querySelector(".workato-frame.workato-connection")).not.toBeNull();
    expect(model.sentOf("ready")).toHaveLength(1);
    controller.abort();
  });

  test("the entry exports nothing but default, so anywidget logs no deprecation warning", () => {
    expect(Object.keys(entry)).toEqual(["default"]);
  });

  test("sends ready with a view id and the page origin", () => {
    const v = openView();
    expect(v.model.sent).toEqual([{ kind: "ready", view: v.view, origin: window.location.origin }]);
    expect(v.view).toMatch(/^[0-9a-f-]{32,36}$/);
  });

  test("each view gets its own id", () => {
    expect(openView().view).not.toBe(openView().view);
  });

  test("builds the container, status line and an unsandboxed iframe", () => {
    const v = openView();
    const container = v.el.querySelector<HTMLElement>(".workato-connection")!;
    expect(container.dataset.view).toBe(v.view);
    expect(container.contains(v.frame)).toBe(true);
    expect(v.frame.hasAttribute("sandbox")).toBe(false);
    expect(v.frame.style.width).toBe("100%");
    expect(v.frame.style.height).toBe("150px");
    expect(v.status.dataset.status).toBe("loading");
    expect(v.status.textContent).toBe("Waiting for the Python kernel…");
  });

  test("the initial height comes from the height trait when set", () => {
    expect(openView({ height: 420 }).frame.style.height).toBe("420px");
  });
});

describe("kernel commands", () => {
  test("load for this view sets the iframe src", () => {
    const v = openView();
    v.load();
    expect(v.frame.src).toBe(URL_WITH_TOKEN);
  });

  test("the URL lives only in the iframe's src: not elsewhere in the DOM, model or logs", () => {
    const logs = (["log", "info", "warn", "error", "debug"] as const).map((name) =>
      vi.spyOn(console, name),
    );
    const v = openView();
    v.load();
    v.post(height(300));
    v.post(JSON.stringify({ type: "connectionStatusChange", payload: { connected: true } }));
    expect(v.el.outerHTML.split(TOKEN)).toHaveLength(2);
    expect(v.frame.getAttribute("src")).toContain(TOKEN);
    expect(JSON.stringify(v.model.sent)).not.toContain(TOKEN);
    const traits = Object.keys(TRAITS).map((k) => v.model.get(k as keyof Model));
    expect(JSON.stringify(traits)).not.toContain(TOKEN);
    for (const spy of logs) expect(spy).not.toHaveBeenCalled();
  });

  test("load for another view is ignored", () => {
    const v = openView();
    v.model.receive({ kind: "load", view: "someone-else", url: URL_WITH_TOKEN });
    expect(v.frame.hasAttribute("src")).toBe(false);
  });

  test("malformed commands are ignored", () => {
    const v = openView();
    for (const content of [null, 42, "load", { kind: "load", view: v.view }, { kind: "x" }]) {
      v.model.receive(content);
    }
    expect(v.frame.hasAttribute("src")).toBe(false);
    expect(v.model.sent).toHaveLength(1);
  });

  test("a non-http URL is refused and shown as an error", () => {
    const v = openView();
    v.model.receive({ kind: "load", view: v.view, url: "javascript:alert(1)" });
    expect(v.frame.hasAttribute("src")).toBe(false);
    expect(v.status.dataset.status).toBe("error");
  });

  test("load_error for this view is shown in the status line until the next load", () => {
    const v = openView();
    v.model.receive({ kind: "load_error", view: v.view, message: "signer has no customer_id" });
    expect(v.status.textContent).toBe("Error: signer has no customer_id");
    expect(v.status.dataset.status).toBe("error");
    v.load();
    expect(v.status.dataset.status).toBe("loading");
  });

  test("load_error text is shown as text, never as markup", () => {
    const v = openView();
    v.model.receive({ kind: "load_error", view: v.view, message: "<img src=x onerror=alert(1)>" });
    expect(v.status.querySelector("img")).toBeNull();
    expect(v.status.textContent).toContain("<img");
  });

  test("reload makes the view send a fresh ready", () => {
    const v = openView();
    v.model.receive({ kind: "reload" });
    expect(v.model.sentOf("ready")).toEqual([
      { kind: "ready", view: v.view, origin: window.location.origin },
      { kind: "ready", view: v.view, origin: window.location.origin },
    ]);
  });
});

describe("iframe messages", () => {
  test("a JSON string is forwarded as {kind, view, message}", () => {
    const v = openView();
    v.load();
    v.post(JSON.stringify({ type: "connectionStatusChange", payload: { id: 7, connected: true } }));
    expect(v.model.sent.slice(1)).toEqual([
      {
        kind: "message",
        view: v.view,
        message: { type: "connectionStatusChange", payload: { id: 7, connected: true } },
      },
    ]);
  });

  test("an object is forwarded too", () => {
    const v = openView();
    v.load();
    v.post({ type: "error", payload: { message: "boom" } });
    expect(v.forwarded()).toEqual([
      { kind: "message", view: v.view, message: { type: "error", payload: { message: "boom" } } },
    ]);
  });

  test("nothing is accepted before a URL was loaded", () => {
    const v = openView();
    v.post(JSON.stringify({ type: "click" }), { origin: "null" });
    v.post(JSON.stringify({ type: "click" }));
    expect(v.forwarded()).toEqual([]);
  });

  test("a message from another origin is refused", () => {
    const v = openView();
    v.load();
    v.post(JSON.stringify({ type: "click" }), { origin: "http://localhost:8123" });
    v.post(JSON.stringify({ type: "click" }), { origin: "https://127.0.0.1:8123" });
    expect(v.forwarded()).toEqual([]);
  });

  test("a second iframe of the same origin is refused", () => {
    const v = openView();
    v.load();
    const other = document.createElement("iframe");
    other.src = URL_WITH_TOKEN;
    document.body.append(other);
    v.post(JSON.stringify({ type: "click" }), { source: other.contentWindow });
    v.post(JSON.stringify({ type: "click" }), { source: window });
    v.post(JSON.stringify({ type: "click" }), { source: null });
    expect(v.forwarded()).toEqual([]);
  });

  test("two views each accept only their own iframe", () => {
    const a = openView();
    const b = openView();
    a.load();
    b.load();
    a.post(JSON.stringify({ type: "click" }));
    expect(a.forwarded()).toHaveLength(1);
    expect(b.forwarded()).toHaveLength(0);
  });

  test("non-JSON strings, oversize and cyclic data are dropped", () => {
    const v = openView();
    v.load();
    v.post("not json");
    v.post(JSON.stringify({ type: "error", payload: { message: "x".repeat(MAX_MESSAGE_BYTES) } }));
    v.post({ type: "error", payload: { message: "x".repeat(MAX_MESSAGE_BYTES) } });
    const cyclic: Record<string, unknown> = { type: "click" };
    cyclic.self = cyclic;
    // jsdom's MessageEvent keeps the object as is, as a hostile same-realm caller could.
    v.post(cyclic);
    expect(v.forwarded()).toEqual([]);
  });
});

describe("heightChange", () => {
  test("resizes the iframe at once, clamped, for every height; the kernel hears the first", () => {
    const v = openView();
    v.load();
    v.post(height(321));
    expect(v.frame.style.height).toBe("321px");
    v.post(height(1e9));
    expect(v.frame.style.height).toBe("100000px");
    v.post(height(-3));
    expect(v.frame.style.height).toBe("0px");
    expect(v.forwarded().map((m) => m.message.payload.height)).toEqual([321]);
  });

  test("a non-numeric height does not resize and is forwarded for the kernel to judge", () => {
    const v = openView();
    v.load();
    v.post(height(200));
    v.post(height("tall"));
    expect(v.frame.style.height).toBe("200px");
    expect(v.forwarded().map((m) => m.message.payload.height)).toEqual([200, "tall"]);
  });

  test("10,000 heights in one burst reach the kernel twice: the first, then the exact last", () => {
    const scheduler = new FakeScheduler();
    const v = openView({}, scheduler.schedule);
    v.load();
    for (let h = 1; h <= 10_000; h++) v.post(height(h));
    expect(v.frame.style.height).toBe("10000px");
    expect(scheduler.scheduledCount).toBe(1);
    expect(v.forwarded().map((m) => m.message.payload.height)).toEqual([1]);
    scheduler.tick();
    expect(v.forwarded()[1]).toEqual({
      kind: "message",
      view: v.view,
      message: { type: "heightChange", payload: { height: 10_000 } },
    });
    scheduler.tick();
    expect(v.forwarded()).toHaveLength(2);
  });

  test("10,000 heights over jsdom's animation frames: at most one message per frame", async () => {
    const v = openView();
    v.load();
    const frames = 5;
    for (let f = 0; f < frames; f++) {
      for (let i = 1; i <= 2_000; i++) v.post(height(f * 2_000 + i));
      expect(v.forwarded()).toHaveLength(f + 1); // the very first left at once; then nothing new
      await nextFrame();
      expect(v.forwarded()).toHaveLength(f + 2);
    }
    await nextFrame();
    expect(v.forwarded()).toHaveLength(frames + 1);
    expect(v.forwarded()[frames].message.payload.height).toBe(10_000);
  });

  test("without requestAnimationFrame heights go on a 16 ms timer", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    vi.stubGlobal("requestAnimationFrame", undefined);
    try {
      const v = openView();
      v.load();
      for (let h = 1; h <= 1000; h++) v.post(height(h));
      vi.advanceTimersByTime(15);
      expect(v.forwarded()).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(v.forwarded().map((m) => m.message.payload.height)).toEqual([1, 1000]);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  test("mixed messages keep their order; a pending height goes first", () => {
    const scheduler = new FakeScheduler();
    const v = openView({}, scheduler.schedule);
    v.load();
    v.post(height(100));
    v.post(height(200));
    v.post(JSON.stringify({ type: "connectionStatusChange", payload: { connected: true } }));
    v.post(height(300));
    v.post({ type: "error", payload: { message: "x" } });
    v.post(height(400));
    scheduler.tick();
    expect(v.forwarded().map((m) => [m.message.type, m.message.payload.height])).toEqual([
      ["heightChange", 100],
      ["heightChange", 200],
      ["connectionStatusChange", undefined],
      ["heightChange", 300],
      ["error", undefined],
      ["heightChange", 400],
    ]);
  });
});

describe("status line", () => {
  test("follows the status, provider and error traits", () => {
    const v = openView();
    v.load();
    v.model.set("provider", "Salesforce");
    v.model.set("status", "connected");
    expect(v.status.textContent).toBe("Salesforce · Connected");
    expect(v.status.dataset.status).toBe("connected");
    v.model.set("status", "error");
    v.model.set("error", "invalid_grant");
    expect(v.status.textContent).toBe("Salesforce · Error: invalid_grant");
    expect(v.status.dataset.status).toBe("error");
    v.model.set("error", null);
    v.model.set("status", "disconnected");
    expect(v.status.textContent).toBe("Salesforce · Disconnected");
  });

  test("renders traits present at render time once the kernel answered", () => {
    const v = openView({ provider: "Jira", status: "connected" });
    v.load();
    expect(v.status.textContent).toBe("Jira · Connected");
  });
});

describe("diagnostics", () => {
  function loadedView(traits: Partial<Model> = {}) {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const v = openView(traits, new FakeScheduler().schedule);
    v.load();
    return v;
  }
  const fireLoad = (v: View) => v.frame.dispatchEvent(new Event("load"));

  test("a loaded iframe that stays silent is reported after diagnose_after seconds", () => {
    const v = loadedView({ diagnose_after: 15 });
    fireLoad(v);
    vi.advanceTimersByTime(14_999);
    expect(v.model.sentOf("silent")).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(v.model.sentOf("silent")).toEqual([
      { kind: "silent", view: v.view, origin: window.location.origin, seconds: 15 },
    ]);
  });

  test("an accepted message cancels the report", () => {
    const v = loadedView();
    fireLoad(v);
    vi.advanceTimersByTime(10_000);
    v.post(height(200));
    vi.advanceTimersByTime(60_000);
    expect(v.model.sentOf("silent")).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("a message before the load event means no timer at all", () => {
    const v = loadedView();
    v.post(height(200));
    fireLoad(v);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("a refused message does not cancel the report", () => {
    const v = loadedView({ diagnose_after: 1 });
    fireLoad(v);
    v.post(height(200), { origin: "https://evil.example" });
    vi.advanceTimersByTime(1_000);
    expect(v.model.sentOf("silent")).toHaveLength(1);
  });

  test("diagnose_after None disables it, also while a timer runs", () => {
    const off = loadedView({ diagnose_after: null });
    fireLoad(off);
    expect(vi.getTimerCount()).toBe(0);
    const v = openView({ diagnose_after: 5 });
    v.load();
    fireLoad(v);
    v.model.set("diagnose_after", null);
    vi.advanceTimersByTime(10_000);
    expect(v.model.sentOf("silent")).toEqual([]);
  });

  test("the about:blank load before any URL starts nothing", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const v = openView({}, new FakeScheduler().schedule);
    const timers = vi.getTimerCount(); // the wait for the kernel's first answer
    fireLoad(v);
    expect(vi.getTimerCount()).toBe(timers);
    vi.advanceTimersByTime(60_000);
    expect(v.model.sentOf("silent")).toEqual([]);
  });

  test("an iframe that never fires load is reported as not loaded", () => {
    const v = loadedView({ diagnose_after: 15 }); // a host that never answers: no load event
    vi.advanceTimersByTime(14_999);
    expect(v.model.sentOf("silent")).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(v.model.sentOf("silent")).toEqual([
      { kind: "silent", view: v.view, origin: window.location.origin, seconds: 15, loaded: false },
    ]);
  });

  test("a load event in time means the report says it loaded", () => {
    const v = loadedView({ diagnose_after: 3 });
    vi.advanceTimersByTime(2_000);
    fireLoad(v);
    vi.advanceTimersByTime(3_000);
    expect(v.model.sentOf("silent")).toEqual([
      { kind: "silent", view: v.view, origin: window.location.origin, seconds: 3 },
    ]);
  });

  test("a new load re-arms the check", () => {
    const v = loadedView({ diagnose_after: 2 });
    fireLoad(v);
    v.post(height(200));
    v.load();
    fireLoad(v);
    vi.advanceTimersByTime(2_000);
    expect(v.model.sentOf("silent")).toHaveLength(1);
  });
});

describe("cleanup", () => {
  /** Count window "message" listeners added and not yet removed (or aborted). */
  function trackWindowListeners() {
    const live = new Set<EventListenerOrEventListenerObject>();
    const add = window.addEventListener.bind(window);
    const remove = window.removeEventListener.bind(window);
    vi.spyOn(window, "addEventListener").mockImplementation((type, listener, options) => {
      if (type === "message" && listener) {
        live.add(listener);
        const signal = typeof options === "object" ? options.signal : undefined;
        signal?.addEventListener("abort", () => live.delete(listener));
      }
      add(type, listener, options);
    });
    vi.spyOn(window, "removeEventListener").mockImplementation((type, listener, options) => {
      if (type === "message" && listener) live.delete(listener);
      remove(type, listener, options);
    });
    return live;
  }

  test.each(["returned cleanup", "abort signal"] as const)(
    "100 render/remove cycles via the %s leave nothing behind",
    (how) => {
      const live = trackWindowListeners();
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
      const models: FakeModel<Model>[] = [];
      for (let i = 0; i < 100; i++) {
        const v = open({}, new FakeScheduler().schedule);
        v.load();
        v.frame.dispatchEvent(new Event("load")); // arms the diagnostics timer
        v.post(height(i)); // leaves a coalesced height pending
        v.model.receive({ kind: "load", view: v.view, url: URL_WITH_TOKEN }); // re-arm
        v.frame.dispatchEvent(new Event("load"));
        if (how === "abort signal") v.controller.abort();
        else v.cleanup();
        v.frame.dispatchEvent(new Event("load")); // a late load event must not re-arm anything
        models.push(v.model);
        v.el.remove();
      }
      expect(live.size).toBe(0);
      expect(models.every((m) => m.listenerCount() === 0)).toBe(true);
      expect(document.querySelectorAll("iframe, .workato-connection")).toHaveLength(0);
      expect(vi.getTimerCount()).toBe(0);
    },
    30_000, // each jsdom iframe builds a whole window: ~2 s alone, far more on a busy machine
  );

  test("after cleanup nothing is forwarded and nothing pending is sent", async () => {
    const v = openView();
    v.load();
    v.post(height(499)); // leaves at once
    v.post(height(500)); // pending for the next frame
    const frameWindow = v.frame.contentWindow;
    v.cleanup();
    v.post(JSON.stringify({ type: "click" }), { source: frameWindow });
    v.model.receive({ kind: "reload" });
    await nextFrame();
    await nextFrame();
    expect(v.model.sent).toEqual([
      { kind: "ready", view: v.view, origin: window.location.origin },
      { kind: "message", view: v.view, message: { type: "heightChange", payload: { height: 499 } } },
    ]);
  });

  test("cleanup twice, or abort after cleanup, is harmless", () => {
    const v = openView();
    v.cleanup();
    v.cleanup();
    v.controller.abort();
    expect(v.el.children).toHaveLength(0);
  });

  test("a signal already aborted renders nothing and sends nothing", () => {
    const model = new FakeModel<Model>(TRAITS);
    const el = document.createElement("div");
    render(renderProps(model, el, AbortSignal.abort()));
    expect(el.children).toHaveLength(0);
    expect(model.sent).toEqual([]);
    expect(model.listenerCount()).toBe(0);
  });

  test("a closed comm (send throws) does not break the view", () => {
    const v = openView({}, new FakeScheduler().schedule);
    v.load();
    vi.spyOn(v.model, "send").mockImplementation(() => {
      throw new Error("Comm is closed");
    });
    expect(() => v.post(JSON.stringify({ type: "click" }))).not.toThrow();
    expect(() => v.model.receive({ kind: "reload" })).not.toThrow();
  });
});

describe("trusted origins", () => {
  const OTHER = "http://localhost:8123";

  test("a message from any origin the kernel listed is accepted", () => {
    const v = openView();
    v.load(URL_WITH_TOKEN, [ORIGIN, OTHER]);
    v.post(JSON.stringify({ type: "click", wk: true }), { origin: OTHER });
    expect(v.forwarded()).toEqual([{ kind: "message", view: v.view, message: { type: "click" } }]);
  });

  test("the silent report names the untrusted origin our own iframe posted from", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const v = openView({ diagnose_after: 2 }, new FakeScheduler().schedule);
    v.load();
    v.frame.dispatchEvent(new Event("load"));
    v.post(JSON.stringify({ type: "click" }), { origin: OTHER });
    v.post(JSON.stringify({ type: "click" }), { origin: "https://evil.example", source: null });
    vi.advanceTimersByTime(2_000);
    expect(v.forwarded()).toEqual([]);
    expect(v.model.sentOf("silent")).toEqual([
      { kind: "silent", view: v.view, origin: window.location.origin, seconds: 2, dropped_origin: OTHER },
    ]);
  });
});

describe("navigation", () => {
  const navigation = (path: string) => JSON.stringify({ type: "navigation", payload: { url: path } });

  test("navigate waits for the page's loaded, then posts the latest to its exact origin", () => {
    const v = openView({ frame_kind: "page", path: "/recipes" });
    v.load();
    const post = vi.spyOn(v.frame.contentWindow!, "postMessage");
    v.model.receive({ kind: "navigate", path: "/jobs" });
    v.model.receive({ kind: "navigate", path: "/dashboard" });
    expect(post).not.toHaveBeenCalled();
    v.post(JSON.stringify({ type: "loaded", payload: { url: "/recipes" }, wk: true }));
    expect(post.mock.calls).toEqual([[navigation("/dashboard"), ORIGIN]]);
    v.model.receive({ kind: "navigate", path: "/projects" });
    expect(post.mock.calls[post.mock.calls.length - 1]).toEqual([navigation("/projects"), ORIGIN]);
  });

  test("a forged loaded from another window never releases a navigation", () => {
    const v = openView({ frame_kind: "page", path: "/recipes" });
    v.load();
    const post = vi.spyOn(v.frame.contentWindow!, "postMessage");
    v.model.receive({ kind: "navigate", path: "/jobs" });
    v.post(JSON.stringify({ type: "loaded" }), { source: window });
    expect(post).not.toHaveBeenCalled();
  });

  test("a page view shows its title, else its path, in the status line", () => {
    const v = openView({ frame_kind: "page", path: "/recipes", status: "loading" });
    v.load();
    v.model.set("status", "loaded");
    expect(v.status.textContent).toBe("/recipes · Loaded");
    v.model.set("title", "Recipes");
    expect(v.status.textContent).toBe("Recipes · Loaded");
    expect(v.el.querySelector("iframe.workato-page-frame")).toBe(v.frame);
  });
});

describe("when the kernel goes away", () => {
  function liveView(kernel?: FakeKernel) {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const v = openView({ provider: "salesforce", status: "connected" }, new FakeScheduler().schedule, kernel);
    v.load();
    expect(v.status.textContent).toBe("salesforce · Connected");
    return v;
  }
  const offline = (v: View) => {
    expect(v.status.textContent).toMatch(/needs a running Python kernel/);
    expect(v.status.textContent).not.toContain("Connected");
    expect(v.status.dataset.status).toBe("offline");
    expect(v.frame.style.display).toBe("none");
    expect(v.frame.getAttribute("src")).toBe("about:blank"); // Workato's page is unloaded
  };

  test.each(["restarting", "autorestarting", "dead"])(
    "a kernel that is %s turns a live view offline at once, with nothing stale shown",
    (status) => {
      const kernel = new FakeKernel();
      const v = liveView(kernel);
      kernel.status("busy");
      kernel.status("idle");
      expect(v.status.textContent).toBe("salesforce · Connected");
      kernel.status(status);
      offline(v);
    },
  );

  test("a comm that went away with no answer to a ping is offline after the wait", () => {
    const v = liveView();
    v.model.trigger("comm_live_update");
    expect(v.model.sentOf("ping")).toEqual([{ kind: "ping", view: v.view }]);
    vi.advanceTimersByTime(2_999);
    expect(v.status.textContent).toBe("salesforce · Connected");
    vi.advanceTimersByTime(1);
    offline(v);
  });

  test("a kernel that answers the ping keeps the view live", () => {
    const v = liveView();
    v.model.trigger("comm_live_update");
    v.model.receive({ kind: "pong", view: v.view });
    vi.advanceTimersByTime(10_000);
    expect(v.status.textContent).toBe("salesforce · Connected");
    expect(v.frame.style.display).toBe("block");
  });

  test("a late answer reloads the view with a fresh ready", () => {
    const v = liveView();
    v.model.trigger("comm_live_update");
    vi.advanceTimersByTime(3_000);
    offline(v);
    v.model.receive({ kind: "pong", view: v.view });
    expect(v.model.sentOf("ready")).toHaveLength(2);
    v.load();
    expect(v.frame.style.display).toBe("block");
    expect(v.status.textContent).toBe("salesforce · Connected");
  });

  test("a view that goes away stops listening to the kernel", () => {
    const kernel = new FakeKernel();
    const v = liveView(kernel);
    expect(kernel.listeners).toBe(1);
    v.controller.abort();
    expect(kernel.listeners).toBe(0);
    expect(v.model.listenerCount("comm_live_update")).toBe(0);
  });
});

describe("without a kernel", () => {
  test("the iframe stays hidden until the kernel gives it a URL", () => {
    const v = openView();
    expect(v.frame.style.display).toBe("none");
    v.load();
    expect(v.frame.style.display).toBe("block");
  });

  test("saved state is never shown as live: no stale Connected before the kernel answers", () => {
    const v = openView({ provider: "salesforce", connected: true, status: "connected" });
    expect(v.status.textContent).toBe("Waiting for the Python kernel…");
    expect(v.status.textContent).not.toContain("Connected");
  });

  test("no answer to ready within the wait says a running kernel is needed", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const v = openView({ status: "connected" }, new FakeScheduler().schedule);
    vi.advanceTimersByTime(2_999);
    expect(v.status.textContent).toBe("Waiting for the Python kernel…");
    vi.advanceTimersByTime(1);
    expect(v.status.textContent).toMatch(/needs a running Python kernel: run its cell again/);
    expect(v.status.dataset.status).toBe("offline");
    expect(v.frame.style.display).toBe("none");
    v.load(); // a kernel came back after all
    expect(v.status.textContent).toBe("Connected");
  });

  test("a load_error is an answer too: no kernel message after it", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const v = openView({}, new FakeScheduler().schedule);
    v.model.receive({ kind: "load_error", view: v.view, message: "no key" });
    vi.advanceTimersByTime(10_000);
    expect(v.status.textContent).toBe("Error: no key");
  });
});

describe("open in a new tab", () => {
  function fakeTab() {
    return { closed: false, opener: {} as unknown, close: vi.fn(), location: { replace: vi.fn() } };
  }

  test("the link is hidden by default outside VS Code and shown when asked for", () => {
    const v = openView();
    v.load();
    const link = v.el.querySelector<HTMLAnchorElement>("a.workato-open-tab")!;
    expect(link.style.display).toBe("none");
    v.model.set("new_tab_link", true);
    expect(link.style.display).toBe("");
  });

  test("a click opens a blank tab at once, then the kernel's fresh URL goes only into it", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const v = openView({ new_tab_link: true });
    v.load();
    const tab = fakeTab();
    const open = vi.spyOn(window, "open").mockReturnValue(tab as unknown as Window);
    v.el.querySelector<HTMLAnchorElement>("a.workato-open-tab")!.click();
    expect(open).toHaveBeenCalledWith("", "_blank");
    expect(tab.opener).toBeNull();
    expect(v.model.sentOf("open_tab")).toEqual([
      { kind: "open_tab", view: v.view, origin: window.location.origin },
    ]);
    const fresh = `${ORIGIN}/direct_link/embedded/connections/7?workato_dl_token=tok3nNeverInDom`;
    expect(v.el.innerHTML).not.toContain("tok3nNeverInDom");
    v.model.receive({ kind: "tab", view: v.view, url: fresh });
    expect(tab.location.replace).toHaveBeenCalledWith(fresh);
    expect(v.el.innerHTML).not.toContain("tok3nNeverInDom");
    tab.closed = true;
    vi.advanceTimersByTime(1000);
    expect(v.model.sentOf("tab_closed")).toEqual([{ kind: "tab_closed", view: v.view }]);
  });

  test.each(["returned cleanup", "abort signal"] as const)(
    "a view removed via the %s while its tab is open tells the kernel the tab is gone",
    (how) => {
      vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
      const v = openView({ new_tab_link: true });
      v.load();
      const tab = fakeTab();
      vi.spyOn(window, "open").mockReturnValue(tab as unknown as Window);
      v.el.querySelector<HTMLAnchorElement>("a.workato-open-tab")!.click();
      if (how === "abort signal") v.controller.abort();
      else v.cleanup();
      expect(v.model.sentOf("tab_closed")).toEqual([{ kind: "tab_closed", view: v.view }]);
      v.cleanup();
      tab.closed = true;
      vi.advanceTimersByTime(5000);
      expect(v.model.sentOf("tab_closed")).toHaveLength(1);
      expect(vi.getTimerCount()).toBe(0);
    },
  );

  test("a view removed after its tab was closed says tab_closed only once", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const v = openView({ new_tab_link: true });
    v.load();
    const tab = fakeTab();
    vi.spyOn(window, "open").mockReturnValue(tab as unknown as Window);
    v.el.querySelector<HTMLAnchorElement>("a.workato-open-tab")!.click();
    tab.closed = true;
    vi.advanceTimersByTime(1000);
    v.cleanup();
    expect(v.model.sentOf("tab_closed")).toEqual([{ kind: "tab_closed", view: v.view }]);
  });

  test("a view removed with no tab open sends no tab_closed, also with a closed comm", () => {
    const v = openView({ new_tab_link: true });
    v.load();
    v.cleanup();
    expect(v.model.sentOf("tab_closed")).toEqual([]);
    const w = openView({ new_tab_link: true });
    w.load();
    vi.spyOn(window, "open").mockReturnValue(fakeTab() as unknown as Window);
    w.el.querySelector<HTMLAnchorElement>("a.workato-open-tab")!.click();
    vi.spyOn(w.model, "send").mockImplementation(() => {
      throw new Error("Comm is closed");
    });
    expect(() => w.cleanup()).not.toThrow();
    expect(w.el.children).toHaveLength(0);
  });

  test("a blocked pop-up is said in the status line, and nothing is asked of the kernel", () => {
    const v = openView({ new_tab_link: true });
    v.load();
    vi.spyOn(window, "open").mockReturnValue(null);
    v.el.querySelector<HTMLAnchorElement>("a.workato-open-tab")!.click();
    expect(v.status.textContent).toMatch(/blocked the new tab: allow pop-ups/);
    expect(v.model.sentOf("open_tab")).toEqual([]);
  });

  test("a blocked pop-up is a note after the status: the iframe's status and provider stay", () => {
    const v = openView({ new_tab_link: true, provider: "Salesforce", status: "connected" });
    v.load();
    const open = vi.spyOn(window, "open").mockReturnValue(null);
    v.el.querySelector<HTMLAnchorElement>("a.workato-open-tab")!.click();
    expect(v.status.textContent).toBe(
      "Salesforce · Connected · The browser blocked the new tab: allow pop-ups for this page and " +
        "try again.",
    );
    expect(v.status.dataset.status).toBe("connected");
    expect(v.status.style.color).toBe("");
    v.model.set("status", "disconnected"); // the note survives trait changes
    expect(v.status.textContent).toMatch(/^Salesforce · Disconnected · The browser blocked/);
    open.mockReturnValue(fakeTab() as unknown as Window);
    v.el.querySelector<HTMLAnchorElement>("a.workato-open-tab")!.click();
    expect(v.status.textContent).toBe("Salesforce · Disconnected");
    expect(v.status.dataset.status).toBe("disconnected");
  });

  test("a tab_error closes the blank tab and shows the reason", () => {
    const v = openView({ new_tab_link: true });
    v.load();
    const tab = fakeTab();
    vi.spyOn(window, "open").mockReturnValue(tab as unknown as Window);
    v.el.querySelector<HTMLAnchorElement>("a.workato-open-tab")!.click();
    v.model.receive({ kind: "tab_error", view: v.view, message: "token_provider raised" });
    expect(tab.close).toHaveBeenCalled();
    expect(v.status.textContent).toContain("token_provider raised");
  });

  test("a tab_error is a note after the status until a tab URL arrives", () => {
    const v = openView({ new_tab_link: true, provider: "Salesforce", status: "connected" });
    v.load();
    vi.spyOn(window, "open").mockReturnValue(fakeTab() as unknown as Window);
    const link = v.el.querySelector<HTMLAnchorElement>("a.workato-open-tab")!;
    link.click();
    v.model.receive({ kind: "tab_error", view: v.view, message: "token_provider raised" });
    expect(v.status.textContent).toBe(
      "Salesforce · Connected · Could not open the new tab: token_provider raised",
    );
    expect(v.status.dataset.status).toBe("connected");
    expect(v.frame.src).toBe(URL_WITH_TOKEN); // the iframe is untouched
    v.model.receive({ kind: "tab_error", view: v.view, message: "token_provider raised" });
    v.model.receive({ kind: "tab", view: v.view, url: URL_WITH_TOKEN });
    expect(v.status.textContent).toBe("Salesforce · Connected");
    expect(v.status.dataset.status).toBe("connected");
  });

  test("a load error still replaces the status; a tab note is kept after it", () => {
    const v = openView({ new_tab_link: true, provider: "Salesforce", status: "connected" });
    v.load();
    vi.spyOn(window, "open").mockReturnValue(null);
    v.el.querySelector<HTMLAnchorElement>("a.workato-open-tab")!.click();
    v.model.receive({ kind: "load_error", view: v.view, message: "no key" });
    expect(v.status.textContent).toBe(
      "Error: no key · The browser blocked the new tab: allow pop-ups for this page and try again.",
    );
    expect(v.status.dataset.status).toBe("error");
  });
});

describe("property", () => {
  test("arbitrary data, origin and source never throw; forwarded only when all checks pass", () => {
    const scheduler = new FakeScheduler();
    const v = openView({}, scheduler.schedule);
    v.load();
    const other = document.createElement("iframe");
    document.body.append(other);
    const sources = [v.frame.contentWindow, other.contentWindow, window, null];
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.string(),
          fc.record({ type: fc.string(), payload: fc.jsonValue() }),
          fc.record({ type: fc.string(), payload: fc.jsonValue() }).map((m) => JSON.stringify(m)),
          fc.nat(MAX_MESSAGE_BYTES * 2).map((n) => height("9".repeat(n))),
        ),
        fc.constantFrom(ORIGIN, "http://localhost:8123", "null", ""),
        fc.integer({ min: 0, max: sources.length - 1 }),
        (data, origin, sourceIndex) => {
          const before = v.forwarded().length;
          expect(() => v.post(data, { origin, source: sources[sourceIndex] })).not.toThrow();
          scheduler.tick();
          const after = v.forwarded();
          if (after.length === before) return;
          accepted++;
          expect(after.length).toBe(before + 1);
          expect(sourceIndex).toBe(0);
          expect(origin).toBe(ORIGIN);
          const last = after[after.length - 1];
          expect(new TextEncoder().encode(JSON.stringify(last.message)).length).toBeLessThanOrEqual(
            MAX_MESSAGE_BYTES,
          );
        },
      ),
      { numRuns: 1000 },
    );
    expect(accepted).toBeGreaterThan(0);
  });
});
