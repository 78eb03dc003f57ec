import { describe, expect, it } from "vitest";
import { listParams, PAGE_SIZE, readListQuery, writeListQuery } from "./listQuery";

describe("documents list query", () => {
  it("sends only the defaults for a plain address", () => {
    const query = readListQuery(new URLSearchParams(""));
    expect(listParams(query, null)).toEqual({ scope: "all", sort: "-created_at", limit: PAGE_SIZE });
  });

  it("sends every filter from the address, and the cursor of the page asked for", () => {
    const query = readListQuery(new URLSearchParams("scope=shared&status=ready&type=pdf&q=%20invoice%20&sort=filename"));
    expect(listParams(query, "abc")).toEqual({
      scope: "shared",
      status: "ready",
      type: "pdf",
      q: "invoice",
      sort: "filename",
      limit: PAGE_SIZE,
      cursor: "abc",
    });
  });

  it("ignores values the API would refuse", () => {
    const query = readListQuery(new URLSearchParams("scope=everyone&status=done&type=exe&sort=random"));
    expect(listParams(query, null)).toEqual({ scope: "all", sort: "-created_at", limit: PAGE_SIZE });
  });

  it("writes back a short address that reads as the same query", () => {
    const query = readListQuery(new URLSearchParams("status=failed&sort=-size"));
    const written = writeListQuery(query);
    expect(written.toString()).toBe("status=failed&sort=-size");
    expect(readListQuery(written)).toEqual(query);
    expect(writeListQuery(readListQuery(new URLSearchParams())).toString()).toBe("");
  });
});
