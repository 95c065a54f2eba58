"""The sandbox's HTML: Workato's connection page and its error page, self-contained.

Each page carries its data in a JSON block and one small inline script (allowed by a per-response
CSP nonce) that posts JSON strings to `window.parent` carrying Workato's `wk: true` marker, as
Workato's own pages do (its embedding client drops anything else). An open connection page polls
its connection's state every `POLL_MS` and reports a change made elsewhere (the API, a lost
connection, another page).
"""

from __future__ import annotations

import json
from html import escape

from .records import StoredConnection, provider_title

AUTHORIZATION_FAILED = "Authorization failed: invalid credentials"
POLL_MS = 1000

_STYLE = """
* { box-sizing: border-box; }
html, body { margin: 0; background: #fff; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2933; }
main { padding: 16px 20px; max-width: 560px; }
header { display: flex; align-items: center; gap: 12px; margin-bottom: 12px; }
.logo { width: 36px; height: 36px; border-radius: 8px; background: #5f3dc4; color: #fff;
        display: grid; place-items: center; font-weight: 600; font-size: 16px; }
h1 { font-size: 16px; margin: 0; }
.name { margin: 0; color: #52606d; font-size: 13px; }
.status { display: flex; align-items: center; gap: 8px; margin: 0 0 12px; }
.dot { width: 8px; height: 8px; border-radius: 50%; background: #9aa5b1; }
.status.connected .dot { background: #2f9e44; }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #cbd2d9;
         background: #fff; color: inherit; cursor: pointer; }
button.primary { background: #5f3dc4; border-color: #5f3dc4; color: #fff; }
button:disabled { opacity: .6; cursor: progress; }
form { display: grid; gap: 10px; padding: 12px; border: 1px solid #e4e7eb; border-radius: 8px;
       margin: 0 0 12px; }
label { display: grid; gap: 4px; font-size: 13px; color: #52606d; }
input { font: inherit; padding: 6px 8px; border: 1px solid #cbd2d9; border-radius: 6px; }
.actions { display: flex; gap: 8px; }
.error { color: #c92a2a; margin: 0 0 12px; }
.sandbox { color: #9aa5b1; font-size: 11px; margin: 12px 0 0; }
[hidden] { display: none !important; }
"""

# What every sandbox page's script starts with: its config, and posting to the parent as Workato's
# pages do (JSON strings marked `wk: true`, to the token's origin; nothing when silent).
_PRELUDE = """
  "use strict";
  const config = JSON.parse(document.getElementById("sandbox-config").textContent);
  const $ = (id) => document.getElementById(id);
  let lastHeight = -1;
  function post(type, payload) {
    if (config.silent) return;
    const message = payload === undefined ? { type, wk: true } : { type, payload, wk: true };
    window.parent.postMessage(JSON.stringify(message), config.targetOrigin);
  }
  function postHeight() {
    const height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height === lastHeight) return;
    lastHeight = height;
    post("heightChange", { height });
  }
"""


def page_script(body: str) -> str:
    """A page's inline script: the shared prelude, then `body`, in one strict-mode closure."""
    return f"(() => {{{_PRELUDE}{body}}})();"


_CONNECTION_SCRIPT = page_script("""
  let state = config.connection;
  let authorizing = false;
  let busy = false;
  function postStatus() {
    const payload = { id: state.id, provider: state.provider, connected: state.connected };
    if (state.error) payload.error = state.error;
    post("connectionStatusChange", payload);
  }
  function paint() {
    $("status").classList.toggle("connected", state.connected);
    $("status-text").textContent = state.connected ? "Connected" : "Not connected";
    $("connect").hidden = state.connected || authorizing;
    $("auth-form").hidden = !authorizing;
    $("disconnect").hidden = !state.connected;
    $("error").hidden = !state.error;
    $("error").textContent = state.error || "";
    for (const button of document.querySelectorAll("button")) button.disabled = busy;
    document.body.dataset.connected = String(state.connected);
    postHeight();
  }
  function sameStatus(a, b) {
    return a.connected === b.connected && (a.error || null) === (b.error || null);
  }
  async function poll() {
    let again = true;
    if (!busy) {
      try {
        const response = await fetch(config.stateUrl, {
          headers: { "X-Sandbox-Page-Secret": config.secret },
          credentials: "omit",
          cache: "no-store",
        });
        if (response.ok) {
          const fresh = await response.json();
          if (!busy && fresh.version > state.version) {
            const changed = !sameStatus(fresh, state);
            state = fresh;
            paint();
            if (changed) postStatus();
          }
        } else if (response.status === 403 || response.status === 404) {
          again = false; // the page's grant expired, or the connection is gone
        }
      } catch (err) {
        // the sandbox stopped or the network blinked: try again later
      }
    }
    if (again) setTimeout(poll, config.pollMs);
  }
  async function act(action) {
    busy = true;
    paint();
    let failure = null;
    try {
      const response = await fetch(config.actions[action], {
        method: "POST",
        headers: { "X-Sandbox-Page-Secret": config.secret },
        credentials: "omit",
        cache: "no-store",
      });
      const body = await response.json();
      if (response.ok) state = body;
      else failure = body.error || { type: "request_failed", message: "HTTP " + response.status };
    } catch (err) {
      failure = { type: "request_failed", message: "the sandbox did not answer: " + err };
    }
    busy = false;
    authorizing = false;
    if (failure) {
      state = { ...state, error: failure.message };
      paint();
      post("error", failure);
    } else {
      paint();
      postStatus();
    }
  }
  $("connect").addEventListener("click", () => {
    authorizing = true;
    state = { ...state, error: null };
    paint();
    $("username").focus({ preventScroll: true });
  });
  $("auth-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act("authorize");
  });
  $("fail").addEventListener("click", () => act("fail"));
  $("cancel").addEventListener("click", () => {
    authorizing = false;
    paint();
  });
  $("disconnect").addEventListener("click", () => act("disconnect"));
  window.addEventListener("load", () => {
    postHeight();
    postStatus();
    if ("ResizeObserver" in window) new ResizeObserver(postHeight).observe(document.body);
    setTimeout(poll, config.pollMs);
  });
""")

_ERROR_SCRIPT = page_script("""
  window.addEventListener("load", () => {
    post("error", config.error);
    postHeight();
  });
""")


def json_for_script(data: object) -> str:
    """JSON that cannot close its <script> element or open a comment."""
    text = json.dumps(data, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def document(
    title: str, body_attrs: str, main: str, config: object, script: str, nonce: str
) -> str:
    """A whole page: the shared style, `main`, its config as JSON and its one inline script."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f'<style nonce="{nonce}">{_STYLE}</style>\n'
        f"</head>\n<body {body_attrs}>\n<main>\n{main}</main>\n"
        f'<script type="application/json" id="sandbox-config">{json_for_script(config)}</script>\n'
        f'<script nonce="{nonce}">{script}</script>\n'
        "</body>\n</html>\n"
    )


def connection_page(
    connection: StoredConnection,
    *,
    target_origin: str,
    silent_reason: str | None,
    secret: str,
    action_urls: dict[str, str],
    state_url: str,
    nonce: str,
) -> str:
    """The connection widget: status, Connect -> authorization form -> Authorize/Fail, Disconnect.

    Button ids are stable for browser tests: #connect, #authorize, #fail, #cancel, #disconnect.
    """
    title = provider_title(connection.provider)
    connected = connection.connected
    error = connection.error
    hidden = " hidden"
    main = (
        f'<header><div class="logo" aria-hidden="true">{escape(title[:1])}</div>'
        f'<div><h1 id="provider">{escape(title)}</h1>'
        f'<p class="name" id="connection-name">{escape(connection.name)}</p></div></header>\n'
        f'<p class="status{" connected" if connected else ""}" id="status">'
        '<span class="dot" aria-hidden="true"></span>'
        f'<span id="status-text">{"Connected" if connected else "Not connected"}</span></p>\n'
        f'<p class="error" id="error" role="alert"{"" if error else hidden}>'
        f"{escape(error or '')}</p>\n"
        f'<button class="primary" id="connect" type="button"{hidden if connected else ""}>'
        "Connect</button>\n"
        '<form id="auth-form" hidden autocomplete="off">\n'
        f"<label>{escape(title)} username "
        '<input id="username" name="username" value="demo@example.com"></label>\n'
        '<label>API key <input id="api-key" name="api_key" type="password" '
        'value="sandbox"></label>\n'
        '<div class="actions"><button class="primary" id="authorize" type="submit">'
        "Authorize</button>"
        '<button id="fail" type="button">Fail</button>'
        '<button id="cancel" type="button">Cancel</button></div>\n</form>\n'
        f'<button id="disconnect" type="button"{"" if connected else hidden}>Disconnect</button>\n'
        '<p class="sandbox">Local Workato sandbox</p>\n'
    )
    config = {
        "connection": {
            "id": connection.id,
            "provider": connection.provider,
            "connected": connected,
            "error": error,
            "version": connection.version,
        },
        "targetOrigin": target_origin,
        "silent": silent_reason is not None,
        "secret": secret,
        "actions": action_urls,
        "stateUrl": state_url,
        "pollMs": POLL_MS,
    }
    attrs = (
        f'data-page="connection" data-connection-id="{connection.id}" '
        f'data-connected="{str(connected).lower()}" data-silent="{escape(silent_reason or "")}"'
    )
    return document(f"{title} connection", attrs, main, config, _CONNECTION_SCRIPT, nonce)


def error_page(
    code: str,
    message: str,
    *,
    heading: str,
    target_origin: str,
    silent_reason: str | None,
    nonce: str,
) -> str:
    """A refusal: shown to the user and posted as `{type: "error", payload: {type, message}}`."""
    main = (
        '<header><div class="logo" aria-hidden="true">!</div>'
        f"<div><h1>{escape(heading)}</h1>"
        f'<p class="name" id="error-code">{escape(code)}</p></div></header>\n'
        f'<p class="error" id="error" role="alert">{escape(message)}</p>\n'
        '<p class="sandbox">Local Workato sandbox</p>\n'
    )
    config = {
        "error": {"type": code, "message": message},
        "targetOrigin": target_origin,
        "silent": silent_reason is not None,
    }
    attrs = (
        f'data-page="error" data-error="{escape(code)}" data-silent="{escape(silent_reason or "")}"'
    )
    return document(heading, attrs, main, config, _ERROR_SCRIPT, nonce)
