"""The sandbox's full-page embeds: a small Workato workspace (projects, recipes, jobs) in one page.

Workato's pages are a single-page app: links move inside the iframe and the page tells its parent
with `navigated`, and a host's `navigation` request moves it too. This page does the same over a
workspace derived from the customer's connections: one recipe per connection, in one project,
with a few jobs whose outcome follows the connection's state. It posts `loaded`, `navigated`,
`click`, `heightChange` and `unloaded` as JSON strings marked `wk: true`.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from .pages import document, page_script
from .records import StoredConnection, StoredCustomer, provider_title

RECIPE_ID_OFFSET = 100
"""Connection `n`'s recipe is recipe `RECIPE_ID_OFFSET + n`, at `/recipes/<id>`."""
PROJECT_ID = 1


@dataclass(frozen=True)
class Recipe:
    """A sandbox recipe: it uses exactly one connection, whose state decides its jobs."""

    id: int
    name: str
    connection: StoredConnection

    @property
    def path(self) -> str:
        return recipe_path(self.id)


def recipe_path(recipe_id: int) -> str:
    """Where a recipe's page is, e.g. "/recipes/101"."""
    return f"/recipes/{recipe_id}"


def recipes(connections: tuple[StoredConnection, ...]) -> list[Recipe]:
    """The customer's recipes: one per (non-runtime) connection, by connection id."""
    return [
        Recipe(
            id=RECIPE_ID_OFFSET + c.id,
            name=f"Sync {provider_title(c.provider)} records",
            connection=c,
        )
        for c in connections
        if not c.runtime
    ]


def _jobs(recipe: Recipe) -> list[dict[str, object]]:
    connection = recipe.connection
    if connection.connected:
        return [{"id": recipe.id * 10 + i, "status": "succeeded", "error": None} for i in (3, 2, 1)]
    reason = (
        connection.connection_lost_reason
        or connection.authorization_error
        or f"{provider_title(connection.provider)} is not connected"
    )
    return [
        {"id": recipe.id * 10 + 2, "status": "failed", "error": reason},
        {"id": recipe.id * 10 + 1, "status": "succeeded", "error": None},
    ]


def workspace(
    customer: StoredCustomer, connections: tuple[StoredConnection, ...]
) -> dict[str, object]:
    """What the page renders, as plain JSON for its script."""
    return {
        "customer": customer.name,
        "project": {"id": PROJECT_ID, "name": "Integrations"},
        "recipes": [
            {
                "id": r.id,
                "name": r.name,
                "connection": {
                    "id": r.connection.id,
                    "name": r.connection.name,
                    "provider": provider_title(r.connection.provider),
                    "connected": r.connection.connected,
                },
                "jobs": _jobs(r),
            }
            for r in recipes(connections)
        ],
    }


_STYLE_EXTRA = """
nav.crumbs { font-size: 12px; color: #52606d; margin: 0 0 8px; }
ul.list { list-style: none; padding: 0; margin: 0 0 12px; }
ul.list li { padding: 6px 0; border-bottom: 1px solid #e4e7eb; }
.badge { font-size: 11px; padding: 1px 6px; border-radius: 8px; background: #e4e7eb; }
.badge.ok { background: #d3f9d8; color: #2b8a3e; }
.badge.bad { background: #ffe3e3; color: #c92a2a; }
a { color: #5f3dc4; }
"""

_FULL_PAGE_SCRIPT = page_script("""
  const data = config.workspace;
  const recipes = new Map(data.recipes.map((r) => [String(r.id), r]));
  let path = config.path;

  const esc = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const link = (to, text) => `<a href="#" data-path="${esc(to)}">${esc(text)}</a>`;
  const badge = (ok, text) => `<span class="badge ${ok ? "ok" : "bad"}">${esc(text)}</span>`;
  const crumbs = (...parts) => `<nav class="crumbs">${parts.join(" / ")}</nav>`;

  function view(where) {
    const [route] = where.split(/[?#]/);
    const parts = route.split("/").filter(Boolean);
    if (parts.length === 0 || (parts[0] === "projects" && parts.length === 1)) {
      return ["Projects", crumbs(esc(data.customer)) +
        `<h1>Projects</h1><ul class="list" id="projects"><li>` +
        link(`/projects/${data.project.id}`, data.project.name) +
        ` · ${data.recipes.length} recipes</li></ul>`];
    }
    if (parts[0] === "dashboard" && parts.length === 1) {
      const failing = data.recipes.filter((r) => r.jobs[0].status === "failed").length;
      return ["Dashboard", `<h1>Dashboard</h1><p id="summary">${data.recipes.length} recipes, ` +
        `${failing} with a failed last job</p>` + link("/recipes", "All recipes")];
    }
    if ((parts[0] === "recipes" && parts.length === 1) ||
        (parts[0] === "projects" && parts.length === 2)) {
      const items = data.recipes.map((r) => `<li data-recipe="${r.id}">` +
        link(`/recipes/${r.id}`, r.name) + " " +
        badge(r.jobs[0].status === "succeeded", r.jobs[0].status) + "</li>").join("");
      return ["Recipes", crumbs(link("/projects", "Projects"), esc(data.project.name)) +
        `<h1>Recipes</h1><ul class="list" id="recipes">${items}</ul>`];
    }
    const recipe = parts[0] === "recipes" ? recipes.get(parts[1]) : undefined;
    if (recipe && parts.length === 2) {
      const c = recipe.connection;
      return [recipe.name, crumbs(link("/recipes", "Recipes"), esc(recipe.name)) +
        `<h1 id="recipe-name">${esc(recipe.name)}</h1><h2>Connections</h2>` +
        `<ul class="list" id="connections"><li data-connection="${c.id}">${esc(c.name)} ` +
        `(${esc(c.provider)}) ${badge(c.connected, c.connected ? "Connected" : "Not connected")}` +
        `</li></ul>` + link(`/recipes/${recipe.id}/jobs`, "Job history")];
    }
    if (recipe && parts.length === 3 && parts[2] === "jobs") {
      const items = recipe.jobs.map((j) => `<li data-job="${j.id}">Job ${j.id} ` +
        badge(j.status === "succeeded", j.status) + (j.error ? ` ${esc(j.error)}` : "") +
        "</li>").join("");
      return [`${recipe.name} jobs`, crumbs(link("/recipes", "Recipes"),
        link(`/recipes/${recipe.id}`, recipe.name), "Jobs") +
        `<h1>Jobs</h1><ul class="list" id="jobs">${items}</ul>`];
    }
    return ["Not found", `<h1>Page not found</h1><p id="not-found">${esc(where)}</p>` +
      link("/projects", "Projects")];
  }

  function show(where) {
    path = where;
    const [title, html] = view(where);
    $("page").innerHTML = html;
    document.title = title;
    document.body.dataset.path = where;
    postHeight();
    return title;
  }

  function go(where, replaced) {
    const title = show(where);
    post("navigated", { url: where, replaced, title });
  }

  document.addEventListener("click", (event) => {
    post("click");
    const target = event.target instanceof Element ? event.target.closest("a[data-path]") : null;
    if (target === null) return;
    event.preventDefault(); // links stay inside the iframe
    go(target.dataset.path, false);
  });
  window.addEventListener("message", (event) => {
    // Only the embedding page may steer, and only from the origin the token names.
    if (event.source !== window.parent) return;
    if (config.targetOrigin !== "*" && event.origin !== config.targetOrigin) return;
    if (typeof event.data !== "string") return;
    let message;
    try { message = JSON.parse(event.data); } catch { return; }
    if (!message || message.type !== "navigation" || !message.payload) return;
    const url = message.payload.url;
    if (typeof url !== "string" || !url.startsWith("/") || url.startsWith("//")) return;
    go(url, false);
  });
  window.addEventListener("pagehide", () => post("unloaded"));
  window.addEventListener("load", () => {
    const title = show(path);
    post("loaded", { url: path, title });
    if ("ResizeObserver" in window) new ResizeObserver(postHeight).observe(document.body);
  });
""")


def full_page(
    customer: StoredCustomer,
    connections: tuple[StoredConnection, ...],
    *,
    path: str,
    target_origin: str,
    silent_reason: str | None,
    nonce: str,
) -> str:
    """The workspace at `path`; every later move happens inside the page."""
    main = (
        '<div id="page"></div>\n'
        f'<p class="sandbox">Local Workato sandbox · {escape(customer.name)}</p>\n'
        f'<style nonce="{nonce}">{_STYLE_EXTRA}</style>\n'
    )
    config = {
        "workspace": workspace(customer, connections),
        "path": path,
        "targetOrigin": target_origin,
        "silent": silent_reason is not None,
    }
    attrs = f'data-page="full" data-silent="{escape(silent_reason or "")}"'
    return document("Workato", attrs, main, config, _FULL_PAGE_SCRIPT, nonce)
