// One view of a Workato iframe widget: wires the iframe, the page's message events and the
// model to the rules in bridge.ts. Decisions live there; this file only connects them and cleans up after itself.
import type { RenderProps } from "@anywidget/types";
import {
  MessageCoalescer,
  acceptMessage,
  clampHeight,
  diagnoseDelayMs,
  frameScheduler,
  heightOf,
  makeViewId,
  parseFrontendCommand,
  statusLine,
  type Scheduler,
  type Status,
  type WorkatoMessage,
} from "./bridge";

/** Traits synced from ConnectionWidget (Python -> JS). */
export interface Model {
  connection_id: number;
  height: number;
  connected: boolean | null;
  provider: string | null;
  error: string | null;
  status: Status;
  diagnose_after: number | null;
}

const DEFAULT_HEIGHT = 150;
/** Heights still reach the kernel when rAF is paused (hidden tab), at most this late. */
const BACKSTOP_MS = 250;
const STATUS_TRAITS = ["status", "error", "provider"] as const;

/** Render one view. Returns its cleanup; aborting `signal` cleans up too. */
export function render(props: RenderProps<Model>): () => void {
  return mount(props, frameScheduler(window, BACKSTOP_MS));
}

/** render() with the height scheduler injected, so tests can count frames deterministically. */
export function mount({ model, el, signal }: RenderProps<Model>, schedule: Scheduler): () => void {
  const view = makeViewId(globalThis.crypto);
  const pageOrigin = window.location.origin;

  const container = document.createElement("div");
  container.className = "workato-connection";
  container.dataset.view = view;
  const statusEl = document.createElement("div");
  statusEl.className = "workato-connection-status";
  statusEl.setAttribute("role", "status");
  statusEl.setAttribute("aria-live", "polite");
  Object.assign(statusEl.style, {
    fontSize: "var(--jp-ui-font-size1, 13px)",
    margin: "0 0 4px",
  });
  // No `sandbox`: Workato's OAuth flow opens pop-ups from this frame.
  const frame = document.createElement("iframe");
  frame.className = "workato-connection-frame";
  frame.title = "Workato connection";
  frame.referrerPolicy = "strict-origin-when-cross-origin"; // never the notebook's path or query
  Object.assign(frame.style, { display: "block", width: "100%", border: "0" });
  setHeight(clampHeight(model.get("height")) || DEFAULT_HEIGHT);
  container.append(statusEl, frame);
  el.append(container);

  // Origin of the URL in frame.src; the URL itself is kept nowhere else.
  let expectedOrigin: string | null = null;
  let localError: string | null = null;
  let heard = false; // a message was accepted since frame.src was last set
  let silenceTimer: ReturnType<typeof setTimeout> | undefined;

  function setHeight(height: number): void {
    frame.style.height = `${height}px`;
  }

  function send(content: object): void {
    try {
      model.send(content);
    } catch {
      // The comm is closed (kernel gone): nothing left to tell.
    }
  }

  const coalescer = new MessageCoalescer<WorkatoMessage>(
    (message) => send({ kind: "message", view, message }),
    schedule,
  );

  function showStatus(): void {
    const line = statusLine({
      status: model.get("status"),
      provider: model.get("provider"),
      error: model.get("error"),
      localError,
    });
    statusEl.textContent = line.text;
    statusEl.dataset.status = line.status;
    statusEl.style.color = line.status === "error" ? "var(--jp-error-color1, #d32f2f)" : "";
  }

  function stopSilenceTimer(): void {
    clearTimeout(silenceTimer);
    silenceTimer = undefined;
  }

  function onCustom(content: unknown): void {
    const command = parseFrontendCommand(content, view);
    if (command === null) return;
    if (command.kind === "reload") {
      send({ kind: "ready", view, origin: pageOrigin });
    } else if (command.kind === "load_error") {
      localError = command.message;
      showStatus();
    } else {
      stopSilenceTimer();
      heard = false;
      localError = null;
      expectedOrigin = command.origin;
      frame.src = command.url;
      showStatus();
    }
  }

  function onMessage(event: MessageEvent): void {
    const own = frame.contentWindow;
    const fromOurFrame = own !== null && event.source === own;
    const message = acceptMessage(event.data, fromOurFrame, event.origin, expectedOrigin);
    if (message === null) return;
    heard = true;
    stopSilenceTimer();
    const height = heightOf(message);
    if (height === null) {
      coalescer.other(message);
    } else {
      setHeight(height);
      coalescer.height(message);
    }
  }

  function onFrameLoad(): void {
    if (expectedOrigin === null || heard) return; // about:blank, or the page already spoke
    const seconds = model.get("diagnose_after");
    const delay = diagnoseDelayMs(seconds);
    stopSilenceTimer();
    if (delay === null) return;
    silenceTimer = setTimeout(() => {
      silenceTimer = undefined;
      if (!heard) send({ kind: "silent", view, origin: pageOrigin, seconds });
    }, delay);
  }

  function onDiagnoseChange(): void {
    if (diagnoseDelayMs(model.get("diagnose_after")) === null) stopSilenceTimer();
  }

  let cleaned = false;
  function cleanup(): void {
    if (cleaned) return;
    cleaned = true;
    window.removeEventListener("message", onMessage);
    frame.removeEventListener("load", onFrameLoad);
    signal?.removeEventListener("abort", cleanup);
    model.off("msg:custom", onCustom);
    for (const trait of STATUS_TRAITS) model.off(`change:${trait}`, showStatus);
    model.off("change:diagnose_after", onDiagnoseChange);
    coalescer.dispose();
    stopSilenceTimer();
    container.remove(); // removing the iframe unloads Workato's page
  }

  window.addEventListener("message", onMessage, { signal });
  frame.addEventListener("load", onFrameLoad, { signal });
  signal?.addEventListener("abort", cleanup, { once: true });
  model.on("msg:custom", onCustom);
  for (const trait of STATUS_TRAITS) model.on(`change:${trait}`, showStatus);
  model.on("change:diagnose_after", onDiagnoseChange);
  showStatus();

  if (signal?.aborted) {
    cleanup();
  } else {
    send({ kind: "ready", view, origin: pageOrigin });
  }
  return cleanup;
}

