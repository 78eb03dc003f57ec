import { describe, expect, it } from "vitest";
import { answerPieces, citationLink, excerpt, pageLink } from "./answerText";

describe("answerPieces", () => {
  it("cuts the [n] markers out of the text, in order", () => {
    expect(answerPieces("ferry.txt, page 2: “320 passengers” [1] and “40 cars” [2][3]")).toEqual([
      { text: "ferry.txt, page 2: “320 passengers” " },
      { marker: 1 },
      { text: " and “40 cars” " },
      { marker: 2 },
      { marker: 3 },
    ]);
    expect(answerPieces("No markers [a] here")).toEqual([{ text: "No markers [a] here" }]);
    expect(answerPieces("")).toEqual([]);
  });
});

describe("links", () => {
  it("open the document at the page, with the quote as it stands", () => {
    const quote = "Fare: 120 NOK & 50% off for kids? #yes";
    const link = new URL(citationLink({ number: 1, document_id: "doc-1", filename: "f.txt", page_no: 3, quote }), "http://app.test");
    expect(link.pathname).toBe("/documents/doc-1");
    expect(link.searchParams.get("page")).toBe("3");
    expect(link.searchParams.get("quote")).toBe(quote);
    expect(pageLink({ document_id: "doc-2", page_no: 1 })).toBe("/documents/doc-2?page=1");
  });

  it("shorten long passages at a word", () => {
    expect(excerpt("short  text\nhere")).toBe("short text here");
    const long = excerpt("word ".repeat(100), 50);
    expect(long.length).toBeLessThanOrEqual(51);
    expect(long.endsWith("word…")).toBe(true);
  });
});
