"""Time to first message: from displaying a widget until the kernel holds its iframe's first event.

For `ConnectionWidget` and `EmbeddedPage` on the sandbox's real pages, beside the least a user could
write in the same run: `IPython.display.IFrame` of the same page with a pre-signed URL, its first
message timed where it arrives in the notebook page, plus one plain anywidget round trip to the
kernel (page -> kernel -> page, timed on the page's clock). Our widgets pay that round trip once
(`ready` -> `load`) and one signing; the baseline gets the round trip for free.

Everything is shown through one `ipywidgets.Output` (`append_display_data`), cleared before each
sample, so all four variants take the same display path. Kernel times are `time.time_ns()`; the
page's `performance` clock is aligned to the same real-time clock by a calibration. The sandbox
serves from this process (not the kernel), and nothing polls the kernel while a sample runs: the
kernel tells the page when it holds a first event, and the page is what Playwright waits on.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any

from workato_ipywidget.sandbox import Sandbox

from . import nodelay
from .browser import calibrate, lab_notebook
from .measure import Figure, Settings, ratios, summarize

TARGET = 1.1

ECHO_ESM = """
export default {
  render({ model }) {
    let waiting = null;
    globalThis.benchFirsts = {};
    model.on("msg:custom", (content) => {
      if (content.first) {
        globalThis.benchFirsts[content.first] = true;
        return;
      }
      const done = waiting;
      waiting = null;
      done?.(performance.now());
    });
    globalThis.benchEcho = () => new Promise((resolve) => {
      const sent = performance.now();
      waiting = (now) => resolve(now - sent);
      model.send({ ping: true });
    });
  },
};
"""

# The least any widget could do: a plain anywidget whose iframe URL (pre-signed) is in its state,
# shown at once on render, telling the kernel when the page first speaks. No handshake.
FLOOR_ESM = """
export default {
  render({ model, el }) {
    const frame = document.createElement("iframe");
    frame.src = model.get("src");
    Object.assign(frame.style, { width: "100%", height: "320px", border: "0" });
    const onMessage = (event) => {
      if (event.source !== frame.contentWindow) return;
      window.removeEventListener("message", onMessage);
      model.send({ first: true });
    };
    window.addEventListener("message", onMessage);
    el.append(frame);
    return () => window.removeEventListener("message", onMessage);
  },
};
"""

SETUP_CELL = """
import time
import anywidget, ipywidgets, traitlets
from IPython.display import IFrame, display
from workato_ipywidget import ConnectionWidget, EmbeddedPage, TokenSigner
from workato_ipywidget.endpoints import connection_url, page_url

signer = TokenSigner({vendor!r}, {key_file!r})
BASE_URL = {base_url!r}
RECIPE = {recipe!r}
OPTIONS = dict(signer=signer, customer_id="acme", base_url=BASE_URL, diagnose_after=None)
first = {{}}

class Echo(anywidget.AnyWidget):
    _esm = {esm!r}

class Floor(anywidget.AnyWidget):
    _esm = {floor_esm!r}
    src = traitlets.Unicode().tag(sync=True)

echo = Echo()
echo.on_msg(lambda widget, content, buffers: echo.send({{"pong": True}}))
out = ipywidgets.Output()
display(echo, out)

def presigned(key, kind, origin):
    token = signer.sign("acme", origin=origin)
    if kind == "connection":
        return f"{{connection_url(BASE_URL, 1, token)}}&bench_key={{key}}"
    return f"{{page_url(BASE_URL, RECIPE, token)}}&bench_key={{key}}"

def noted(key):  # a callback noting when the kernel first heard from key's iframe
    def note(*_args):
        if key not in first:
            first[key] = time.time_ns()
            echo.send({{"first": key}})
    return note

def shown(widget):
    start = time.time_ns()
    out.append_display_data(widget)
    return start

def show_widget(key, kind):
    out.outputs = ()  # clear_output() acts only inside `with out:` of a frontend execution
    if kind == "connection":
        widget = ConnectionWidget(1, **OPTIONS)
    else:
        widget = EmbeddedPage(RECIPE, **OPTIONS)
    widget.on_message(noted(key))
    return shown(widget)

def show_floor(key, kind, origin):
    out.outputs = ()
    widget = Floor(src=presigned(key, kind, origin))  # pre-signed, before the clock starts
    widget.on_msg(noted(key))
    return shown(widget)

def show_iframe(key, kind, origin):
    out.outputs = ()  # clear_output() acts only inside `with out:` of a frontend execution
    frame = IFrame(presigned(key, kind, origin), width="100%", height=320)  # pre-signed
    return shown(frame)
"""

# In the notebook page: when each plain IFrame's first message arrives (its src names its key).
WATCH_JS = """() => {
  window.benchArrivals = {};
  window.addEventListener("message", (event) => {
    for (const frame of document.querySelectorAll("iframe")) {
      if (frame.contentWindow !== event.source) continue;
      const key = /bench_key=([^&#]+)/.exec(frame.src)?.[1];
      if (key && !(key in window.benchArrivals)) {
        window.benchArrivals[key] = performance.timeOrigin + performance.now();
      }
    }
  });
}"""

KINDS = {"connection": "ConnectionWidget", "page": "EmbeddedPage"}


VENDOR = "bench-vendor"


def run(settings: Settings) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="wi-first-") as keys, Sandbox() as sandbox:
        return _measure(settings, sandbox, _vendor_key(sandbox, Path(keys)))


def _vendor_key(sandbox: Sandbox, folder: Path) -> Path:
    """A fresh vendor key the kernel signs with, registered with the sandbox."""
    from e2e_keys import write_vendor_key  # the e2e harness, on sys.path once .browser is loaded

    path = folder / "vendor.pem"
    sandbox.register_public_key(VENDOR, write_vendor_key(path))
    return path


def _session(
    settings: Settings, cells: list[str], server_config: dict[str, Any] | None = None
) -> tuple[dict[str, list[float]], list[float], float]:
    """Every variant, interleaved, in one JupyterLab: samples by variant, round trips, drift."""
    with lab_notebook(cells, server_config) as (page, notebook):
        kernel = notebook.kernel
        page.wait_for_function("() => globalThis.benchEcho !== undefined")
        page.evaluate(WATCH_JS)
        origin = notebook.server.base_url
        offset = calibrate(page)
        samples: dict[str, list[float]] = {
            name: [] for kind in KINDS for name in (kind, f"iframe-{kind}", f"floor-{kind}")
        }
        echo: list[float] = []

        def kernel_heard(call: str, key: str) -> float:
            start = kernel.value(call)
            page.wait_for_function("(key) => key in globalThis.benchFirsts", arg=key)
            return float(kernel.value(f"first[{key!r}]") - start) / 1e6

        def widget(kind: str, key: str) -> float:
            return kernel_heard(f"show_widget({key!r}, {kind!r})", key)

        def floor(kind: str, key: str) -> float:
            return kernel_heard(f"show_floor({key!r}, {kind!r}, {origin!r})", key)

        def iframe(kind: str, key: str) -> float:
            start = kernel.value(f"show_iframe({key!r}, {kind!r}, {origin!r})")
            page.wait_for_function(f"() => {key!r} in window.benchArrivals", timeout=60_000)
            arrival = page.evaluate(f"() => window.benchArrivals[{key!r}]") - offset
            return float(arrival - start / 1e6)

        for index in range(1 + settings.first_rounds):  # round 0 warms caches and is dropped
            order = [
                ("connection", widget),
                ("iframe-connection", iframe),
                ("floor-connection", floor),
                ("page", widget),
                ("iframe-page", iframe),
                ("floor-page", floor),
            ]
            taken = {}
            for name, measure in order if index % 2 else reversed(order):
                kind = name.removeprefix("iframe-").removeprefix("floor-")
                taken[name] = measure(kind, f"{name}-{index}")
            # Three round trips back to back, their median this round's: on the stock server
            # each reply waits for the browser's delayed ACK (see nodelay.py).
            trip = statistics.median(float(page.evaluate("() => benchEcho()")) for _ in range(3))
            if index:
                for name, value in taken.items():
                    samples[name].append(value)
                echo.append(trip)
        drift = abs(calibrate(page) - offset)
        kernel.execute("out.outputs = ()")
        if server_config is nodelay.SERVER_CONFIG and nodelay.APPLIED.encode() not in b"".join(
            notebook.server.logs().values()
        ):
            raise RuntimeError("the second JupyterLab did not use benchmarks/nodelay.py")

    return samples, echo, drift


def _measure(settings: Settings, sandbox: Sandbox, key_file: Path) -> list[Figure]:
    sandbox.add_connection(1, "salesforce", name="Salesforce")
    sandbox.add_recipe(101, "Sync Salesforce records", connections=[1])
    cells = [
        SETUP_CELL.format(
            esm=ECHO_ESM,
            floor_esm=FLOOR_ESM,
            vendor=VENDOR,
            key_file=str(key_file),
            base_url=sandbox.base_url,
            recipe=sandbox.recipe_path(101),
        )
    ]
    samples, echo, drift = _session(settings, cells)
    fast, fast_echo, _ = _session(settings, cells, nodelay.SERVER_CONFIG)

    median = statistics.median
    figures = [
        Figure(
            "First message",
            "plain anywidget round trip page -> kernel -> page",
            "ms",
            summarize(echo),
            notes=[
                f"clock calibration drift {drift:.2f} ms; three back to back, their median each "
                "round",
            ],
        ),
        Figure(
            "First message",
            "plain anywidget round trip, server's kernel websocket with TCP_NODELAY",
            "ms",
            summarize(fast_echo),
            baseline="stock round trip",
            ratio=summarize(ratios(fast_echo, echo)),
            notes=[
                "a second JupyterLab in the same run, after the stock one, configured with "
                "benchmarks/nodelay.py: the stock server's kernel-to-page frames wait for the "
                "browser's delayed ACK (Nagle)",
            ],
        ),
    ]
    for kind, widget_name in KINDS.items():
        ours, floor = samples[kind], samples[f"floor-{kind}"]
        plain = median(samples[f"iframe-{kind}"])
        figures.append(
            Figure(
                "First message",
                f"plain anywidget showing the {widget_name} page, pre-signed, no handshake",
                "ms",
                summarize(floor),
                notes=[
                    "the least any widget can do: its iframe starts on render, the URL in its "
                    f"state; the `IFrame` output of the same page: {plain:.0f} ms",
                ],
            )
        )
        baseline = [f + e for f, e in zip(samples[f"iframe-{kind}"], echo, strict=True)]
        ratio = summarize(ratios(ours, baseline))
        figures.append(
            Figure(
                "First message",
                f"{widget_name}: display -> first message in the kernel, beside IPython IFrame",
                "ms",
                summarize(ours),
                baseline="IFrame first message + round trip",
                ratio=ratio,
                target=f"<= {TARGET}x",
                met=ratio.median <= TARGET,
                notes=[
                    f"`IPython.display.IFrame` of the same page, pre-signed: first message in the "
                    f"page after {plain:.0f} ms (median); {median(ours) - median(floor):.0f} ms "
                    "more than the plain anywidget (the handshake)",
                ],
                why=""
                if ratio.median <= TARGET
                else "not the view nor the signing: a plain anywidget showing the same "
                f"pre-signed page takes {median(floor):.0f} ms against the IFrame's {plain:.0f}, "
                "and signing takes 1-3 ms. The handshake's `load` is a kernel-to-page reply the "
                "stock jupyter_server holds for the browser's delayed ACK (Nagle; with "
                "TCP_NODELAY the widget's first message comes "
                f"{median(ours) - median(fast[kind]):.0f} ms sooner, row below), and this light "
                "page then loads slower than the same "
                "page started at once (navigation timing in benchmarks/README.md)",
            )
        )
        fast_baseline = [f + e for f, e in zip(fast[f"iframe-{kind}"], fast_echo, strict=True)]
        figures.append(
            Figure(
                "First message",
                f"{widget_name}: display -> first message, server websocket with TCP_NODELAY",
                "ms",
                summarize(fast[kind]),
                baseline=f"{widget_name}, stock server",
                ratio=summarize(ratios(fast[kind], ours)),
                notes=[
                    f"{median(ratios(fast[kind], fast_baseline)):.2f}x that server's IFrame "
                    f"({median(fast[f'iframe-{kind}']):.0f} ms) + round trip "
                    f"({median(fast_echo):.1f} ms); its plain anywidget "
                    f"{median(fast[f'floor-{kind}']):.0f} ms",
                ],
            )
        )
    return figures
