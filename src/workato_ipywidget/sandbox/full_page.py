"""The sandbox's full-page embeds: a small Workato workspace (projects, recipes, jobs) in one page.

Workato's pages are a single-page app: links move inside the iframe and the page tells its parent
with `navigated`, and a host's `navigation` request moves it too. This page does the same over the
token's customer's workspace as the sandbox holds it: the same projects, recipes and jobs that
the Embedded API answers (`Sandbox.add_recipe`, `Sandbox.run_jobs`). It posts `loaded`,
`navigated`, `click`, `heightChange` and `unloaded` as JSON strings marked `wk: true`.
"""

from __future__ import annotations

from html import escape

from .pages import document, page_script
from .records import StoredCustomer, StoredRecipe, provider_title
from .state import SandboxState

JOBS_SHOWN = 20
"""The newest jobs a recipe's job history shows."""


def recipe_path(recipe_id: int) -> str:
    """Where a recipe's page is, e.g. "/recipes/101"."""
    return f"/recipes/{recipe_id}"


def _project_of(state: SandboxState, recipe: StoredRecipe) -> int | None:
    """The project the recipe's folder is in (a folder directly in the home folder)."""
    folder = state.folders.get(recipe.folder_id)
    while folder is not None and folder.project_id is None and folder.parent_id is not None:
        folder = state.folders.get(folder.parent_id)
    return None if folder is None else folder.project_id


def _recipe(state: SandboxState, recipe: StoredRecipe) -> dict[str, object]:
    connections = []
    for connection_id in recipe.connection_ids:
        connection = state.connection(connection_id)
        connections.append(
            {
                "id": connection_id,
                "name": connection.name if connection else f"Deleted connection {connection_id}",
                "provider": provider_title(connection.provider if connection else "unknown"),
                "connected": bool(connection and connection.connected),
            }
        )
    jobs = state.recipes.job_page(recipe.id, offset=None, newer=False, status=None, size=JOBS_SHOWN)
    return {
        "id": recipe.id,
        "name": recipe.name,
        "running": recipe.running,
        "stopCause": recipe.stop_cause,
        "projectId": _project_of(state, recipe),
        "connections": connections,
        "jobs": [{"id": job.id, "status": job.status, "error": job.error} for job in jobs or ()],
    }


def workspace(customer: StoredCustomer, state: SandboxState) -> dict[str, object]:
    """What the page renders, as plain JSON for its script: the customer's projects and its
    recipes (lowest id first) with their connections and newest jobs."""
    projects = state.folders.children(customer.folder_id)
    return {
        "customer": customer.name,
        "projects": [{"id": p.project_id, "name": p.name} for p in projects],
        "recipes": [_recipe(state, r) for r in reversed(state.recipes.of_customer(customer.id))],
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

  const lastJob = (r) => r.jobs[0];
  const jobBadge = (r) => lastJob(r) ?
    badge(lastJob(r).status === "succeeded", lastJob(r).status) : badge(true, "no jobs yet");
  const stateBadge = (r) => r.running ? badge(true, "Running") :
    badge(false, r.stopCause ? `Stopped: ${r.stopCause}` : "Stopped");
  const recipeItems = (list) => list.map((r) => `<li data-recipe="${r.id}">` +
    link(`/recipes/${r.id}`, r.name) + " " + stateBadge(r) + " " + jobBadge(r) + "</li>").join("");

  function view(where) {
    const [route] = where.split(/[?#]/);
    const parts = route.split("/").filter(Boolean);
    if (parts.length === 0 || (parts[0] === "projects" && parts.length === 1)) {
      const items = data.projects.map((p) => `<li data-project="${p.id}">` +
        link(`/projects/${p.id}`, p.name) + ` · ` +
        `${data.recipes.filter((r) => r.projectId === p.id).length} recipes</li>`).join("");
      return ["Projects", crumbs(esc(data.customer)) +
        `<h1>Projects</h1><ul class="list" id="projects">${items}</ul>` +
        link("/recipes", `All recipes (${data.recipes.length})`)];
    }
    if (parts[0] === "dashboard" && parts.length === 1) {
      const failing = data.recipes.filter((r) => lastJob(r)?.status === "failed").length;
      const stopped = data.recipes.filter((r) => !r.running).length;
      return ["Dashboard", `<h1>Dashboard</h1><p id="summary">${data.recipes.length} recipes, ` +
        `${failing} with a failed last job, ${stopped} stopped</p>` +
        link("/recipes", "All recipes")];
    }
    if (parts[0] === "recipes" && parts.length === 1) {
      return ["Recipes", crumbs(link("/projects", "Projects"), "All recipes") +
        `<h1>Recipes</h1><ul class="list" id="recipes">${recipeItems(data.recipes)}</ul>`];
    }
    if (parts[0] === "projects" && parts.length === 2) {
      const project = data.projects.find((p) => String(p.id) === parts[1]);
      if (project) {
        const list = data.recipes.filter((r) => r.projectId === project.id);
        return [project.name, crumbs(link("/projects", "Projects"), esc(project.name)) +
          `<h1>${esc(project.name)}</h1><ul class="list" id="recipes">${recipeItems(list)}</ul>`];
      }
    }
    const recipe = parts[0] === "recipes" ? recipes.get(parts[1]) : undefined;
    if (recipe && parts.length === 2) {
      const items = recipe.connections.map((c) => `<li data-connection="${c.id}">` +
        `${esc(c.name)} (${esc(c.provider)}) ` +
        `${badge(c.connected, c.connected ? "Connected" : "Not connected")}</li>`).join("");
      return [recipe.name, crumbs(link("/recipes", "Recipes"), esc(recipe.name)) +
        `<h1 id="recipe-name">${esc(recipe.name)}</h1><p id="recipe-state">` +
        `${stateBadge(recipe)}</p><h2>Connections</h2>` +
        `<ul class="list" id="connections">${items}</ul>` +
        link(`/recipes/${recipe.id}/jobs`, "Job history")];
    }
    if (recipe && parts.length === 3 && parts[2] === "jobs") {
      const items = recipe.jobs.map((j) => `<li data-job="${esc(j.id)}">Job ${esc(j.id)} ` +
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
    state: SandboxState,
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
        "workspace": workspace(customer, state),
        "path": path,
        "targetOrigin": target_origin,
        "silent": silent_reason is not None,
    }
    attrs = f'data-page="full" data-silent="{escape(silent_reason or "")}"'
    return document("Workato", attrs, main, config, _FULL_PAGE_SCRIPT, nonce)
