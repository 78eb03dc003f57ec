import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Highlighted } from "./Highlighted";
import { highlightPieces, piecesFromSpans, piecesFromTerms } from "./highlight";

describe("highlight pieces", () => {
  it("marks the server's spans, counted in code points", () => {
    // The emoji is two UTF-16 units but one code point, as the server counts.
    expect(piecesFromSpans("🙂 Amount due: 42", [[2, 8], [14, 16]])).toEqual([
      { text: "🙂 ", marked: false },
      { text: "Amount", marked: true },
      { text: " due: ", marked: false },
      { text: "42", marked: true },
    ]);
  });

  it("ignores spans out of range and overlapping ones", () => {
    expect(piecesFromSpans("abcdef", [[4, 99], [1, 3], [2, 5], [7, 8]])).toEqual([
      { text: "a", marked: false },
      { text: "bcdef", marked: true },
    ]);
  });

  it("finds the query's words in any case when the server gave no spans", () => {
    expect(piecesFromTerms("Invoice INVOICE invoiced total", "invoice Total")).toEqual([
      { text: "Invoice", marked: true },
      { text: " ", marked: false },
      { text: "INVOICE", marked: true },
      { text: " ", marked: false },
      { text: "invoice", marked: true },
      { text: "d ", marked: false },
      { text: "total", marked: true },
    ]);
  });

  it("treats regular-expression characters in the query as text", () => {
    expect(piecesFromTerms("cost (a+b) [x] a.b", "(a+b) a.b")).toEqual([
      { text: "cost (", marked: false },
      { text: "a+b", marked: true },
      { text: ") [x] a.b", marked: false },
    ]);
  });

  it("prefers the server's spans over the query's words", () => {
    expect(highlightPieces("alpha beta", [[6, 10]], "alpha")).toEqual([
      { text: "alpha ", marked: false },
      { text: "beta", marked: true },
    ]);
  });
});

describe("Highlighted", () => {
  it("renders server text as text, never as markup", () => {
    const snippet = '<img src=x onerror="alert(1)"> <b>total</b> due';
    const { container } = render(<Highlighted snippet={snippet} spans={[]} query="TOTAL" />);
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("b")).toBeNull();
    const marks = Array.from(container.querySelectorAll("mark"), (m) => m.textContent);
    expect(marks).toEqual(["total"]);
    expect(container.textContent).toBe(snippet);
  });
});
