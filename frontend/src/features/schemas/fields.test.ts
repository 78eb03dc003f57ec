import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/problem";
import { draftMistakes, emptyColumn, emptyField, move, placeOf, refusalMistakes, schemaBody, shownAt, type SchemaDraft } from "./fields";

function draft(extra: Partial<SchemaDraft> = {}): SchemaDraft {
  return { name: "Invoices", label: "", threshold: "0.6", fields: [{ ...emptyField(), name: "invoice number" }], ...extra };
}

describe("draftMistakes", () => {
  it("finds nothing wrong in a complete draft", () => {
    expect(draftMistakes(draft())).toEqual({});
  });

  it("names empty and duplicate names, enums without values, lists without columns and a bad threshold", () => {
    const mistakes = draftMistakes(
      draft({
        name: " ",
        threshold: "1.5",
        fields: [
          { ...emptyField(), name: "Total" },
          { ...emptyField(), name: " total " },
          { ...emptyField(), name: "" },
          { ...emptyField(), name: "status", type: "enum", values: "\n \n" },
          { ...emptyField(), name: "kind", type: "enum", values: "a\nA\n" },
          { ...emptyField(), name: "lines", type: "list" },
          { ...emptyField(), name: "rows", type: "list", columns: [{ ...emptyColumn(), name: "qty" }, { ...emptyColumn(), name: "QTY" }] },
        ],
      }),
    );
    expect(mistakes).toEqual({
      name: "Give the schema a name.",
      review_threshold: "Give a number from 0 to 1.",
      "fields.1.name": "Another field has this name.",
      "fields.2.name": "Give the field a name.",
      "fields.3.values": "Give the values it may take, one a line.",
      "fields.4.values": "A value is listed twice.",
      "fields.5.fields": "Add at least one column.",
      "fields.6.fields.1.name": "Another column has this name.",
    });
  });

  it("asks for at least one field", () => {
    expect(draftMistakes(draft({ fields: [] }))).toEqual({ fields: "Add at least one field." });
  });
});

describe("schemaBody", () => {
  it("sends trimmed names, enum values and list columns only where they belong", () => {
    const body = schemaBody(
      draft({
        label: " invoice ",
        threshold: "0.75",
        fields: [
          { ...emptyField(), name: " status ", type: "enum", values: "open\n paid \n", required: true },
          { ...emptyField(), name: "lines", type: "list", values: "ignored", columns: [{ ...emptyColumn(), name: "qty", type: "number" }] },
        ],
      }),
    );
    expect(body).toEqual({
      name: "Invoices",
      apply_to_label: "invoice",
      review_threshold: 0.75,
      fields: [
        { name: "status", type: "enum", description: "", required: true, values: ["open", "paid"] },
        { name: "lines", type: "list", description: "", required: false, fields: [{ name: "qty", type: "number", description: "", required: false }] },
      ],
    });
  });
});

describe("where a refusal's errors go", () => {
  it("reads a loc as a place in the form", () => {
    expect(placeOf(["body", "fields", 2, "values"])).toBe("fields.2.values");
    expect(placeOf(["body", "fields", 2, "values", 0])).toBe("fields.2.values");
    expect(placeOf(["body", "fields", 1, "fields", 0, "name"])).toBe("fields.1.fields.0.name");
    expect(placeOf(["body", "fields", 0, "list[ColumnIn]"])).toBe("fields.0");
    expect(placeOf(["body"])).toBe("");
  });

  it("puts a mistake at the nearest place the form shows", () => {
    const shown = new Set(["fields", "fields.0", "fields.0.name"]);
    expect(shownAt("fields.0.name", shown)).toBe("fields.0.name");
    expect(shownAt("fields.0.weird", shown)).toBe("fields.0");
    expect(shownAt("other", shown)).toBe("");
  });

  it("maps validation errors, a taken name and an unknown label", () => {
    const invalid = new ApiError(422, {
      code: "validation_error",
      errors: [{ loc: ["body", "fields", 2, "values"], msg: "Value error, field 'status' is an enum: give its values" }],
    });
    expect(refusalMistakes(invalid)).toEqual({ mistakes: { "fields.2.values": "field 'status' is an enum: give its values" }, message: null });
    expect(refusalMistakes(new ApiError(409, { code: "schema_name_taken" })).mistakes).toEqual({ name: "You have another schema with this name." });
    expect(refusalMistakes(new ApiError(422, { code: "unknown_label", labels: ["invoice", "receipt"] })).mistakes.apply_to_label).toBe(
      "This deployment does not classify documents with that label. Use one of: invoice, receipt.",
    );
  });
});

it("moves an item, and leaves the list as it is past its ends", () => {
  expect(move(["a", "b", "c"], 2, 0)).toEqual(["c", "a", "b"]);
  expect(move(["a", "b"], 0, -1)).toEqual(["a", "b"]);
});
