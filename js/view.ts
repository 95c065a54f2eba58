// One view of a Workato iframe widget (a connection or a full page): wires the iframe, the page's
// message events and the model to the rules in bridge.ts. Decisions live there; this file only
// connects them and cleans up after itself.
import type { RenderProps } from "@anywidget/types";
import {
  KERNEL_WAIT_MS,
  KernelWait,
  MessageCoalescer,
  NavigationQueue,
  acceptMessage,
  clampHeight,
  diagnoseDelayMs,
  frameScheduler,
  frontendOf,
  heightOf,
  makeViewId,
  parseFrontendCommand,
  safeSend,
  statusLine,
  watchKernel,
  type Scheduler,
  type Status,
  type WorkatoMessage,
} from "./bridge";

/** Traits synced from a WorkatoFrame (Python -> JS); a kind's own traits are absent otherwise. */
export interface Model {
  frame_kind?: "connection" | "page";
  height: number;
  error: string | null;
  status: Status;
  diagnose_after: number | null;
  /** Show "Open in a new tab": true, false, or null to decide by frontend (VS Code: shown). */
  new_tab_link?: boolean | null;
  connection_id?: number;
  connected?: boolean | null;
  provider?: string | null;
  path?: string;
  title?: string | null;
}

export interface ViewOptions {
  /** How long a view waits for the kernel's first answer before saying it needs a kernel. */
  kernelWaitMs: number;
}

const DEFAULT_HEIGHT = 150;
/** Heights still reach the kernel when rAF is paused (hidden tab), at most this late. */
const BACKSTOP_MS = 250;
/** How often an opened tab is checked for having been closed. */
const TAB_POLL_MS = 1000;
const STATUS_TRAITS = ["status", "error", "provider", "path", "title"] as const;

/** Render one view. Returns its cleanup; aborting `signal` cleans up too. */
export function render(props: RenderProps<Model>): () => void {
  return mount(props, frameScheduler(window, BACKSTOP_MS));
}

/** render() with the height scheduler (and timings) injected, so tests run deterministically. */
export function mount(
  { model, el, signal }: RenderProps<Model>,
  schedule: Scheduler,
  options: ViewOptions = { kernelWaitMs: KERNEL_WAIT_MS },
): () => void {
  const view = makeViewId(globalThis.crypto);
  const pageOrigin = window.location.origin;
  const kind = model.get("frame_kind") === "page" ? "page" : "connection";

  const container = document.createElement("div");
  container.className = `workato-frame workato-${kind}`;
  container.dataset.view = view;
  const header = document.createElement("div");
  Object.assign(header.style, {
    display: "flex",
    gap: "12px",
    alignItems: "baseline",
    fontSize: "var(--jp-ui-font-size1, 13px)",
    margin: "0 0 4px",
  });
  const statusEl = document.createElement("div");
  statusEl.className = `workato-frame-status workato-${kind}-status`;
  statusEl.setAttribute("role", "status");
  statusEl.setAttribute("aria-live", "polite");
  const tabLink = document.createElement("a");
  tabLink.className = "workato-open-tab";
  tabLink.href = "#";
  tabLink.textContent = "Open in a new tab";
  tabLink.title = "Opens this Workato page on its own, with a fresh single-use token";
  header.append(statusEl, tabLink);
  // No `sandbox`: Workato's OAuth flow opens pop-ups from this frame.
  const frame = document.createElement("iframe");
  frame.className = `workato-frame-iframe workato-${kind}-frame`;
  frame.title = kind === "page" ? "Workato page" : "Workato connection";
  frame.referrerPolicy = "strict-origin-when-cross-origin"; // never the notebook's path or query
  // Hidden until the kernel gave it a URL: never an empty box under a stale status.
  Object.assign(frame.style, { display: "none", width: "100%", border: "0" });
  setHeight(clampHeight(model.get("height")) || DEFAULT_HEIGHT);
  container.append(header, frame);
  el.append(container);

  // Origins this view accepts messages from; the URL itself is kept nowhere but frame.src.
  let trusted: ReadonlySet<string> | null = null;
  let droppedOrigin: string | null = null;
  let localError: string | null = null; // the iframe could not be loaded
  let tabError: string | null = null; // "Open in a new tab" failed; the iframe is fine
  let heard = false; // a message was accepted since frame.src was last set
  let silenceTimer: ReturnType<typeof setTimeout> | undefined;
  // Runs from frame.src being set until the iframe's `load`: a host that never answers (a wrong
  // data center, an unreachable base URL) fires none, and the diagnosis can say so first.
  let loadTimer: ReturnType<typeof setTimeout> | undefined;
  let tab: Window | null = null;
  let tabTimer: ReturnType<typeof setInterval> | undefined;

  function setHeight(height: number): void {
    frame.style.height = `${height}px`;
  }

  const send = (content: object) => safeSend(model, content);
  // The kernel answers a `ready` with load or load_error; until then nothing shown is live.
  const kernel = new KernelWait(options.kernelWaitMs, () => goOffline());

  /** No kernel behind this view (none answered, or it went away): show nothing live. */
  function goOffline(): void {
    stopSilenceTimer();
    trusted = null; // nothing from the old page is accepted, and its load event starts nothing
    if (frame.style.display !== "none") {
      frame.src = "about:blank"; // unload Workato's page: it would act on a dead kernel's token
      frame.style.display = "none";
    }
    tab = null;
    stopTabWatch();
    showStatus();
  }

  function onKernelChange(gone: boolean): void {
    if (gone) {
      kernel.lost();
    } else if (kernel.hasAnswered) {
      kernel.probe();
      send({ kind: "ping", view });
    }
  }

  const coalescer = new MessageCoalescer<WorkatoMessage>(
    (message) => send({ kind: "message", view, message }),
    schedule,
  );
  const navigation = new NavigationQueue((message, targetOrigin) => {
    frame.contentWindow?.postMessage(message, targetOrigin);
  });

  function showStatus(): void {
    let line: { text: string; status: Status };
    const waiting = kernel.text("widget");
    if (waiting !== null) {
      line = { text: waiting, status: kernel.isOffline ? "error" : "loading" };
    } else {
      const subject =
        kind === "page" ? model.get("title") || model.get("path") : model.get("provider");
      line = statusLine({
        status: model.get("status"),
        provider: subject,
        error: model.get("error"),
        localError,
        note: tabError,
      });
    }
    statusEl.textContent = line.text;
    statusEl.dataset.status = kernel.isOffline ? "offline" : line.status;
    statusEl.style.color = line.status === "error" ? "var(--jp-error-color1, #d32f2f)" : "";
    const wanted = model.get("new_tab_link");
    const showLink = kernel.hasAnswered && (wanted ?? frontendOf(pageOrigin) === "vscode");
    tabLink.style.display = showLink ? "" : "none";
  }

  function ready(): void {
    kernel.start();
    send({ kind: "ready", view, origin: pageOrigin });
  }

  function stopSilenceTimer(): void {
    clearTimeout(silenceTimer);
    silenceTimer = undefined;
    clearTimeout(loadTimer);
    loadTimer = undefined;
  }

  function reportSilence(loaded: boolean): void {
    const seconds = model.get("diagnose_after");
    const report: Record<string, unknown> = { kind: "silent", view, origin: pageOrigin, seconds };
    if (!loaded) report.loaded = false;
    if (droppedOrigin !== null) report.dropped_origin = droppedOrigin;
    send(report);
  }

  function startLoadTimer(): void {
    const delay = diagnoseDelayMs(model.get("diagnose_after"));
    if (delay === null) return;
    loadTimer = setTimeout(() => {
      loadTimer = undefined;
      if (!heard) reportSilence(false);
    }, delay);
  }

  function stopTabWatch(): void {
    clearInterval(tabTimer);
    tabTimer = undefined;
  }

  function onCustom(content: unknown): void {
    const command = parseFrontendCommand(content, view);
    if (command === null) return;
    switch (command.kind) {
      case "reload":
        ready();
        return;
      case "pong":
        if (kernel.isOffline) ready(); // it came back after all: reload with a fresh token
        else kernel.answered();
        return;
      case "navigate":
        navigation.request(command.path);
        return;
      case "load_error":
        kernel.answered();
        localError = command.message;
        showStatus();
        return;
      case "tab":
        if (tab !== null && !tab.closed) tab.location.replace(command.url);
        if (tabError !== null) {
          tabError = null;
          showStatus();
        }
        return;
      case "tab_error":
        tab?.close();
        tab = null;
        stopTabWatch();
        tabError = `Could not open the new tab: ${command.message}`;
        showStatus();
        return;
      case "load":
        kernel.answered();
        stopSilenceTimer();
        heard = false;
        droppedOrigin = null;
        localError = null;
        trusted = command.trusted;
        navigation.reset();
        frame.src = command.url;
        frame.style.display = "block";
        startLoadTimer();
        showStatus();
    }
  }

  function onMessage(event: MessageEvent): void {
    const own = frame.contentWindow;
    const fromOurFrame = own !== null && event.source === own;
    const message = acceptMessage(event.data, fromOurFrame, event.origin, trusted);
    if (message === null) {
      if (fromOurFrame && trusted !== null && !trusted.has(event.origin)) {
        droppedOrigin = event.origin; // named by the silent-iframe diagnosis
      }
      return;
    }
    heard = true;
    stopSilenceTimer();
    navigation.observe(message, event.origin);
    const height = heightOf(message);
    if (height === null) {
      coalescer.other(message);
    } else {
      coalescer.height(message); // the kernel first: resizing can wait for the next frame
      setHeight(height);
    }
  }

  function onFrameLoad(): void {
    if (trusted === null || heard) return; // about:blank, or the page already spoke
    const delay = diagnoseDelayMs(model.get("diagnose_after"));
    stopSilenceTimer();
    if (delay === null) return;
    silenceTimer = setTimeout(() => {
      silenceTimer = undefined;
      if (!heard) reportSilence(true);
    }, delay);
  }

  function onDiagnoseChange(): void {
    if (diagnoseDelayMs(model.get("diagnose_after")) === null) stopSilenceTimer();
  }

  function onTabClick(event: MouseEvent): void {
    event.preventDefault();
    // Opened now, inside the click, so no pop-up blocker objects; its URL comes from the kernel
    // (a fresh single-use token) and goes straight into the tab, nowhere else.
    const opened = window.open("", "_blank");
    if (opened === null) {
      tabError = "The browser blocked the new tab: allow pop-ups for this page and try again.";
      showStatus();
      return;
    }
    if (tabError !== null) {
      tabError = null;
      showStatus();
    }
    try {
      opened.opener = null;
    } catch {
      // Some browsers make `opener` read-only; the tab is ours either way.
    }
    tab?.close();
    tab = opened;
    send({ kind: "open_tab", view, origin: pageOrigin });
    stopTabWatch();
    tabTimer = setInterval(() => {
      if (tab === null || tab.closed) {
        tab = null;
        stopTabWatch();
        send({ kind: "tab_closed", view });
      }
    }, TAB_POLL_MS);
  }

  let cleaned = false;
  function cleanup(): void {
    if (cleaned) return;
    cleaned = true;
    // The kernel polls an open tab's token source until it hears the tab is gone: tell it now,
    // since this view will no longer watch the tab.
    if (tab !== null) {
      tab = null;
      send({ kind: "tab_closed", view });
    }
    window.removeEventListener("message", onMessage);
    frame.removeEventListener("load", onFrameLoad);
    tabLink.removeEventListener("click", onTabClick);
    signal?.removeEventListener("abort", cleanup);
    model.off("msg:custom", onCustom);
    for (const trait of STATUS_TRAITS) model.off(`change:${trait}`, showStatus);
    model.off("change:new_tab_link", showStatus);
    model.off("change:diagnose_after", onDiagnoseChange);
    coalescer.dispose();
    stopSilenceTimer();
    stopTabWatch();
    kernel.dispose();
    unwatchKernel();
    container.remove(); // removing the iframe unloads Workato's page
  }

  window.addEventListener("message", onMessage, { signal });
  frame.addEventListener("load", onFrameLoad, { signal });
  tabLink.addEventListener("click", onTabClick, { signal });
  signal?.addEventListener("abort", cleanup, { once: true });
  model.on("msg:custom", onCustom);
  for (const trait of STATUS_TRAITS) model.on(`change:${trait}`, showStatus);
  model.on("change:new_tab_link", showStatus);
  model.on("change:diagnose_after", onDiagnoseChange);
  const unwatchKernel = watchKernel(model, onKernelChange);
  showStatus();

  if (signal?.aborted) {
    cleanup();
  } else {
    ready();
  }
  return cleanup;
}
