"""Benchmarks in real JupyterLab and Chromium: event latency, message storms, and memory.

One Lab server, one Chromium and one notebook serve all three. The iframe is a tiny page served
here on 127.0.0.1 (the notebook is on localhost, so it really is another origin, as Workato is),
which posts Workato-shaped messages when asked. The baseline is a plain anywidget whose view sets
a synced Int with `model.set` + `save_changes`, measured in the same page, interleaved with ours.

Latency runs from the sender's clock reading right before it posts (or sets) to `time.time_ns()`
in the kernel's observer. Both read the machine's real-time clock: each document's
`performance.timeOrigin + performance.now()` is aligned to `Date.now()` by a calibration taken
before and after the measurement.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .measure import Figure, Settings, ratios, summarize

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))  # the e2e harness: servers, notebooks, probe

from e2e_notebook import NotebookPage, write_notebook  # noqa: E402
from e2e_servers import CHROMIUM_ARGS, JupyterServer, chromium_path  # noqa: E402
from playwright.sync_api import Frame, Page, sync_playwright  # noqa: E402

PARTS = ("latency", "storm", "memory")
LATENCY_TARGET = 1.2
FRAME_MS = 1000 / 60
EVENT_GAP_S = 0.04  # > 2 frames: every event is measured alone, never coalesced with another
BLOCK = 25  # events per block; one ratio per block gives the ratio's spread
TOKEN = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJiZW5jaG1hcmsifQ.c2lnbmF0dXJl"

# The stand-in for Workato's page: posts JSON strings to its parent, as Workato does.
FRAME_HTML = b"""<!doctype html><meta charset="utf-8"><title>benchmark frame</title>
<body style="margin:0;font:12px sans-serif">benchmark frame<script>
const clock = () => performance.timeOrigin + performance.now();
window.benchPost = (message) => {
  const sent = clock();
  parent.postMessage(JSON.stringify(message), "*");
  return sent;
};
window.benchStorm = ([count, first]) => {
  const sent = clock();
  for (let i = 0; i < count; i++) {
    parent.postMessage(JSON.stringify({type: "heightChange", payload: {height: first + i}}), "*");
  }
  return [sent, clock()];
};
</script>"""

BASELINE_ESM = """
const clock = () => performance.timeOrigin + performance.now();
export default {
  render({ model, el }) {
    el.className = "bench-baseline";
    el.textContent = "baseline";
    globalThis.benchBaseline = {
      set(value) {
        const sent = clock();
        model.set("value", value);
        model.save_changes();
        return sent;
      },
      storm([count, first]) {
        const sent = clock();
        for (let i = 0; i < count; i++) {
          model.set("value", first + i);
          model.save_changes();
        }
        return [sent, clock()];
      },
    };
  },
};
"""

SETUP_CELL = """
import gc, os, time, tracemalloc
import anywidget, ipywidgets, traitlets
from IPython.display import display
from workato_ipywidget import ConnectionWidget, HeightChange

class Baseline(anywidget.AnyWidget):
    _esm = {esm!r}
    value = traitlets.Int(0).tag(sync=True)

def connection():
    return ConnectionWidget(1, token_provider=lambda origin: {token!r}, base_url={base_url!r},
                            diagnose_after=None, max_events=20_000)

def kernel_memory():
    gc.collect()
    with open("/proc/self/statm") as statm:
        rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return rss, tracemalloc.get_traced_memory()[0]

seen = {{"height": [], "provider": [], "value": [], "storm": []}}
def recorder(key):
    log = seen[key]
    return lambda change: log.append((change["new"], time.time_ns()))

ours = connection()
ours.observe(recorder("height"), names="height")
ours.observe(recorder("provider"), names="provider")
ours.on_message(
    lambda e: seen["storm"].append((e.height, time.time_ns())) if type(e) is HeightChange else None
)
base = Baseline()
base.observe(recorder("value"), names="value")
holder = ipywidgets.VBox()
display(ours, base, holder)
"""

# Diagnostic only: when the storm's last message reaches the notebook page (before the bridge).
WATCH_JS = """(last) => {
  window.benchLastArrival = null;
  if (!window.benchWatch) {
    window.benchWatch = (event) => {
      if (event.data === window.benchLastMessage) {
        window.benchLastArrival = performance.timeOrigin + performance.now();
      }
    };
    window.addEventListener("message", window.benchWatch);
  }
  window.benchLastMessage = last;
}"""

# The offset of `performance.timeOrigin + performance.now()` from `Date.now()` in one document:
# read the fine clock right when the coarse one ticks, ~40 times, and take the median.
CALIBRATE_JS = """() => {
  const offsets = [];
  let last = Date.now();
  const stop = last + 40;
  for (;;) {
    const now = Date.now();
    if (now !== last) {
      offsets.push(performance.timeOrigin + performance.now() - now);
      last = now;
      if (now >= stop) break;
    }
  }
  offsets.sort((a, b) => a - b);
  return offsets[offsets.length >> 1];
}"""


def run(settings: Settings, parts: tuple[str, ...] = PARTS) -> list[Figure]:
    figures: list[Figure] = []
    with _session() as bench:
        if "latency" in parts:
            figures += bench.latency(settings)
        if "storm" in parts:
            figures += bench.storm(settings)
        if "memory" in parts:
            figures += bench.memory(settings)
    return figures


# --- the frame's server ------------------------------------------------------------------------
class _FrameHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(FRAME_HTML)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(FRAME_HTML)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: one request per iframe."""


@contextlib.contextmanager
def _frame_server() -> Iterator[str]:
    """Serve FRAME_HTML at every path of http://127.0.0.1:<port>; yield that base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FrameHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="frame-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- one benchmark session ---------------------------------------------------------------------
@contextlib.contextmanager
def lab_notebook(
    cells: list[str], server_config: dict[str, Any] | None = None
) -> Iterator[tuple[Page, NotebookPage]]:
    """A throwaway JupyterLab and Chromium showing a notebook of `cells`, the first one run.

    Shared by every browser benchmark: the e2e harness's server, Chromium flags and notebook driver.
    `server_config` becomes the server's `jupyter_server_config.json` (the checkout importable).
    """
    executable = chromium_path()
    if executable is None:
        raise RuntimeError(
            "the browser benchmarks need Chromium (apt-get install -y chromium); "
            "skip them with --only signing,imports,bundle,sandbox"
        )
    with tempfile.TemporaryDirectory(prefix="wi-bench-") as home, sync_playwright() as playwright:
        env = {}
        if server_config is not None:
            config = Path(home) / "config" / "jupyter_server_config.json"
            config.parent.mkdir(parents=True, exist_ok=True)
            config.write_text(json.dumps(server_config))
            env["PYTHONPATH"] = os.pathsep.join((str(REPO / "src"), str(REPO)))
        server = JupyterServer("lab", Path(home), env)
        server.start()
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
            page.set_default_timeout(60_000)
            notebook = NotebookPage(page, server, write_notebook(server, cells, "bench.ipynb"))
            notebook.open()
            notebook.run_cell(0)
            yield page, notebook
            notebook.close_probe()
        finally:
            browser.close()
            server.shutdown_all_sessions()
            server.stop()


def calibrate(page_or_frame: Page | Frame) -> float:
    """The offset (ms) of a document's `performance` clock from the real-time clock."""
    return float(page_or_frame.evaluate(CALIBRATE_JS))


@contextlib.contextmanager
def _session() -> Iterator[_Bench]:
    with _frame_server() as base_url:
        cells = [SETUP_CELL.format(esm=BASELINE_ESM, token=TOKEN, base_url=base_url)]
        with lab_notebook(cells) as (page, notebook):
            yield _Bench(page, notebook, base_url)


@dataclass
class _Latencies:
    sent: dict[Any, float]  # value -> sender's clock (ms, real time)
    received: dict[Any, int]  # value -> kernel's time.time_ns()

    def ms(self, values: list[Any]) -> list[float]:
        return [self.received[v] / 1e6 - self.sent[v] for v in values if v in self.received]


@dataclass(frozen=True)
class _Storm:
    messages: int  # reaching the kernel
    final_ms: float  # from the first post until the kernel held the final value
    post_ms: float  # the sender's loop
    page_ms: float  # from the first post until the last reached the page's listeners


class _Bench:
    def __init__(self, page: Page, notebook: NotebookPage, base_url: str) -> None:
        self.page = page
        self.notebook = notebook
        self.kernel = notebook.kernel
        self.base_url = base_url
        self.widget_url = f"{base_url}/direct_link/"  # where ConnectionWidget points its iframes
        self.frame = self._frames(1)[0]
        page.wait_for_function("() => globalThis.benchBaseline !== undefined")

    def _frames(self, count: int, timeout: float = 60.0) -> list[Frame]:
        """Wait until `count` widget iframes have loaded the benchmark page; return them."""
        deadline = time.monotonic() + timeout
        while True:
            frames = [f for f in self.page.frames if f.url.startswith(self.widget_url)]
            ready = [f for f in frames if _ready(f)]
            if len(ready) >= count:
                return ready
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(ready)} of {count} benchmark iframes loaded in time")
            self.page.wait_for_timeout(50)  # frames attach over IPC; nothing to await on

    def _offsets(self) -> tuple[float, float]:
        """(iframe, page) clock offsets in ms, to subtract from their readings."""
        return calibrate(self.frame), calibrate(self.page)

    def _seen(self, key: str) -> dict[Any, int]:
        return {value: ns for value, ns in self.kernel.value(f"seen[{key!r}]")}

    # --- latency ---------------------------------------------------------------------------
    def latency(self, settings: Settings) -> list[Figure]:
        n = settings.events
        warm = 10
        before = self._offsets()
        sent: dict[str, dict[Any, float]] = {"height": {}, "provider": {}, "value": {}}
        send = {
            "height": lambda i: self.frame.evaluate(
                "h => benchPost({type: 'heightChange', payload: {height: h}})", 300 + i
            ),
            "provider": lambda i: self.frame.evaluate(
                "p => benchPost({type: 'connectionStatusChange', payload: {id: 1, provider: p}})",
                f"provider-{i}",
            ),
            "value": lambda i: self.page.evaluate("v => benchBaseline.set(v)", 1 + i),
        }
        keys = {"height": lambda i: 300 + i, "provider": lambda i: f"provider-{i}",
                "value": lambda i: 1 + i}  # fmt: skip
        names = list(send)
        for i in range(warm + n):
            for name in names if i % 2 == 0 else reversed(names):
                sent[name][keys[name](i)] = send[name](i)
                time.sleep(EVENT_GAP_S)  # pacing: one event at a time through the whole path
        after = self._offsets()
        frame_offset = (before[0] + after[0]) / 2
        page_offset = (before[1] + after[1]) / 2
        drift = max(abs(after[0] - before[0]), abs(after[1] - before[1]))

        measured = {}
        for name in names:
            offset = page_offset if name == "value" else frame_offset
            aligned = {k: t - offset for k, t in sent[name].items()}
            values = [keys[name](i) for i in range(warm, warm + n)]
            measured[name] = (_Latencies(aligned, self._seen(name)), values)

        median = statistics.median

        def blocks(name: str, stat: Any) -> list[float]:
            latencies, values = measured[name]
            per_block = (latencies.ms(values[b : b + BLOCK]) for b in range(0, n, BLOCK))
            return [stat(block) if block else math.nan for block in per_block]

        base = measured["value"][0].ms(measured["value"][1])
        base_p95 = summarize(base).high
        figures = [
            Figure(
                "Event latency",
                "plain anywidget `model.set` + `save_changes` -> `observe` (baseline)",
                "ms",
                summarize(base),
                notes=[
                    f"p95 {base_p95:.2f} ms",
                    f"{len(base)} of {n} events reached the kernel",
                    f"clock calibration drift {drift:.2f} ms",
                ],
            )
        ]
        for name, label in (
            ("height", "iframe `heightChange` postMessage -> `observe('height')`"),
            ("provider", "iframe `connectionStatusChange` -> `observe('provider')`"),
        ):
            ours = measured[name][0].ms(measured[name][1])
            summary = summarize(ours)
            ratio = summarize(
                [r for r in ratios(blocks(name, median), blocks("value", median)) if r == r]
            )
            notes = [
                f"p95 {summary.high:.2f} ms = {summary.high / base_p95:.2f}x baseline p95",
                f"{len(ours)} of {n} events reached the kernel",
            ]
            met, target, why = None, "", ""
            if name == "height":
                target = f"<= {LATENCY_TARGET}x"
                met = ratio.median <= LATENCY_TARGET
                if not met:
                    status = median(measured["provider"][0].ms(measured["provider"][1]))
                    why = (
                        "not coalescing (a height after a quiet frame is forwarded at once, "
                        "MessageCoalescer in js/bridge.ts): a `connectionStatusChange` on the same "
                        f"path takes {status:.1f} ms; both pay the iframe's cross-process "
                        "postMessage and the kernel's parse, which the in-page baseline does not"
                    )
            figures.append(
                Figure(
                    "Event latency",
                    label,
                    "ms",
                    summary,
                    baseline="plain anywidget",
                    ratio=ratio,
                    target=target,
                    met=met,
                    notes=notes,
                    why=why,
                )
            )
        return figures

    # --- storms ----------------------------------------------------------------------------
    def storm(self, settings: Settings) -> list[Figure]:
        size = settings.storm_size
        bare = self._bare_frame()
        samples: dict[str, list[_Storm]] = {"ours": [], "bare": [], "base": []}
        order = list(samples)
        for index in range(settings.storms):
            first = 1_000 if index % 2 == 0 else 50_000
            for who in order[index % 3 :] + order[: index % 3]:  # rotate who goes first
                if who == "ours":
                    samples[who].append(self._storm_ours(size, first))
                elif who == "bare":
                    samples[who].append(self._storm_bare(bare, size, first))
                else:
                    samples[who].append(self._storm_baseline(size, first))
        ours, alone, base = samples["ours"], samples["bare"], samples["base"]
        frames = [s.final_ms / FRAME_MS for s in ours]
        per_frame = summarize(ratios([s.messages for s in ours], frames))
        storm = f"{size:,} `heightChange` in one burst"
        median = statistics.median
        return [
            Figure(
                "Storm",
                f"{storm}: messages reaching the kernel",
                "messages",
                summarize([s.messages for s in ours]),
                baseline="animation frames elapsed",
                ratio=per_frame,
                target="<= ~1 per frame",
                met=per_frame.median <= 1.1,
                notes=[f"{median(frames):.0f} frames until the kernel held the final height"],
                why=""
                if per_frame.median <= 1.1
                else "heights reached the kernel more often than once per frame: see "
                "MessageCoalescer in js/bridge.ts",
            ),
            Figure(
                "Storm",
                f"{storm}: until the kernel holds the final height",
                "ms",
                summarize([s.final_ms for s in ours]),
                baseline="delivery alone",
                ratio=summarize(ratios([s.final_ms for s in ours], [s.page_ms for s in alone])),
                notes=[
                    f"the iframe posted them in {median(s.post_ms for s in ours):.0f} ms; the last "
                    f"reached the page's listeners after {median(s.page_ms for s in ours):.0f} ms"
                ],
            ),
            Figure(
                "Storm",
                f"{storm} from an iframe with no widget: delivered to the page (delivery alone)",
                "ms",
                summarize([s.page_ms for s in alone]),
                notes=["Chromium's cross-process postMessage, plus the bridge refusing each"],
            ),
            Figure(
                "Storm",
                f"plain anywidget, {size:,} `model.set` + `save_changes`: kernel messages",
                "messages",
                summarize([s.messages for s in base]),
                notes=["ipywidgets merges updates while one is unacknowledged"],
            ),
            Figure(
                "Storm",
                f"plain anywidget, {size:,} `model.set` + `save_changes`: until final value",
                "ms",
                summarize([s.final_ms for s in base]),
                notes=[f"the page set them in {median(s.post_ms for s in base):.0f} ms"],
            ),
        ]

    def _bare_frame(self) -> Frame:
        """A second iframe of the frame's origin that no widget owns (the bridge refuses it)."""
        url = f"{self.base_url}/bare"
        self.page.evaluate(
            """(src) => {
              const frame = document.createElement("iframe");
              frame.src = src;
              frame.style.cssText = "position:fixed;right:0;bottom:0;width:40px;height:40px";
              document.body.append(frame);
            }""",
            url,
        )
        deadline = time.monotonic() + 60
        while not (found := [f for f in self.page.frames if f.url == url and _ready(f)]):
            if time.monotonic() > deadline:
                raise TimeoutError("the bare benchmark iframe did not load")
            self.page.wait_for_timeout(50)  # frames attach over IPC; nothing to await on
        return found[0]

    def _watch(self, final: int) -> float:
        """Watch for the storm's last message on the page; return the page's clock offset."""
        last = {"type": "heightChange", "payload": {"height": final}}
        self.page.evaluate(WATCH_JS, json.dumps(last, separators=(",", ":")))
        return float(self.page.evaluate(CALIBRATE_JS))

    def _arrival(self, page_offset: float) -> float:
        """When the watched message reached the page (ms, real time)."""
        self.page.wait_for_function("() => window.benchLastArrival !== null")
        return float(self.page.evaluate("() => window.benchLastArrival")) - page_offset

    def _storm_ours(self, size: int, first: int) -> _Storm:
        final = first + size - 1
        page_offset = self._watch(final)
        frame_offset = self.frame.evaluate(CALIBRATE_JS)
        self.kernel.execute("seen['storm'].clear()")
        start, end = self.frame.evaluate("args => benchStorm(args)", [size, first])
        self.kernel.wait_until("ours.height", lambda v: v == final, timeout=120, interval=0.05)
        seen = self.kernel.value("seen['storm']")
        arrived = next(ns for value, ns in seen if value == final) / 1e6
        begun = start - frame_offset
        return _Storm(len(seen), arrived - begun, end - start, self._arrival(page_offset) - begun)

    def _storm_bare(self, bare: Frame, size: int, first: int) -> _Storm:
        page_offset = self._watch(first + size - 1)
        frame_offset = bare.evaluate(CALIBRATE_JS)
        start, end = bare.evaluate("args => benchStorm(args)", [size, first])
        return _Storm(0, math.nan, end - start, self._arrival(page_offset) - (start - frame_offset))

    def _storm_baseline(self, size: int, first: int) -> _Storm:
        final = first + size - 1
        page_offset = self.page.evaluate(CALIBRATE_JS)
        self.kernel.execute("seen['value'].clear()")
        start, end = self.page.evaluate("args => benchBaseline.storm(args)", [size, first])
        self.kernel.wait_until("base.value", lambda v: v == final, timeout=120, interval=0.05)
        seen = self.kernel.value("seen['value']")
        arrived = next(ns for value, ns in seen if value == final) / 1e6
        return _Storm(len(seen), arrived - (start - page_offset), end - start, math.nan)

    # --- memory ----------------------------------------------------------------------------
    def memory(self, settings: Settings) -> list[Figure]:
        cdp = self.page.context.new_cdp_session(self.page)
        cdp.send("Performance.enable")

        def measure() -> tuple[float, float, float]:
            """(page JS heap, kernel RSS, kernel Python heap) in bytes, after collecting garbage."""
            for _ in range(2):
                cdp.send("HeapProfiler.collectGarbage")
            metrics = cdp.send("Performance.getMetrics")["metrics"]
            heap = next(m["value"] for m in metrics if m["name"] == "JSHeapUsedSize")
            rss, traced = self.kernel.value("kernel_memory()")
            return heap, rss, traced

        count = settings.widgets
        kib: dict[str, dict[str, list[float]]] = {
            who: {"page": [], "rss": [], "traced": []} for who in ("ours", "base")
        }
        self.kernel.execute("tracemalloc.start()")
        for index in range(settings.memory_rounds):
            for who in ("ours", "base") if index % 2 == 0 else ("base", "ours"):
                make = "connection()" if who == "ours" else "Baseline()"
                empty = measure()
                self.kernel.execute(f"holder.children = tuple({make} for _ in range({count}))")
                if who == "ours":
                    self._frames(count + 1)
                else:
                    self.page.wait_for_function(
                        "n => document.querySelectorAll('.bench-baseline').length === n",
                        arg=count + 1,
                    )
                full = measure()
                for metric, before, after in zip(kib[who], empty, full, strict=True):
                    kib[who][metric].append((after - before) / count / 1024)
                self.kernel.execute(
                    "old, holder.children = holder.children, ()\nfor w in old: w.close()\ndel old"
                )
                self.page.wait_for_function(
                    "() => document.querySelectorAll('.workato-connection').length === 1 && "
                    "document.querySelectorAll('.bench-baseline').length === 1"
                )
        self.kernel.execute("tracemalloc.stop()")
        cdp.detach()

        page_mib = statistics.median(kib["ours"]["page"]) * count / 1024
        notes = {
            "page": [
                f"{page_mib:.2f} MiB for {count} over the page with none; the iframes' own pages "
                "run in other renderer processes and are not counted"
            ],
            "rss": ["noisy: the allocator keeps and reuses freed pages"],
            "traced": ["Python objects allocated and still held (tracemalloc)"],
        }
        labels = {"page": "page JS heap", "rss": "kernel RSS", "traced": "kernel Python heap"}
        figures = []
        for metric, label in labels.items():
            base, ours = kib["base"][metric], kib["ours"][metric]
            figures += [
                Figure(
                    "Memory",
                    f"{label} per widget, plain anywidget ({count} rendered; baseline)",
                    "KiB",
                    summarize(base),
                ),
                Figure(
                    "Memory",
                    f"{label} per widget, ConnectionWidget ({count} rendered)",
                    "KiB",
                    summarize(ours),
                    baseline="plain anywidget",
                    ratio=summarize(ratios(ours, base)),
                    notes=notes[metric],
                ),
            ]
        return figures


def _ready(frame: Frame) -> bool:
    try:
        return bool(frame.evaluate("() => typeof window.benchPost === 'function'"))
    except Exception:  # a frame still navigating has no context yet
        return False
