"""A customer's connections in one ConnectionsPanel, beside one ConnectionWidget(api=...) each.

In the same JupyterLab page and run, interleaved: the panel of N connections (50 by default),
from display until every row shows its Embedded API status, and N separately displayed
ConnectionWidgets (each seeded from the API), until every status line shows its API status
(which a view shows once the kernel answered its `ready`). Both are built before the clock
starts, and how long building takes in the kernel (one list read for the panel, one per widget)
is reported beside. The page's JS heap with each shown is measured after garbage collection.

The sandbox runs inside the notebook's kernel, as in the demo; its connections are in four
states (connected, never authorized, failed, lost), one in four each.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

from .browser import calibrate, lab_notebook
from .measure import Figure, Settings, ratios, summarize

TARGET = 0.25
VARIANTS = ("panel", "widgets")

OUTPUT_CELL = """out = ipywidgets.Output()
display(out)
shown = []

def clear():
    out.clear_output()
    for widget in shown:
        widget.close()
    shown.clear()
    gc.collect()
"""
"""Kernel code: an Output the shown widgets go to, and `clear()` to close them again."""

SETUP_CELL = """
import gc, time
import ipywidgets
from IPython.display import display
from workato_ipywidget import ConnectionsPanel, ConnectionWidget, EmbeddedApi, Sandbox

SIZE = {size}
sandbox = Sandbox().start()
for n in range(1, SIZE + 1):
    state = n % 4
    sandbox.add_connection(n, "salesforce", name=f"Salesforce {{n:02}}", connected=state in (1, 3))
    if state == 2:
        sandbox.fail_connection(n, "invalid credentials")
    elif state == 3:
        sandbox.lose_connection(n, "the grant was revoked")
api = EmbeddedApi(sandbox.api_token, base_url=sandbox.base_url)
OPTIONS = dict(signer=sandbox.signer, customer_id="acme", base_url=sandbox.base_url,
               diagnose_after=None)
{output}
def build(variant):
    clear()
    started = time.perf_counter()
    if variant == "panel":
        shown.append(ConnectionsPanel("acme", api=api, signer=sandbox.signer))
    else:
        shown.extend(ConnectionWidget(n, api=api, **OPTIONS) for n in range(1, SIZE + 1))
    return (time.perf_counter() - started) * 1000

def show():
    box = ipywidgets.VBox(list(shown))
    start = time.time_ns()
    out.append_display_data(box)
    return start
"""

# In the notebook page: resolve when every row (panel) or every status line (widgets) shows an
# API status, timed on the page's clock at the first mutation after which it holds.
DONE_JS = """{
    panel: (n) => document.querySelector(".workato-panel[data-live='true']") !== null &&
      document.querySelectorAll("tr.workato-panel-row .workato-badge[data-status]").length === n,
    widgets: (n) => {
      const API = new Set(["connected", "disconnected", "error"]);
      const lines = document.querySelectorAll(".workato-connection-status");
      return lines.length === n && [...lines].every((line) => API.has(line.dataset.status));
    },
  }"""


def watch_js(done: str) -> str:
    """A page script that defines `benchWatch(variant, n)`: it sets `window.benchDone` (the
    page's clock) at the first DOM mutation after which `done[variant](n)` holds."""
    return f"""() => {{
  const done = {done};
  window.benchWatch = (variant, n) => {{
    window.benchDone = null;
    const check = () => {{
      if (window.benchDone === null && done[variant](n)) {{
        window.benchDone = performance.timeOrigin + performance.now();
        observer.disconnect();
      }}
    }};
    const observer = new MutationObserver(check);
    observer.observe(document.body,
      {{ subtree: true, childList: true, attributes: true, characterData: true }});
    check();
  }};
}}"""


WATCH_JS = watch_js(DONE_JS)

EMPTY_JS = "() => !document.querySelector('.workato-panel, .workato-frame')"


def run(settings: Settings) -> list[Figure]:
    size = settings.panel_size
    with lab_notebook([SETUP_CELL.format(size=size, output=OUTPUT_CELL)]) as (page, notebook):
        kernel = notebook.kernel
        page.evaluate(WATCH_JS)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")

        def heap() -> float:
            for _ in range(2):
                cdp.send("HeapProfiler.collectGarbage")
            metrics = cdp.send("Performance.getMetrics")["metrics"]
            return float(next(m["value"] for m in metrics if m["name"] == "JSHeapUsedSize"))

        offset = calibrate(page)
        samples: dict[str, dict[str, list[float]]] = {
            v: {"ms": [], "build": [], "heap": []} for v in VARIANTS
        }
        for index in range(1 + settings.panel_rounds):  # round 0 warms caches and is dropped
            for variant in VARIANTS if index % 2 else reversed(VARIANTS):
                built = float(kernel.value(f"build({variant!r})"))
                page.wait_for_function(EMPTY_JS)
                empty = heap()
                page.evaluate(f"() => benchWatch({variant!r}, {size})")
                start = kernel.value("show()")
                page.wait_for_function("() => window.benchDone !== null", timeout=120_000)
                done = float(page.evaluate("() => window.benchDone")) - offset
                full = heap()
                if index:
                    samples[variant]["ms"].append(done - start / 1e6)
                    samples[variant]["build"].append(built)
                    samples[variant]["heap"].append((full - empty) / 1024)
        drift = abs(calibrate(page) - offset)
        kernel.execute("clear(); sandbox.stop()")
        cdp.detach()
    return figures(samples, size, drift)


def figures(
    samples: Mapping[str, Mapping[str, Sequence[float]]], size: int, drift: float
) -> list[Figure]:
    """The benchmark's figures from its samples: per variant, the time until every status is
    shown (ms), the kernel's build time (ms) and the page heap (KiB)."""
    panel, widgets = samples["panel"], samples["widgets"]
    ratio = summarize(ratios(panel["ms"], widgets["ms"]))
    name = f"ConnectionsPanel of {size} connections"
    baseline = f"{size} ConnectionWidgets"
    met = ratio.median <= TARGET
    median = statistics.median
    return [
        Figure(
            "Panel",
            f"{size} separately displayed `ConnectionWidget(api=...)`: display -> every status "
            "line shows its API status (baseline)",
            "ms",
            summarize(widgets["ms"]),
            notes=[
                f"building them took {median(widgets['build']):.0f} ms in the kernel "
                f"({size} list reads)",
                f"clock calibration drift {drift:.2f} ms",
            ],
        ),
        Figure(
            "Panel",
            f"{name}: display -> every row shows its API status",
            "ms",
            summarize(panel["ms"]),
            baseline=baseline,
            ratio=ratio,
            target=f"<= {TARGET}x",
            met=met,
            notes=[
                f"building it took {median(panel['build']):.0f} ms in the kernel (one list read)",
                "no iframe until a row is opened",
            ],
            why=""
            if met
            else "the panel's first paint waits for its `ready` -> `hello` round trip and draws "
            "every row at once: see js/panel.ts (paint) and panel.py (the rows it syncs)",
        ),
        Figure(
            "Panel",
            f"page JS heap, {size} ConnectionWidgets shown (baseline)",
            "KiB",
            summarize(widgets["heap"]),
            notes=["their iframes' pages run in other renderer processes and are not counted"],
        ),
        Figure(
            "Panel",
            f"page JS heap, {name} shown",
            "KiB",
            summarize(panel["heap"]),
            baseline=baseline,
            ratio=summarize(ratios(panel["heap"], widgets["heap"])),
        ),
    ]
