import { describe, expect, test, vi } from "vitest";
import fc from "fast-check";
import {
  KERNEL_WAIT_MS,
  KernelWait,
  MAX_MESSAGE_BYTES,
  MessageCoalescer,
  NavigationQueue,
  acceptMessage,
  clampHeight,
  diagnoseDelayMs,
  frameScheduler,
  frontendOf,
  heightOf,
  isObject,
  makeViewId,
  navigationMessage,
  noKernelText,
  parseFrontendCommand,
  safeSend,
  statusLine,
  watchKernel,
  type FrameHost,
} from "./bridge";
import { FakeKernel, FakeModel, FakeScheduler } from "./testing";

const ORIGIN = "https://workato.com";
const TRUSTED: ReadonlySet<string> = new Set([ORIGIN]);
const accept = (data: unknown) => acceptMessage(data, true, ORIGIN, TRUSTED);

describe("acceptMessage", () => {
  test("a JSON string from our frame and origin is parsed", () => {
    const data = JSON.stringify({ type: "heightChange", payload: { height: 300 } });
    expect(accept(data)).toEqual({ type: "heightChange", payload: { height: 300 } });
  });

  test("an object is passed through as plain JSON", () => {
    const data = { type: "error", payload: { message: "x", when: new Date(0) } };
    expect(accept(data)).toEqual({
      type: "error",
      payload: { message: "x", when: "1970-01-01T00:00:00.000Z" },
    });
  });

  test("another origin is refused", () => {
    const data = JSON.stringify({ type: "click" });
    expect(acceptMessage(data, true, "https://evil.example", TRUSTED)).toBeNull();
    expect(acceptMessage(data, true, "https://workato.com:8443", TRUSTED)).toBeNull();
  });

  test("every origin of the trusted set is accepted, and only those", () => {
    const us = new Set(["https://app.workato.com", "https://workato.com", "https://www.workato.com"]);
    const data = JSON.stringify({ type: "click" });
    for (const origin of us) expect(acceptMessage(data, true, origin, us)).toEqual({ type: "click" });
    expect(acceptMessage(data, true, "https://app.eu.workato.com", us)).toBeNull();
    expect(acceptMessage(data, true, "https://evil.workato.com", us)).toBeNull();
  });

  test("Workato's wk marker is dropped before the message is forwarded", () => {
    const data = JSON.stringify({ type: "loaded", payload: { url: "/recipes" }, wk: true });
    expect(accept(data)).toEqual({ type: "loaded", payload: { url: "/recipes" } });
  });

  test("a message from another window is refused", () => {
    expect(acceptMessage(JSON.stringify({ type: "click" }), false, ORIGIN, TRUSTED)).toBeNull();
  });

  test("nothing is accepted before a URL was loaded", () => {
    expect(acceptMessage(JSON.stringify({ type: "click" }), true, ORIGIN, null)).toBeNull();
    expect(acceptMessage(JSON.stringify({ type: "click" }), true, "null", null)).toBeNull();
  });

  test("non-JSON strings are dropped", () => {
    expect(accept("hello")).toBeNull();
    expect(accept("{type: 'click'}")).toBeNull();
    expect(accept("")).toBeNull();
  });

  test("shapes without a string type are dropped", () => {
    for (const data of [
      null,
      undefined,
      42,
      true,
      [],
      [{ type: "click" }],
      {},
      { type: 1 },
      { payload: {} },
      JSON.stringify("{\"type\":\"click\"}"),
      JSON.stringify([{ type: "click" }]),
      "null",
    ]) {
      expect(accept(data)).toBeNull();
    }
  });

  test("a message over 64 KiB is dropped, one just under is kept", () => {
    const wrap = (text: string) => JSON.stringify({ type: "error", payload: { message: text } });
    const overhead = wrap("").length;
    const fits = wrap("a".repeat(MAX_MESSAGE_BYTES - overhead));
    expect(fits.length).toBe(MAX_MESSAGE_BYTES);
    expect(accept(fits)).not.toBeNull();
    expect(accept(wrap("a".repeat(MAX_MESSAGE_BYTES - overhead + 1)))).toBeNull();
    expect(accept(JSON.parse(wrap("a".repeat(MAX_MESSAGE_BYTES))))).toBeNull();
  });

  test("size counts UTF-8 bytes, not characters", () => {
    const euro = "€".repeat(30_000); // 30,000 characters, 90,000 bytes
    expect(accept(JSON.stringify({ type: "error", payload: { message: euro } }))).toBeNull();
    expect(accept({ type: "error", payload: { message: euro } })).toBeNull();
  });

  test("cyclic objects and BigInt are dropped, not thrown", () => {
    const cyclic: Record<string, unknown> = { type: "click" };
    cyclic.self = cyclic;
    expect(accept(cyclic)).toBeNull();
    expect(accept({ type: "click", payload: { n: 1n } })).toBeNull();
  });

  test("objects whose serialization throws are dropped", () => {
    const hostile = {
      type: "click",
      toJSON() {
        throw new Error("boom");
      },
    };
    expect(accept(hostile)).toBeNull();
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("boom");
        },
      },
    );
    expect(accept(proxy)).toBeNull();
  });

  test("property: never throws, forwards only when source, origin and size pass", () => {
    let accepted = 0;
    const origins = fc.constantFrom(
      ORIGIN,
      "https://evil.example",
      "null",
      "",
      "http://workato.com",
    );
    const data = fc.oneof(
      fc.anything(),
      fc.json(),
      fc.string(),
      fc.record({ type: fc.string(), payload: fc.anything() }),
      fc
        .record({ type: fc.string(), payload: fc.jsonValue() })
        .map((value) => JSON.stringify(value)),
      fc.string({ minLength: 1, maxLength: 4 }).map((s) => s.repeat(30_000)),
    );
    fc.assert(
      fc.property(
        data,
        fc.boolean(),
        origins,
        fc.option(fc.constant(TRUSTED), { nil: null }),
        (value, fromOurFrame, origin, expected) => {
          const result = acceptMessage(value, fromOurFrame, origin, expected);
          if (result === null) return;
          accepted++;
          expect(fromOurFrame).toBe(true);
          expect(expected?.has(origin)).toBe(true);
          expect(typeof result.type).toBe("string");
          const size = new TextEncoder().encode(JSON.stringify(result)).length;
          expect(size).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
        },
      ),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(0); // the generators do reach the accepting path
  });
});

describe("heights", () => {
  test("clampHeight rounds and clamps finite numbers only", () => {
    expect(clampHeight(120.4)).toBe(120);
    expect(clampHeight(-5)).toBe(0);
    expect(clampHeight(1e12)).toBe(100_000);
    expect(clampHeight(Number.NaN)).toBeNull();
    expect(clampHeight(Number.POSITIVE_INFINITY)).toBeNull();
    expect(clampHeight("300")).toBeNull();
    expect(clampHeight(null)).toBeNull();
  });

  test("heightOf reads heightChange payloads only", () => {
    expect(heightOf({ type: "heightChange", payload: { height: 250 } })).toBe(250);
    expect(heightOf({ type: "heightChange", payload: { height: "250" } })).toBeNull();
    expect(heightOf({ type: "heightChange", payload: [250] })).toBeNull();
    expect(heightOf({ type: "heightChange" })).toBeNull();
    expect(heightOf({ type: "error", payload: { height: 250 } })).toBeNull();
  });
});

describe("parseFrontendCommand", () => {
  const url = "https://app.eu.workato.com/direct_link/embedded/connections/7?workato_dl_token=t";

  test("a load for this view gives the URL and its origin", () => {
    expect(parseFrontendCommand({ kind: "load", view: "v1", url }, "v1")).toEqual({
      kind: "load",
      url,
      origin: "https://app.eu.workato.com",
      trusted: new Set(["https://app.eu.workato.com"]),
    });
  });

  test("a load trusts the origins the kernel lists beside the URL's own, well-formed ones only", () => {
    const origins = [
      "https://app.eu.workato.com",
      "http://localhost:8999",
      "https://other.example/path",
      "javascript:alert(1)",
      "*",
      42,
    ];
    const command = parseFrontendCommand({ kind: "load", view: "v1", url, origins }, "v1");
    expect(command).toMatchObject({ kind: "load" });
    expect(command?.kind === "load" && [...command.trusted].sort()).toEqual([
      "http://localhost:8999",
      "https://app.eu.workato.com",
    ]);
  });

  test("navigate goes to every view and needs a Workato path", () => {
    expect(parseFrontendCommand({ kind: "navigate", path: "/recipes" }, "v1")).toEqual({
      kind: "navigate",
      path: "/recipes",
    });
    expect(parseFrontendCommand({ kind: "navigate", view: "v2", path: "/x" }, "v1")).toBeNull();
    for (const bad of ["recipes", "//evil.example/x", "https://evil.example", 7, undefined]) {
      expect(parseFrontendCommand({ kind: "navigate", path: bad }, "v1")).toBeNull();
    }
  });

  test("a new-tab URL must be http(s), and its error never echoes it", () => {
    expect(parseFrontendCommand({ kind: "tab", view: "v1", url }, "v1")).toEqual({ kind: "tab", url });
    const bad = parseFrontendCommand({ kind: "tab", view: "v1", url: "javascript:x()" }, "v1");
    expect(bad?.kind).toBe("tab_error");
    expect(JSON.stringify(bad)).not.toContain("javascript");
  });

  test("messages for another view are ignored", () => {
    expect(parseFrontendCommand({ kind: "load", view: "v2", url }, "v1")).toBeNull();
    expect(parseFrontendCommand({ kind: "load_error", view: "v2", message: "x" }, "v1")).toBeNull();
    expect(parseFrontendCommand({ kind: "load", url }, "v1")).toBeNull();
  });

  test("a load with a non-http URL becomes an error that does not echo the URL", () => {
    for (const bad of ["javascript:alert(1)", "data:text/html,hi", "/relative?token=t", 42]) {
      const command = parseFrontendCommand({ kind: "load", view: "v1", url: bad }, "v1");
      expect(command?.kind).toBe("load_error");
      if (typeof bad === "string") expect(JSON.stringify(command)).not.toContain(bad);
    }
  });

  test("load_error carries its message, or a generic one", () => {
    const content = { kind: "load_error", view: "v1", message: "no key" };
    const command = parseFrontendCommand(content, "v1");
    expect(command).toEqual({ kind: "load_error", message: "no key" });
    const generic = parseFrontendCommand({ kind: "load_error", view: "v1", message: 3 }, "v1");
    expect(generic?.kind).toBe("load_error");
  });

  test("reload applies to every view unless it names another", () => {
    expect(parseFrontendCommand({ kind: "reload" }, "v1")).toEqual({ kind: "reload" });
    expect(parseFrontendCommand({ kind: "reload", view: "v1" }, "v1")).toEqual({ kind: "reload" });
    expect(parseFrontendCommand({ kind: "reload", view: "v2" }, "v1")).toBeNull();
  });

  test("malformed content is ignored", () => {
    for (const content of [null, "load", [], {}, { kind: "nope", view: "v1" }]) {
      expect(parseFrontendCommand(content, "v1")).toBeNull();
    }
  });
});

describe("statusLine", () => {
  test("shows provider and status", () => {
    expect(statusLine({ status: "connected", provider: "Salesforce", error: null })).toEqual({
      text: "Salesforce · Connected",
      status: "connected",
    });
    expect(statusLine({ status: "loading", provider: null, error: null }).text).toBe("Loading…");
  });

  test("shows the error text", () => {
    expect(statusLine({ status: "error", provider: null, error: "denied" }).text).toBe(
      "Error: denied",
    );
    expect(statusLine({ status: "disconnected", provider: "Jira", error: "denied" }).text).toBe(
      "Jira · Disconnected · Error: denied",
    );
    expect(statusLine({ status: "error", provider: null, error: null }).text).toBe("Error");
  });

  test("a view-local load error wins", () => {
    expect(
      statusLine({ status: "connected", provider: "Jira", error: null, localError: "no key" }),
    ).toEqual({ text: "Error: no key", status: "error" });
  });

  test("a note is appended and never changes the status or drops the provider", () => {
    expect(
      statusLine({ status: "connected", provider: "Jira", error: null, note: "Tab blocked" }),
    ).toEqual({ text: "Jira · Connected · Tab blocked", status: "connected" });
    expect(
      statusLine({ status: "disconnected", provider: "Jira", error: "denied", note: "Tab blocked" }),
    ).toEqual({ text: "Jira · Disconnected · Error: denied · Tab blocked", status: "disconnected" });
    expect(
      statusLine({ status: "loaded", provider: null, error: null, localError: "no key", note: "x" }),
    ).toEqual({ text: "Error: no key · x", status: "error" });
    expect(statusLine({ status: "loaded", provider: null, error: null, note: " " })).toEqual({
      text: "Loaded",
      status: "loaded",
    });
  });

  test("unknown status values read as loading", () => {
    expect(statusLine({ status: "weird", provider: 3, error: {} })).toEqual({
      text: "Loading…",
      status: "loading",
    });
  });
});

describe("diagnoseDelayMs", () => {
  test("seconds become milliseconds; None and junk disable", () => {
    expect(diagnoseDelayMs(15)).toBe(15_000);
    expect(diagnoseDelayMs(0.5)).toBe(500);
    expect(diagnoseDelayMs(0)).toBe(0);
    expect(diagnoseDelayMs(null)).toBeNull();
    expect(diagnoseDelayMs(-1)).toBeNull();
    expect(diagnoseDelayMs(Number.NaN)).toBeNull();
    expect(diagnoseDelayMs("15")).toBeNull();
  });

  test("huge delays are capped where setTimeout would fire at once", () => {
    expect(diagnoseDelayMs(1e12)).toBe(2 ** 31 - 1);
  });
});

describe("makeViewId", () => {
  test("uses randomUUID when available", () => {
    expect(makeViewId({ randomUUID: () => "a-b-c-d-e" } as Partial<Crypto>)).toBe("a-b-c-d-e");
  });

  test("falls back to random hex outside secure contexts", () => {
    const ids = new Set(Array.from({ length: 100 }, () => makeViewId(undefined)));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    const viaGetRandomValues = makeViewId({
      getRandomValues: <T extends ArrayBufferView | null>(array: T) => {
        (array as unknown as Uint8Array).fill(255);
        return array;
      },
    } as Partial<Crypto>);
    expect(viaGetRandomValues).toBe("f".repeat(32));
  });
});

describe("frameScheduler", () => {
  function fakeHost(withRaf: boolean) {
    const frames = new Map<number, FrameRequestCallback>();
    const timers = new Map<number, { callback: () => void; ms: number }>();
    let next = 1;
    const host: FrameHost = {
      setTimeout: (callback, ms) => {
        timers.set(next, { callback, ms });
        return next++;
      },
      clearTimeout: (handle: never) => void timers.delete(handle as number),
    };
    if (withRaf) {
      host.requestAnimationFrame = (callback) => {
        frames.set(next, callback);
        return next++;
      };
      host.cancelAnimationFrame = (handle) => void frames.delete(handle);
    }
    return { host, frames, timers };
  }

  test("uses requestAnimationFrame when present", () => {
    const { host, frames, timers } = fakeHost(true);
    const callback = vi.fn();
    frameScheduler(host)(callback);
    expect(frames.size).toBe(1);
    expect(timers.size).toBe(0);
    [...frames.values()][0](0);
    expect(callback).toHaveBeenCalledOnce();
  });

  test("falls back to a 16 ms timer without rAF", () => {
    const { host, timers } = fakeHost(false);
    const callback = vi.fn();
    frameScheduler(host)(callback);
    expect([...timers.values()].map((t) => t.ms)).toEqual([16]);
    [...timers.values()][0].callback();
    expect(callback).toHaveBeenCalledOnce();
  });

  test("with a backstop, the first to fire wins and cancels the other", () => {
    const { host, frames, timers } = fakeHost(true);
    const callback = vi.fn();
    frameScheduler(host, 250)(callback);
    expect([...timers.values()].map((t) => t.ms)).toEqual([250]);
    [...timers.values()][0].callback();
    expect(frames.size).toBe(0);
    expect(callback).toHaveBeenCalledOnce();
  });

  test("cancel stops both", () => {
    const { host, frames, timers } = fakeHost(true);
    const callback = vi.fn();
    frameScheduler(host, 250)(callback)();
    expect(frames.size).toBe(0);
    expect(timers.size).toBe(0);
    expect(callback).not.toHaveBeenCalled();
  });
});

describe("MessageCoalescer", () => {
  type Msg = { type: string; n: number };
  function setup() {
    const scheduler = new FakeScheduler();
    const sent: Msg[] = [];
    const coalescer = new MessageCoalescer<Msg>((m) => sent.push(m), scheduler.schedule);
    return { scheduler, sent, coalescer };
  }

  test("10,000 heights in one burst: the first at once, then only the last, at the tick", () => {
    const { scheduler, sent, coalescer } = setup();
    for (let n = 1; n <= 10_000; n++) coalescer.height({ type: "heightChange", n });
    expect(sent).toEqual([{ type: "heightChange", n: 1 }]);
    expect(scheduler.pending).toBe(1);
    scheduler.tick();
    expect(sent).toEqual([
      { type: "heightChange", n: 1 },
      { type: "heightChange", n: 10_000 },
    ]);
    scheduler.tick();
    expect(sent).toHaveLength(2);
  });

  test("a height after a quiet tick leaves at once: no added latency", () => {
    const { scheduler, sent, coalescer } = setup();
    coalescer.height({ type: "heightChange", n: 1 });
    scheduler.tick(); // nothing waiting: the window closes
    expect(scheduler.pending).toBe(0);
    coalescer.height({ type: "heightChange", n: 2 });
    expect(sent.map((m) => m.n)).toEqual([1, 2]);
  });

  test("bursts over several frames forward at most one height per frame", () => {
    const { scheduler, sent, coalescer } = setup();
    for (let frame = 0; frame < 50; frame++) {
      for (let n = 0; n < 200; n++) coalescer.height({ type: "heightChange", n: frame * 200 + n });
      scheduler.tick();
    }
    expect(sent).toHaveLength(51); // the first at once, then one per frame
    expect(sent[sent.length - 1]).toEqual({ type: "heightChange", n: 9_999 });
  });

  test("other messages flush a pending height first and go at once", () => {
    const { scheduler, sent, coalescer } = setup();
    coalescer.height({ type: "heightChange", n: 1 });
    coalescer.height({ type: "heightChange", n: 2 });
    coalescer.other({ type: "connectionStatusChange", n: 3 });
    coalescer.other({ type: "error", n: 4 });
    coalescer.height({ type: "heightChange", n: 5 });
    expect(sent.map((m) => m.n)).toEqual([1, 2, 3, 4]);
    scheduler.tick();
    expect(sent.map((m) => m.n)).toEqual([1, 2, 3, 4, 5]);
  });

  test("property: order is preserved and the last height always arrives", () => {
    const op = fc.oneof(
      fc.constant<"tick">("tick"),
      fc.record({ height: fc.boolean(), n: fc.integer() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const { scheduler, sent, coalescer } = setup();
        const expectedOthers: number[] = [];
        let lastHeight: number | null = null;
        for (const o of ops) {
          if (o === "tick") scheduler.tick();
          else if (o.height) {
            coalescer.height({ type: "heightChange", n: o.n });
            lastHeight = o.n;
          } else {
            coalescer.other({ type: "other", n: o.n });
            expectedOthers.push(o.n);
          }
        }
        scheduler.tick();
        expect(sent.filter((m) => m.type === "other").map((m) => m.n)).toEqual(expectedOthers);
        const heights = sent.filter((m) => m.type === "heightChange");
        if (lastHeight !== null) expect(heights[heights.length - 1]?.n).toBe(lastHeight);
        // At most one height per tick (the closing tick included), plus the leading one.
        expect(heights.length).toBeLessThanOrEqual(
          ops.filter((o) => o === "tick").length + expectedOthers.length + 2,
        );
      }),
    );
  });

  test("dispose drops the pending height and cancels the tick", () => {
    const { scheduler, sent, coalescer } = setup();
    coalescer.height({ type: "heightChange", n: 1 });
    coalescer.height({ type: "heightChange", n: 2 });
    coalescer.dispose();
    expect(scheduler.pending).toBe(0);
    scheduler.tick();
    expect(sent).toEqual([{ type: "heightChange", n: 1 }]);
  });
});

describe("NavigationQueue", () => {
  const WK = "https://app.workato.com";
  function queue() {
    const posted: Array<[string, string]> = [];
    return { posted, q: new NavigationQueue((message, origin) => posted.push([message, origin])) };
  }

  test("a request before loaded waits, and only the latest is posted once loaded", () => {
    const { posted, q } = queue();
    q.request("/recipes");
    q.request("/dashboard");
    expect(posted).toEqual([]);
    q.observe({ type: "loaded", payload: { url: "/projects" } }, WK);
    expect(posted).toEqual([[navigationMessage("/dashboard"), WK]]);
    expect(q.waiting).toBeNull();
  });

  test("once loaded, a request is posted at once to the exact origin that posted loaded", () => {
    const { posted, q } = queue();
    q.observe({ type: "loaded" }, "https://www.workato.com");
    q.request("/jobs");
    expect(posted).toEqual([[navigationMessage("/jobs"), "https://www.workato.com"]]);
  });

  test("unloaded and a new iframe URL make it wait for loaded again", () => {
    const { posted, q } = queue();
    q.observe({ type: "loaded" }, WK);
    q.observe({ type: "unloaded" }, WK);
    q.request("/a");
    q.reset();
    q.observe({ type: "navigated" }, WK);
    expect(posted).toEqual([]);
    q.observe({ type: "loaded" }, WK);
    expect(posted).toEqual([[navigationMessage("/a"), WK]]);
  });

  test("the message is Workato's navigation as a JSON string", () => {
    expect(JSON.parse(navigationMessage("/recipes?folder_id=7"))).toEqual({
      type: "navigation",
      payload: { url: "/recipes?folder_id=7" },
    });
  });
});

describe("frontendOf", () => {
  test("recognizes VS Code (desktop and web) and Colab output origins", () => {
    expect(frontendOf("vscode-webview://1a2b3c")).toBe("vscode");
    expect(frontendOf("https://abc123.vscode-cdn.net")).toBe("vscode");
    expect(frontendOf("https://8ajd9-0-colab.googleusercontent.com")).toBe("colab");
    expect(frontendOf("http://localhost:8888")).toBeNull();
    expect(frontendOf("https://vscode-cdn.net.evil.example")).toBeNull();
    expect(frontendOf("not a url")).toBeNull();
  });
});

describe("safeSend", () => {
  test("sends, and swallows a closed comm's throw", () => {
    const sent: object[] = [];
    safeSend({ send: (content) => sent.push(content) }, { kind: "ready" });
    expect(sent).toEqual([{ kind: "ready" }]);
    const closed = {
      send: () => {
        throw new Error("Comm is closed");
      },
    };
    expect(() => safeSend(closed, { kind: "gone" })).not.toThrow();
  });
});

describe("isObject", () => {
  test("only plain objects", () => {
    expect([{}, { a: 1 }, Object.create(null)].every(isObject)).toBe(true);
    expect([null, undefined, [], "x", 1, true].some(isObject)).toBe(false);
  });
});

describe("KernelWait", () => {
  test("the texts the views and the browser tests rely on", () => {
    expect(KERNEL_WAIT_MS).toBe(5000);
    expect(noKernelText("widget")).toBe(
      "This widget needs a running Python kernel: run its cell again. Saved output shows no live " +
        "Workato state.",
    );
    expect(noKernelText("panel")).toBe(
      "This panel needs a running Python kernel: run its cell again. Saved output shows no live " +
        "Workato state.",
    );
  });

  test("waits, then goes offline once; an answer after that ends it for good", () => {
    vi.useFakeTimers();
    try {
      const onOffline = vi.fn();
      const wait = new KernelWait(3000, onOffline);
      expect(wait.text("widget")).toBe("Waiting for the Python kernel…");
      wait.start();
      vi.advanceTimersByTime(2999);
      expect(onOffline).not.toHaveBeenCalled();
      expect(wait.isOffline).toBe(false);
      vi.advanceTimersByTime(1);
      expect(onOffline).toHaveBeenCalledTimes(1);
      expect(wait.isOffline).toBe(true);
      expect(wait.hasAnswered).toBe(false);
      expect(wait.text("panel")).toBe(noKernelText("panel"));
      wait.answered();
      expect([wait.hasAnswered, wait.isOffline, wait.text("widget")]).toEqual([true, false, null]);
      wait.start(); // a reload: the kernel answered once, so it is never offline again
      vi.advanceTimersByTime(10_000);
      expect(onOffline).toHaveBeenCalledTimes(1);
      expect(wait.isOffline).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  test("a probe goes offline unless answered within the wait; lost() goes at once", () => {
    vi.useFakeTimers();
    try {
      const onOffline = vi.fn();
      const wait = new KernelWait(1000, onOffline);
      wait.start();
      wait.answered();
      wait.probe();
      wait.answered(); // a live kernel answered the ping
      vi.advanceTimersByTime(5000);
      expect([wait.hasAnswered, wait.isOffline]).toEqual([true, false]);
      wait.probe();
      vi.advanceTimersByTime(1000);
      expect([wait.hasAnswered, wait.isOffline, onOffline.mock.calls.length]).toEqual([false, true, 1]);
      wait.lost(); // already offline: nothing more
      expect(onOffline).toHaveBeenCalledTimes(1);
      const gone = new KernelWait(1000, onOffline);
      gone.start();
      gone.answered();
      gone.lost();
      expect([gone.isOffline, gone.text("widget"), onOffline.mock.calls.length]).toEqual([
        true,
        noKernelText("widget"),
        2,
      ]);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  test("an answer in time, a re-arm or dispose leave no timer and no offline call", () => {
    vi.useFakeTimers();
    try {
      const onOffline = vi.fn();
      const answered = new KernelWait(1000, onOffline);
      answered.start();
      answered.answered();
      const rearmed = new KernelWait(1000, onOffline);
      rearmed.start();
      vi.advanceTimersByTime(900);
      rearmed.start();
      vi.advanceTimersByTime(900);
      expect(vi.getTimerCount()).toBe(1);
      rearmed.dispose();
      vi.advanceTimersByTime(10_000);
      expect(onOffline).not.toHaveBeenCalled();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("watchKernel", () => {
  test("a dead comm asks, a restarting or dead kernel says gone, other statuses nothing", () => {
    const model = new FakeModel({});
    const kernel = new FakeKernel();
    model.widget_manager.kernel = kernel;
    const seen: boolean[] = [];
    const stop = watchKernel(model, (gone) => seen.push(gone));
    model.trigger("comm_live_update");
    for (const status of ["busy", "idle", "starting", "restarting", "autorestarting", "dead"]) {
      kernel.status(status);
    }
    expect(seen).toEqual([false, true, true, true]);
    stop();
    kernel.status("dead");
    model.trigger("comm_live_update");
    expect(seen).toHaveLength(4);
    expect([kernel.listeners, model.listenerCount()]).toEqual([0, 0]);
  });

  test("a manager without a kernel, or of another shape, still reports the comm", () => {
    for (const manager of [undefined, null, {}, { kernel: 3 }, { kernel: { statusChanged: {} } }]) {
      const model = new FakeModel({});
      (model as { widget_manager: unknown }).widget_manager = manager;
      const seen: boolean[] = [];
      const stop = watchKernel(model, (gone) => seen.push(gone));
      model.trigger("comm_live_update");
      stop();
      expect(seen).toEqual([false]);
    }
  });
});
