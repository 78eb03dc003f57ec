import { describe, expect, it } from "vitest";
import { dayOf, expiresAt } from "./choices";

describe("expiresAt", () => {
  const now = new Date(2031, 0, 31, 9, 30);

  it("counts days and years from now, and never is null", () => {
    expect(expiresAt("never", "", now)).toBeNull();
    expect(new Date(expiresAt("30d", "", now)!)).toEqual(new Date(2031, 2, 2, 9, 30));
    expect(new Date(expiresAt("90d", "", now)!)).toEqual(new Date(2031, 4, 1, 9, 30));
    expect(new Date(expiresAt("1y", "", now)!)).toEqual(new Date(2032, 0, 31, 9, 30));
    // UTC, with its zone: the API takes only times that say where they are.
    expect(expiresAt("30d", "", now)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it("makes a chosen day last to its end, and wants a real day", () => {
    expect(new Date(expiresAt("date", "2031-03-01", now)!)).toEqual(new Date(2031, 2, 1, 23, 59, 59));
    expect(expiresAt("date", "", now)).toBeUndefined();
    expect(expiresAt("date", "2031-02-30", now)).toBeUndefined();
  });

  it("writes a day as a date input takes it", () => {
    expect(dayOf(new Date(2031, 1, 3))).toBe("2031-02-03");
  });
});
