// The bridge's rules, with no DOM and no widget model of their own, so tests can call them.
// Python owns the protocol; these functions only decide what may cross the page and in which order.

/** A postMessage from the Workato iframe, as forwarded to the kernel (validated there). */
export interface WorkatoMessage {
  type: string;
  payload?: unknown;
  [key: string]: unknown;
}

export type Status = "loading" | "connected" | "disconnected" | "loaded" | "error";

/** What the kernel may tell one view, after validation. */
export type FrontendCommand =
  | { kind: "load"; url: string; origin: string; trusted: ReadonlySet<string> }
  | { kind: "load_error"; message: string }
  | { kind: "reload" }
  | { kind: "navigate"; path: string }
  | { kind: "tab"; url: string }
  | { kind: "tab_error"; message: string }
  | { kind: "pong" };

/** Largest postMessage accepted, in UTF-8 bytes of its JSON form. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Heights are clamped to 0..MAX_HEIGHT pixels (same cap as protocol.py). */
export const MAX_HEIGHT = 100_000;
/** Longest delay setTimeout honours; beyond it browsers fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A plain object (not null, not an array): what a message or a synced trait must be. */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** What a view can send to the kernel through (the subset of an anywidget model it uses). */
export interface Sender {
  send(content: object): void;
}

/** Send `content` to the kernel; a closed comm (the kernel is gone) throws, and is ignored. */
export function safeSend(model: Sender, content: object): void {
  try {
    model.send(content);
  } catch {
    // The comm is closed (kernel gone): nothing left to tell.
  }
}

/** How long a view waits for the kernel's first answer before saying it needs a kernel. */
export const KERNEL_WAIT_MS = 5000;
/** What a view shows until the kernel first answers. */
export const WAITING_FOR_KERNEL = "Waiting for the Python kernel…";

/** What a view shows when no kernel answered in time (saved output, a dead kernel). */
export function noKernelText(subject: "widget" | "panel" | "table"): string {
  return (
    `This ${subject} needs a running Python kernel: run its cell again. Saved output shows no ` +
    "live Workato state."
  );
}

/**
 * A view's wait for the kernel's first answer: `start()` arms (or re-arms) the timer, and if
 * `answered()` was not called within `waitMs`, `onOffline` runs once per arming. An answer
 * cancels the timer and stays: a later start() (a reload) never turns the view offline again.
 */
export class KernelWait {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private heard = false;
  private late = false;

  constructor(
    private readonly waitMs: number,
    private readonly onOffline: () => void,
  ) {}

  /** The kernel answered at least once. */
  get hasAnswered(): boolean {
    return this.heard;
  }

  /** No answer came within the wait (and none since). */
  get isOffline(): boolean {
    return this.late && !this.heard;
  }

  /** The waiting text, the no-kernel text once the wait is over, or null after an answer. */
  text(subject: "widget" | "panel" | "table"): string | null {
    if (this.heard) return null;
    return this.late ? noKernelText(subject) : WAITING_FOR_KERNEL;
  }

  start(): void {
    this.dispose();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.heard) return;
      this.late = true;
      this.onOffline();
    }, this.waitMs);
  }

  answered(): void {
    this.dispose();
    this.heard = true;
    this.late = false;
  }

  /** The kernel may be gone (its comm changed): unless it answers within the wait, go offline. */
  probe(): void {
    if (this.isOffline) return;
    this.dispose();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lost();
    }, this.waitMs);
  }

  /** The kernel is gone (restarted, shut down, dead): offline now, until it answers again. */
  lost(): void {
    this.dispose();
    if (this.isOffline) return;
    this.heard = false;
    this.late = true;
    this.onOffline();
  }

  /** Cancel the timer (the view is going away, or the kernel answered). */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Kernel statuses after which a model's comm is gone for good: a new kernel knows no widget. */
const KERNEL_GONE: ReadonlySet<string> = new Set(["restarting", "autorestarting", "dead"]);

/** A Lumino-style signal, as a JupyterLab kernel connection's `statusChanged` is. */
interface StatusSignal {
  connect(slot: (sender: unknown, status: unknown) => void): unknown;
  disconnect(slot: (sender: unknown, status: unknown) => void): unknown;
}

/** What `watchKernel` needs of a model: Backbone-style events and, maybe, a widget manager. */
export interface KernelWatched {
  on(name: string, callback: () => void): void;
  off(name: string, callback: () => void): void;
  widget_manager?: unknown;
}

function statusSignal(manager: unknown): StatusSignal | null {
  const kernel = isObject(manager) ? manager.kernel : undefined;
  const signal = isObject(kernel) ? kernel.statusChanged : undefined;
  return isObject(signal) &&
    typeof signal.connect === "function" &&
    typeof signal.disconnect === "function"
    ? (signal as unknown as StatusSignal)
    : null;
}

/**
 * Tell a view when its kernel may be gone (`gone` false: ask it) or is gone (`gone` true).
 *
 * ipywidgets' managers (JupyterLab, Notebook 7) mark every model's comm dead when the kernel
 * restarts, which Backbone reports as `comm_live_update`; their kernel connection's
 * `statusChanged` also says "restarting" or "dead" (a shutdown). Either may be missing (Voila, a
 * static page): then nothing is reported. Returns the function that stops watching.
 */
export function watchKernel(model: KernelWatched, onChange: (gone: boolean) => void): () => void {
  const onComm = () => onChange(false);
  const onStatus = (_sender: unknown, status: unknown) => {
    if (typeof status === "string" && KERNEL_GONE.has(status)) onChange(true);
  };
  model.on("comm_live_update", onComm);
  let signal: StatusSignal | null = null;
  try {
    signal = statusSignal(model.widget_manager);
    signal?.connect(onStatus);
  } catch {
    signal = null; // a manager of another shape: the comm event still tells
  }
  return () => {
    model.off("comm_live_update", onComm);
    try {
      signal?.disconnect(onStatus);
    } catch {
      // already disposed with its kernel
    }
  };
}

/** UTF-8 size of a string, with cheap answers when the UTF-16 length already decides. */
function fitsInBytes(text: string, limit: number): boolean {
  if (text.length > limit) return false; // every UTF-16 unit takes at least one byte
  if (text.length * 3 <= limit) return true; // and at most three
  return new TextEncoder().encode(text).length <= limit;
}

/**
 * Decide whether a postMessage may be forwarded, and in which form.
 *
 * Accepted only when it comes from our own iframe's window, from one of the origins the view
 * trusts (the loaded URL's, and the other hosts of its Workato data center), fits in
 * MAX_MESSAGE_BYTES and is a `{type: string}` object. JSON strings are parsed, objects are passed
 * through a JSON round trip so the kernel gets exactly what was measured. Workato's `wk: true`
 * marker is dropped, as its embedding client does. Never throws.
 */
export function acceptMessage(
  data: unknown,
  fromOurFrame: boolean,
  origin: string,
  trusted: ReadonlySet<string> | null,
): WorkatoMessage | null {
  if (!fromOurFrame || trusted === null || !trusted.has(origin)) return null;
  try {
    let json: string | undefined;
    if (typeof data === "string") {
      json = data;
    } else {
      json = JSON.stringify(data); // throws on cycles and BigInt; undefined for undefined
      if (typeof json !== "string") return null;
    }
    if (!fitsInBytes(json, MAX_MESSAGE_BYTES)) return null;
    const parsed: unknown = JSON.parse(json);
    if (!isObject(parsed) || typeof parsed.type !== "string") return null;
    delete parsed.wk;
    return parsed as WorkatoMessage;
  } catch {
    return null;
  }
}

/** A finite height clamped to 0..MAX_HEIGHT and rounded, or null when it is not a number. */
export function clampHeight(value: unknown): number | null {
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  return Math.min(MAX_HEIGHT, Math.max(0, Math.round(value)));
}

/** The height a `heightChange` asks for, or null for any other (or malformed) message. */
export function heightOf(message: WorkatoMessage): number | null {
  if (message.type !== "heightChange" || !isObject(message.payload)) return null;
  return clampHeight(message.payload.height);
}

/**
 * Validate a custom message from the kernel for the view `view`; null means "ignore it".
 *
 * A `load` whose URL is not http(s) becomes a `load_error`, so a view never points its iframe at
 * `javascript:` or `data:` and never trusts the opaque "null" origin. Messages never echo the
 * URL: it holds a token.
 */
export function parseFrontendCommand(content: unknown, view: string): FrontendCommand | null {
  if (!isObject(content)) return null;
  const toAll = content.view === undefined || content.view === view;
  if (content.kind === "reload") return toAll ? { kind: "reload" } : null;
  if (content.kind === "navigate") {
    const path = content.path;
    return toAll && typeof path === "string" && path.startsWith("/") && !path.startsWith("//")
      ? { kind: "navigate", path }
      : null;
  }
  if (content.view !== view) return null;
  if (content.kind === "load") {
    const origin = typeof content.url === "string" ? httpOrigin(content.url) : null;
    if (origin === null) {
      return {
        kind: "load_error",
        message:
          "The kernel sent an iframe URL that is not an absolute http(s) URL; " +
          "expected a Workato direct_link URL. Check base_url and call reload().",
      };
    }
    return { kind: "load", url: content.url as string, origin, trusted: trustedSet(origin, content.origins) };
  }
  if (content.kind === "tab") {
    return typeof content.url === "string" && httpOrigin(content.url) !== null
      ? { kind: "tab", url: content.url }
      : { kind: "tab_error", message: "The kernel sent a new-tab URL that is not http(s)." };
  }
  if (content.kind === "pong") return { kind: "pong" };
  if (content.kind === "load_error" || content.kind === "tab_error") {
    const message =
      typeof content.message === "string" && content.message !== ""
        ? content.message
        : "The kernel could not prepare the Workato URL; see the kernel's log.";
    return { kind: content.kind, message };
  }
  return null;
}

/** The loaded URL's origin plus every well-formed http(s) origin the kernel listed. */
function trustedSet(own: string, listed: unknown): ReadonlySet<string> {
  const trusted = new Set([own]);
  if (Array.isArray(listed)) {
    for (const item of listed) {
      if (typeof item === "string" && httpOrigin(item) === item) trusted.add(item);
    }
  }
  return trusted;
}

function httpOrigin(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.origin : null;
  } catch {
    return null;
  }
}

/**
 * What the status line shows: the synced traits, a view-local load error (the iframe has no
 * page: it replaces the provider and makes the status "error"), and a note about something
 * beside the iframe, such as a new tab that could not open (appended; the status is unchanged).
 */
export interface StatusState {
  status: unknown;
  /** What the frame shows: a connection's provider, a page's title or path. */
  provider: unknown;
  error: unknown;
  localError?: string | null;
  note?: string | null;
}

const LABELS: Record<Status, string> = {
  loading: "Loading…",
  connected: "Connected",
  disconnected: "Disconnected",
  loaded: "Loaded",
  error: "Error",
};

/** The status line's text and its `data-status` value, e.g. "salesforce · Connected". */
export function statusLine(state: StatusState): { text: string; status: Status } {
  const text = (value: unknown): string | null =>
    typeof value === "string" && value.trim() !== "" ? value : null;
  const localError = text(state.localError);
  const error = localError ?? text(state.error);
  const status: Status = localError
    ? "error"
    : typeof state.status === "string" && state.status in LABELS
      ? (state.status as Status)
      : "loading";
  const parts: string[] = [];
  const provider = text(state.provider);
  if (provider && !localError) parts.push(provider);
  if (status === "error") {
    parts.push(error ? `Error: ${error}` : LABELS.error);
  } else {
    parts.push(LABELS[status]);
    if (error) parts.push(`Error: ${error}`);
  }
  const note = text(state.note);
  if (note) parts.push(note);
  return { text: parts.join(" · "), status };
}

/**
 * Milliseconds to wait for a first message after the iframe loads, or null when diagnostics
 * are off (`diagnose_after` is None, negative or not a number).
 */
export function diagnoseDelayMs(diagnoseAfter: unknown): number | null {
  if (typeof diagnoseAfter !== "number" || !Number.isFinite(diagnoseAfter) || diagnoseAfter < 0) {
    return null;
  }
  return Math.min(MAX_TIMER_MS, Math.round(diagnoseAfter * 1000));
}

/** A fresh id for one view: a UUID when the page allows it, else 128 random bits in hex. */
export function makeViewId(source: Partial<Crypto> | undefined): string {
  if (typeof source?.randomUUID === "function") {
    try {
      return source.randomUUID(); // only in secure contexts (https, localhost)
    } catch {
      // fall through
    }
  }
  const bytes = new Uint8Array(16);
  if (typeof source?.getRandomValues === "function") {
    source.getRandomValues(bytes);
  } else {
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  }
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Run `callback` later; returns a function that cancels it. */
export type Scheduler = (callback: () => void) => () => void;

/** The subset of `window` a frame scheduler needs (injectable for tests). */
export interface FrameHost {
  requestAnimationFrame?: (callback: FrameRequestCallback) => number;
  cancelAnimationFrame?: (handle: number) => void;
  setTimeout: (callback: () => void, ms: number) => unknown;
  clearTimeout: (handle: never) => void;
}

/**
 * Schedule on the next animation frame, or after 16 ms when rAF is missing.
 *
 * With `backstopMs`, a timer also runs so a hidden tab (where rAF stops) still delivers;
 * whichever fires first wins and cancels the other, so it is still one callback per schedule.
 */
export function frameScheduler(host: FrameHost, backstopMs?: number): Scheduler {
  return (callback) => {
    let done = false;
    const cancels: Array<() => void> = [];
    const run = () => {
      if (done) return;
      done = true;
      cancels.forEach((cancel) => cancel());
      callback();
    };
    const timer = (ms: number) => {
      const handle = host.setTimeout(run, ms);
      cancels.push(() => host.clearTimeout(handle as never));
    };
    const raf = host.requestAnimationFrame;
    if (typeof raf === "function") {
      const handle = raf.call(host, run);
      cancels.push(() => host.cancelAnimationFrame?.call(host, handle));
      if (backstopMs !== undefined) timer(backstopMs);
    } else {
      timer(16);
    }
    return () => {
      done = true;
      cancels.forEach((cancel) => cancel());
    };
  };
}

/**
 * Orders what goes to the kernel and coalesces height changes.
 *
 * Heights: a height arriving after a quiet tick leaves at once (no added latency); later ones
 * within the same tick coalesce, latest wins, and leave at the tick's end, so a storm costs at
 * most one kernel message per tick. Anything else first flushes a pending height (so order is
 * preserved) and is forwarded at once.
 */
export class MessageCoalescer<T> {
  private pending: { value: T } | null = null;
  private cancel: (() => void) | null = null;

  constructor(
    private readonly forward: (message: T) => void,
    private readonly schedule: Scheduler,
  ) {}

  /** Forward a height now if none left this tick; otherwise replace the one waiting. */
  height(message: T): void {
    if (this.cancel === null) {
      this.forward(message);
      this.cancel = this.schedule(() => this.tick());
    } else {
      this.pending = { value: message };
    }
  }

  /** End of a tick: send the waiting height, and keep coalescing for one more tick if one left. */
  private tick(): void {
    this.cancel = null;
    if (this.pending === null) return;
    this.flush();
    this.cancel = this.schedule(() => this.tick());
  }

  /** Forward a non-height message after any pending height. */
  other(message: T): void {
    this.flush();
    this.forward(message);
  }

  /** Forward the pending height now, if any. The scheduled tick stays and finds nothing. */
  flush(): void {
    const pending = this.pending;
    this.pending = null;
    if (pending) this.forward(pending.value);
  }

  /** Drop anything pending and cancel the tick (the view is going away). */
  dispose(): void {
    this.pending = null;
    this.cancel?.();
    this.cancel = null;
  }
}

/**
 * Workato's `navigation` requests for one view, held until its page has posted `loaded`.
 *
 * As Workato's embedding client does: a request made before the page is ready waits, only the
 * latest is kept, and it is posted as a JSON string to the exact origin that posted `loaded`
 * (never "*"). `unloaded` or a new iframe URL makes the view wait for `loaded` again.
 */
export class NavigationQueue {
  private pending: string | null = null;
  private origin: string | null = null;

  constructor(private readonly post: (message: string, targetOrigin: string) => void) {}

  /** Ask for `path`: posted now when the page is ready, else kept (replacing any earlier one). */
  request(path: string): void {
    this.pending = path;
    this.flush();
  }

  /** An accepted message from the iframe, sent from `origin`. */
  observe(message: WorkatoMessage, origin: string): void {
    if (message.type === "loaded") {
      this.origin = origin;
      this.flush();
    } else if (message.type === "unloaded") {
      this.origin = null;
    }
  }

  /** The iframe is pointed at a new URL: wait for its `loaded`. */
  reset(): void {
    this.origin = null;
  }

  get waiting(): string | null {
    return this.pending;
  }

  private flush(): void {
    if (this.pending === null || this.origin === null) return;
    const path = this.pending;
    this.pending = null;
    this.post(navigationMessage(path), this.origin);
  }
}

/** Workato's host-to-iframe `navigation` message, as the JSON string its pages expect. */
export function navigationMessage(path: string): string {
  return JSON.stringify({ type: "navigation", payload: { url: path } });
}

/** The frontend a page origin belongs to, when it is one with known embedding caveats. */
export type Frontend = "vscode" | "colab" | null;

export function frontendOf(origin: string): Frontend {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  if (url.protocol === "vscode-webview:" || url.hostname.endsWith(".vscode-cdn.net")) {
    return "vscode";
  }
  if (url.hostname.endsWith("-colab.googleusercontent.com")) return "colab";
  return null;
}
