// What the table views (a ConnectionsPanel's, an AccountHealth's) share: the view's lifecycle
// with the kernel (ready/hello handshake, "seen" pings, kernel watch, cleanup), making elements,
// the rendering of an opened row's child widget, and the row order that moves as few opened
// rows as possible.
import type { Host } from "@anywidget/types";
import {
  KernelWait,
  makeViewId,
  safeSend,
  watchKernel,
  type KernelWatched,
  type Sender,
} from "./bridge";
import { isHello, rowsToKeep } from "./panel_rules";

/** What a table view needs of its model: custom messages, change events, a kernel watch. */
export interface TableModel extends Sender, KernelWatched {
  on(name: string, callback: (...args: any[]) => void): void;
  off(name: string, callback: (...args: any[]) => void): void;
}

/** A table view's timings, injected by tests. */
export interface TableTimings {
  /** How long a view waits for the kernel's `hello` before saying it needs a kernel. */
  kernelWaitMs: number;
  /** How often a shown view tells the kernel it is still there (for `refresh_every`). */
  pingMs: number;
}

/**
 * One table view's link to its kernel. The view sends `ready` and shows nothing as live until
 * the kernel answers with a `hello` for its id; it says `seen` every `pingMs`, `gone` when it
 * goes, and asks again (`ready`) when its kernel's comm changes. `paint` runs on every change of
 * a watched trait and whenever the kernel's state (waiting, answered, offline) changes.
 */
export class TableView {
  readonly id = makeViewId(globalThis.crypto);
  readonly kernel: KernelWait;
  private readonly local = new AbortController();
  /** Every DOM listener of the view hangs on this; cleanup aborts it. (Not AbortSignal.any:
   *  Safari before 17.4 and Firefox before 124 lack it.) */
  readonly listening = this.local.signal;

  constructor(
    private readonly model: TableModel,
    private readonly timings: TableTimings,
    private readonly paint: () => void,
  ) {
    this.kernel = new KernelWait(timings.kernelWaitMs, () => paint());
  }

  /** Tell the kernel something, as this view. */
  readonly send = (content: object): void => safeSend(this.model, { ...content, view: this.id });

  /**
   * Listen to `watched` traits, the kernel's answers and `signal`, paint once and say `ready`.
   * Returns the cleanup (also run when `signal` aborts); `teardown` then removes the view's own
   * rows and DOM.
   */
  start(signal: AbortSignal | undefined, watched: readonly string[], teardown: () => void) {
    const { model, kernel, paint, send } = this;
    const onHello = (content: unknown) => {
      if (!isHello(content, this.id)) return;
      kernel.answered();
      paint();
    };
    let pingTimer: ReturnType<typeof setInterval> | undefined;
    const cleanup = (): void => {
      if (this.local.signal.aborted) return;
      this.local.abort();
      send({ kind: "gone" });
      model.off("msg:custom", onHello);
      for (const name of watched) model.off(`change:${name}`, paint);
      kernel.dispose();
      unwatch();
      clearInterval(pingTimer);
      teardown();
    };
    signal?.addEventListener("abort", cleanup, { once: true, signal: this.listening });
    model.on("msg:custom", onHello);
    for (const name of watched) model.on(`change:${name}`, paint);
    // A restarted or dead kernel: the view says it needs one instead of showing stale rows.
    const unwatch = watchKernel(model, (gone) => {
      if (gone) {
        kernel.lost();
      } else if (kernel.hasAnswered) {
        kernel.probe();
        send({ kind: "ready" }); // a live kernel answers with a hello
      }
    });
    paint();
    if (signal?.aborted) {
      cleanup(); // aborted before render: no abort event will come
    } else {
      kernel.start();
      pingTimer = setInterval(() => send({ kind: "seen" }), this.timings.pingMs);
      send({ kind: "ready" });
    }
    return cleanup;
  }
}

/** A new `tag` element with class `cls` and text `text` (each when given); a button never
 *  submits (type "button"), whatever form a frontend puts the view in. */
export function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls = "",
  text = "",
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text) node.textContent = text;
  if (node instanceof HTMLButtonElement) node.type = "button";
  return node;
}

/** Render an opened row's child widget (`what`, e.g. a ConnectionWidget) into `slot` until
 *  `signal` aborts; `instead` says what to display where the host API is missing. */
export function showChild(
  host: Host | undefined,
  ref: string,
  slot: HTMLElement,
  signal: AbortSignal,
  what: string,
  instead: string,
): void {
  const fail = (why: string) => {
    if (signal.aborted) return;
    slot.textContent = `Could not show ${what}: ${why}`;
    slot.dataset.failed = "true";
  };
  if (typeof host?.getWidget !== "function") {
    fail(
      "this frontend cannot render a widget inside another (anywidget's host API is missing); " +
        `display ${instead} in a cell of its own instead`,
    );
    return;
  }
  Promise.resolve()
    .then(() => host.getWidget(ref))
    .then((child) => (signal.aborted ? undefined : child.render({ el: slot, signal })))
    .catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
}

/** A table row and, while it is opened, the row under it that holds its child widget. */
export interface RowPair<D extends { tr: HTMLElement }> {
  row: HTMLElement;
  detail: D | null;
}

/**
 * Put the rows of `units` into `body` in `order`, moving as few opened rows as possible: moving
 * an element that holds an iframe reloads it, so the longest run of opened rows that keeps its
 * order stays and the rest move around it. `moved` gets each opened row that was in the table
 * and had to move (its child should render again: a reloaded iframe would reuse a spent token).
 */
export function arrangeRows<K, D extends { tr: HTMLElement }>(
  body: HTMLElement,
  order: readonly K[],
  units: ReadonlyMap<K, RowPair<D>>,
  moved: (detail: D) => void,
): void {
  const keyOf = new Map<Element, K>();
  for (const [key, unit] of units) if (unit.detail) keyOf.set(unit.detail.tr, key);
  const placed = [...body.children].flatMap((node) => (keyOf.has(node) ? [keyOf.get(node)!] : []));
  const keep = rowsToKeep(placed, order.filter((key) => units.get(key)?.detail));
  const place = (node: Node, next: Node | null): boolean => {
    if (node.parentNode === body && node.nextSibling === next) return false;
    body.insertBefore(node, next);
    return true;
  };
  let anchor: Node | null = null;
  for (let i = order.length - 1; i >= 0; i--) {
    const unit = units.get(order[i])!;
    const detail = unit.detail;
    if (detail && keep.has(order[i])) {
      if (detail.tr.previousSibling !== unit.row) body.insertBefore(unit.row, detail.tr);
    } else {
      const wasPlaced = detail !== null && detail.tr.parentNode === body;
      if (detail && place(detail.tr, anchor) && wasPlaced) moved(detail);
      place(unit.row, detail ? detail.tr : anchor);
    }
    anchor = unit.row;
  }
}
