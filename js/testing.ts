// Test doubles for the bridge and the widget (never imported by widget.ts or view.ts, so never bundled).
import type { AnyModel, RenderProps } from "@anywidget/types";
import type { Scheduler } from "./bridge";

/** A scheduler that runs callbacks only when the test calls tick(): one tick = one frame. */
export class FakeScheduler {
  private queue = new Map<number, () => void>();
  private next = 0;
  /** How many ticks were ever scheduled (a proxy for "frames requested"). */
  scheduledCount = 0;

  readonly schedule: Scheduler = (callback) => {
    const id = this.next++;
    this.queue.set(id, callback);
    this.scheduledCount++;
    return () => void this.queue.delete(id);
  };

  get pending(): number {
    return this.queue.size;
  }

  /** Run every callback scheduled before this call. */
  tick(): void {
    const due = [...this.queue.values()];
    this.queue.clear();
    due.forEach((callback) => callback());
  }
}

type Handler = (...args: any[]) => void;

/** A minimal anywidget model: traits, Backbone-style on/off, and a log of sent messages. */
export class FakeModel<T extends Record<string, any>> implements AnyModel<T> {
  readonly sent: any[] = [];
  private listeners = new Map<string, Set<Handler>>();
  private state: T;
  widget_manager: { get_model: () => Promise<never>; kernel?: FakeKernel } = {
    get_model: () => Promise.reject(new Error("FakeModel has no widget manager")),
  };

  constructor(state: T) {
    this.state = { ...state };
  }

  get<K extends keyof T>(key: K): T[K] {
    return this.state[key];
  }

  set<K extends keyof T>(key: K, value: T[K]): void {
    this.state[key] = value;
    this.emit(`change:${String(key)}`, value);
  }

  save_changes(): void {}

  send(content: any): void {
    this.sent.push(structuredClone(content));
  }

  on(eventName: string, callback: Handler): void {
    let set = this.listeners.get(eventName);
    if (!set) this.listeners.set(eventName, (set = new Set()));
    set.add(callback);
  }

  off(eventName?: string | null, callback?: Handler | null): void {
    for (const [name, set] of this.listeners) {
      if (eventName && name !== eventName) continue;
      if (callback) set.delete(callback);
      else set.clear();
    }
  }

  /** Deliver a custom message from the "kernel". */
  receive(content: unknown): void {
    this.emit("msg:custom", content, []);
  }

  listenerCount(eventName?: string): number {
    let count = 0;
    for (const [name, set] of this.listeners) {
      if (!eventName || name === eventName) count += set.size;
    }
    return count;
  }

  /** Sent messages of one kind. */
  sentOf(kind: string): any[] {
    return this.sent.filter((m) => m?.kind === kind);
  }

  /** Fire a Backbone event, e.g. "comm_live_update" when the kernel's comms go away. */
  trigger(eventName: string, ...args: unknown[]): void {
    this.emit(eventName, ...args);
  }

  private emit(eventName: string, ...args: unknown[]): void {
    for (const callback of [...(this.listeners.get(eventName) ?? [])]) callback(...args);
  }
}

/** Render props around a fake model, with the host and experimental APIs stubbed out. */
export function renderProps<T extends Record<string, any>>(
  model: FakeModel<T>,
  el: HTMLElement,
  signal: AbortSignal,
): RenderProps<T> {
  return {
    model,
    el,
    signal,
    host: {
      getWidget: () => Promise.reject(new Error("no host in tests")),
      getModel: () => Promise.reject(new Error("no host in tests")),
    },
    experimental: { invoke: () => Promise.reject(new Error("no invoke in tests")) },
  };
}

/** A kernel connection's `statusChanged` signal, as JupyterLab's widget manager holds it. */
export class FakeKernel {
  private slots = new Set<(sender: unknown, status: unknown) => void>();
  readonly statusChanged = {
    connect: (slot: (sender: unknown, status: unknown) => void) => void this.slots.add(slot),
    disconnect: (slot: (sender: unknown, status: unknown) => void) => void this.slots.delete(slot),
  };

  get listeners(): number {
    return this.slots.size;
  }

  status(value: string): void {
    for (const slot of [...this.slots]) slot(this, value);
  }
}
