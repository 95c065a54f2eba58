"""A ConnectionsPanel with its recipes, beside the same panel without them.

A customer with 20 connections and 50 recipes (some running, some stopped by trigger errors with
failed jobs, some never run), the sandbox inside the notebook's kernel. In the same JupyterLab
page and run, interleaved: the panel (`recipes=True`), from display until every row shows its
recipe summary, and the same panel with `recipes=False`, until every row shows its badge. Each
is built before the clock starts; how long building took in the kernel and how many Embedded API
requests it made (the client's own count) are reported beside: the recipe list is one paged
read, not one per row, and last jobs are read only for the recipes that need them (bounded).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

from .browser import calibrate, lab_notebook
from .measure import Figure, Settings, ratios, summarize
from .panel import OUTPUT_CELL, watch_js

TARGET = 1.5
VARIANTS = ("recipes", "plain")
CONNECTIONS, RECIPES = 20, 50

SETUP_CELL = """
import gc, time
import ipywidgets
from IPython.display import display
from workato_ipywidget import ConnectionsPanel, EmbeddedApi, Sandbox

CONNECTIONS, RECIPES = {connections}, {recipes}
sandbox = Sandbox()
for n in range(1, CONNECTIONS + 1):  # a quarter each: connected, never, failed, lost
    sandbox.add_connection(n, "salesforce", name=f"Salesforce {{n:02}}",
                           connected=n % 4 in (0, 3))
running = []
for r in range(1, RECIPES + 1):
    connection = r % CONNECTIONS + 1
    live = connection % 4 in (0, 3)
    sandbox.add_recipe(r, f"Recipe {{r:02}}", connections=[connection], running=live)
    if live:
        sandbox.run_jobs(r, 2)
        running.append(r)
for n in range(1, CONNECTIONS + 1):
    if n % 4 == 3:
        sandbox.lose_connection(n, "the grant was revoked")
    elif n % 4 == 2:
        sandbox.fail_connection(n, "invalid credentials")
for r in running:
    if (r % CONNECTIONS + 1) % 4 == 3:
        sandbox.run_jobs(r, 5)  # stopped on trigger errors
sandbox.start()
api = EmbeddedApi(sandbox.api_token, base_url=sandbox.base_url)
{output}
def build(variant):
    clear()
    before = api.stats.requests
    started = time.perf_counter()
    shown.append(ConnectionsPanel("acme", api=api, signer=sandbox.signer,
                                  recipes=variant == "recipes"))
    return (time.perf_counter() - started) * 1000, api.stats.requests - before

def show():
    start = time.time_ns()
    out.append_display_data(shown[0])
    return start
"""

# In the notebook page: every row shows its recipe summary (recipes) or its badge (plain).
DONE_JS = """{
    recipes: (n) => document.querySelector(".workato-panel[data-live='true']") !== null &&
      [...document.querySelectorAll("tr.workato-panel-row .workato-panel-recipes-cell")]
        .filter((cell) => cell.textContent.includes("recipe")).length === n,
    plain: (n) => document.querySelector(".workato-panel[data-live='true']") !== null &&
      document.querySelectorAll("tr.workato-panel-row .workato-badge[data-status]").length === n,
  }"""

EMPTY_JS = "() => !document.querySelector('.workato-panel')"


def run(settings: Settings) -> list[Figure]:
    setup = SETUP_CELL.format(connections=CONNECTIONS, recipes=RECIPES, output=OUTPUT_CELL)
    with lab_notebook([setup]) as (page, notebook):
        kernel = notebook.kernel
        page.evaluate(watch_js(DONE_JS))
        offset = calibrate(page)
        samples: dict[str, dict[str, list[float]]] = {
            v: {"ms": [], "build": [], "requests": []} for v in VARIANTS
        }
        for index in range(1 + settings.panel_rounds):  # round 0 warms caches and is dropped
            for variant in VARIANTS if index % 2 else reversed(VARIANTS):
                built, requests = kernel.value(f"build({variant!r})")
                page.wait_for_function(EMPTY_JS)
                page.evaluate(f"() => benchWatch({variant!r}, {CONNECTIONS})")
                start = kernel.value("show()")
                page.wait_for_function("() => window.benchDone !== null", timeout=120_000)
                done = float(page.evaluate("() => window.benchDone")) - offset
                if index:
                    samples[variant]["ms"].append(done - start / 1e6)
                    samples[variant]["build"].append(float(built))
                    samples[variant]["requests"].append(float(requests))
        drift = abs(calibrate(page) - offset)
        kernel.execute("clear(); sandbox.stop()")
    return figures(samples, drift)


def figures(samples: Mapping[str, Mapping[str, Sequence[float]]], drift: float) -> list[Figure]:
    """The benchmark's figures: per variant, display -> every row shown (ms), with the kernel's
    build time and request count beside, and the ratio of the panel with recipes to without."""
    recipes, plain = samples["recipes"], samples["plain"]
    ratio = summarize(ratios(recipes["ms"], plain["ms"]))
    build_ratio = summarize(ratios(recipes["build"], plain["build"]))
    median = statistics.median
    met = ratio.median <= TARGET
    what = f"{CONNECTIONS} connections and {RECIPES} recipes"
    return [
        Figure(
            "Panel recipes",
            f"ConnectionsPanel of {what}, recipes=False: display -> every row shows its badge "
            "(baseline)",
            "ms",
            summarize(plain["ms"]),
            notes=[
                f"building it took {median(plain['build']):.0f} ms in the kernel, "
                f"{median(plain['requests']):.0f} request(s)",
                f"clock calibration drift {drift:.2f} ms",
            ],
        ),
        Figure(
            "Panel recipes",
            f"ConnectionsPanel of {what}: display -> every row shows its recipe summary",
            "ms",
            summarize(recipes["ms"]),
            baseline="the same panel without recipes",
            ratio=ratio,
            target=f"<= {TARGET}x",
            met=met,
            notes=[
                f"building it took {median(recipes['build']):.0f} ms in the kernel "
                f"({build_ratio.median:.2f}x), {median(recipes['requests']):.0f} requests: one "
                "connection list, one paged recipe list, and bounded last-job reads",
            ],
            why=""
            if met
            else "every row's summary waits for the recipe list and the last-job reads: see "
            "connection_recipes.py (read_recipes) and js/panel.ts (fill)",
        ),
    ]
