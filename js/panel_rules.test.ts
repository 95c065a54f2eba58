import { describe, expect, test } from "vitest";
import fc from "fast-check";
import {
  badge,
  isHello,
  lastJobText,
  parseActions,
  parseRecipes,
  recipeStateText,
  recipeSummaryText,
  recipeWarning,
  matches,
  noMatchText,
  parseRefs,
  parseRows,
  rowsToKeep,
  summary,
  whenText,
  type Row,
} from "./panel_rules";

const row = (overrides: Partial<Row> = {}): Row => ({
  id: 1,
  name: "Salesforce",
  provider: "salesforce",
  status: "connected",
  error: null,
  when: null,
  when_kind: null,
  recipes: null,
  ...overrides,
});

describe("rows from the kernel", () => {
  test("well-formed rows are kept whole, in order", () => {
    const rows = [row({ id: 2, status: "failed", error: "bad" }), row({ id: 1 })];
    expect(parseRows(rows)).toEqual(rows);
  });

  test("a malformed row is dropped rather than drawn half", () => {
    const parsed = parseRows([
      row({ id: 3 }),
      { ...row({ id: 4 }), status: "maybe" },
      { ...row({ id: 5 }), name: 7 },
      { ...row(), id: -1 },
      { ...row(), id: 1.5 },
      "row",
      null,
    ]);
    expect(parsed.map((r) => r.id)).toEqual([3]);
  });

  test("anything but a list is no rows", () => {
    expect(parseRows({ 0: row() })).toEqual([]);
    expect(parseRows(undefined)).toEqual([]);
  });

  test("only anywidget refs under connection ids are opened rows", () => {
    const refs = parseRefs({
      "7": "anywidget:abc",
      "8": "IPY_MODEL_abc",
      "09": "anywidget:leading-zero",
      x: "anywidget:x",
      "10": "anywidget:",
      "11": 5,
    });
    expect([...refs]).toEqual([[7, "anywidget:abc"]]);
  });
});

describe("filters", () => {
  const jira = row({ id: 2, name: "Team Jira", provider: "jira", status: "failed" });

  test("the filter box matches name or provider, ignoring case and spaces around", () => {
    expect(matches(jira, "  team ", "")).toBe(true);
    expect(matches(jira, "JIRA", "")).toBe(true);
    expect(matches(jira, "sales", "")).toBe(false);
  });

  test("the status filter keeps only its status", () => {
    expect(matches(jira, "", "failed")).toBe(true);
    expect(matches(jira, "", "connected")).toBe(false);
    expect(matches(jira, "jira", "lost")).toBe(false);
  });

  test("a row without provider matches by name only", () => {
    expect(matches(row({ provider: null }), "sales", "")).toBe(true);
    expect(matches(row({ name: "X", provider: null }), "sales", "")).toBe(false);
  });

  test("an empty filter matches every row", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (name, provider) =>
        matches(row({ name, provider }), "   ", ""),
      ),
    );
  });

  test("when every row is filtered out the message names the filters", () => {
    expect(noMatchText(3, 0, " jira ", "lost")).toBe("No connection matches “jira” and lost.");
    expect(noMatchText(3, 0, "", "not_connected")).toBe("No connection matches not connected.");
    expect(noMatchText(3, 1, "jira", "")).toBeNull();
    expect(noMatchText(0, 0, "jira", "")).toBeNull(); // an empty account says so itself
  });
});

describe("what a row shows", () => {
  test("each status has its own badge words and colours", () => {
    const looks = (["failed", "lost", "not_connected", "connected"] as const).map(badge);
    expect(looks.map((b) => b.text)).toEqual(["Failed", "Lost", "Not connected", "Connected"]);
    expect(new Set(looks.map((b) => b.color)).size).toBe(4);
  });

  test("the summary counts rows, problems first, leaving out zero counts", () => {
    const rows = [
      row({ status: "connected" }),
      row({ status: "lost" }),
      row({ status: "failed" }),
      row({ status: "failed" }),
    ];
    expect(summary(rows)).toBe("4 connections · 2 failed · 1 lost · 1 connected");
    expect(summary([row()])).toBe("1 connection · 1 connected");
  });

  test("when is said relative to now, with the kind of moment", () => {
    const now = Date.parse("2026-05-01T12:00:00Z");
    const at = (iso: string, kind: Row["when_kind"]) => whenText(row({ when: iso, when_kind: kind }), now);
    expect(at("2026-05-01T11:59:50Z", "authorized")).toBe("Authorized just now");
    expect(at("2026-05-01T11:57:00Z", "lost")).toBe("Lost 3 min ago");
    expect(at("2026-05-01T09:00:00Z", "failed")).toBe("Failed 3 h ago");
    expect(at("2026-04-28T12:00:00Z", "authorized")).toBe("Authorized 3 d ago");
    expect(at("2025-01-02T12:00:00Z", "authorized")).toBe("Authorized on 2025-01-02");
  });

  test("a row without a usable time shows none", () => {
    expect(whenText(row(), 0)).toBe("");
    expect(whenText(row({ when: "not a date", when_kind: "lost" }), 0)).toBe("");
  });
});

test("hello is for the view it names", () => {
  expect(isHello({ kind: "hello", view: "a" }, "a")).toBe(true);
  expect(isHello({ kind: "hello", view: "b" }, "a")).toBe(false);
  expect(isHello({ kind: "load", view: "a" }, "a")).toBe(false);
  expect(isHello("hello", "a")).toBe(false);
});

describe("which opened rows stay put when the order changes", () => {
  test("the longest run already in order stays; the others move", () => {
    expect([...rowsToKeep([1, 2, 3, 4], [4, 1, 2, 3])].sort()).toEqual([1, 2, 3]);
    expect(rowsToKeep([5], [5]).has(5)).toBe(true);
    expect(rowsToKeep([], [1, 2]).size).toBe(0);
  });

  test("rows not in place yet are never kept, since they are placed anyway", () => {
    expect([...rowsToKeep([2], [1, 2, 3])]).toEqual([2]);
  });

  test("what is kept is in the new order and as long as any such run", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 12 }), (ids) => {
        const desired = [...ids].sort((a, b) => (a * 7919) % 31 - (b * 7919) % 31);
        const keep = rowsToKeep(ids, desired);
        const kept = desired.filter((id) => keep.has(id));
        const positions = kept.map((id) => ids.indexOf(id));
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        // brute force: no increasing run of positions is longer
        const seq = desired.map((id) => ids.indexOf(id));
        const best = seq.reduce<number[]>((lengths, p, i) => {
          lengths[i] = 1 + Math.max(0, ...seq.slice(0, i).map((q, j) => (q < p ? lengths[j] : 0)));
          return lengths;
        }, []);
        expect(kept.length).toBe(Math.max(0, ...best));
      }),
    );
  });
});

describe("recipes", () => {
  const now = Date.parse("2026-05-01T12:00:00Z");
  const summaryOf = (o: object) => ({
    count: 1, stopped: 0, trigger_errors: 0, last_failed_at: null, last_job_failed: null,
    last_job_at: null, ...o,
  }); // prettier-ignore

  test("a row's summary counts recipes, stopped ones and the last job", () => {
    expect(recipeSummaryText(null, now)).toBe("");
    expect(recipeSummaryText(summaryOf({ count: 0 }), now)).toBe("No recipes");
    expect(
      recipeSummaryText(
        summaryOf({ count: 3, stopped: 1, last_job_failed: true, last_job_at: "2026-05-01T11:50:00Z" }),
        now,
      ),
    ).toBe("3 recipes · 1 stopped · last job failed 10 min ago");
    expect(
      recipeSummaryText(
        summaryOf({ last_job_failed: false, last_job_at: "2026-05-01T11:59:59Z",
                    last_failed_at: "2026-05-01T11:00:00Z" }), // prettier-ignore
        now,
      ),
    ).toBe("1 recipe · last job succeeded just now · last failure 1 h ago");
  });

  test("the warning names recipes stopped on trigger errors", () => {
    expect(recipeWarning(summaryOf({}))).toBe("");
    expect(recipeWarning(summaryOf({ trigger_errors: 2 }))).toBe(
      "⚠ 2 recipes stopped on trigger errors",
    );
  });

  test("a recipe's state says why it stopped, in words", () => {
    const recipe = { id: 1, name: "r", running: false, stop_cause: null, stopped_at: null,
                     last_job: null }; // prettier-ignore
    expect(recipeStateText({ ...recipe, running: true })).toBe("Running");
    expect(recipeStateText(recipe)).toBe("Stopped");
    expect(recipeStateText({ ...recipe, stop_cause: "trial_expired" })).toBe(
      "Stopped: the trial expired",
    );
    expect(recipeStateText({ ...recipe, stop_cause: "new_cause" })).toBe("Stopped (new_cause)");
    expect(lastJobText(recipe, now)).toBe("");
  });

  test("malformed recipes and actions are dropped, not drawn half", () => {
    const recipes = parseRecipes({
      "3": [{ id: 1, name: "ok", running: true }, { id: "x", name: "bad" }, null],
      "x": [{ id: 2, name: "wrong key" }],
      "4": "not a list",
    });
    expect([...recipes.keys()]).toEqual([3]);
    expect(recipes.get(3)!.map((r) => r.name)).toEqual(["ok"]);
    const actions = parseActions({ "1": { state: "starting" }, "2": { state: "exploded" }, "0": {} });
    expect([...actions.entries()]).toEqual([[1, { state: "starting", message: null }]]);
  });
});
