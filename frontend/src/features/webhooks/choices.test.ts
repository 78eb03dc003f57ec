import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/problem";
import { fieldProblem, formMistake } from "./choices";

describe("formMistake", () => {
  it("asks for a full http or https URL and at least one event", () => {
    expect(formMistake("", ["document.ready"])?.field).toBe("url");
    expect(formMistake("hooks.example.com", ["document.ready"])?.message).toBe("Enter a full URL, starting with https://.");
    expect(formMistake("ftp://hooks.example.com", ["document.ready"])?.field).toBe("url");
    expect(formMistake("https://hooks.example.com/in", [])).toEqual({ field: "events", message: "Choose at least one event." });
    expect(formMistake("http://127.0.0.1:9000/in", ["job.failed"])).toBeNull();
  });
});

describe("fieldProblem", () => {
  it("puts a refused URL at the URL field, in the server's words", () => {
    const error = new ApiError(422, { code: "webhook_address_refused", detail: "Webhooks cannot be sent to that address." });
    expect(fieldProblem(error)).toEqual({ field: "url", message: "Webhooks cannot be sent to that address." });
  });

  it("names the field a validation error is about", () => {
    const error = new ApiError(422, {
      code: "validation_error",
      errors: [{ loc: ["body", "events", 0], msg: "Input should be 'document.ready', 'document.failed', 'document.deleted' or 'job.failed'" }],
    });
    expect(fieldProblem(error)).toEqual({
      field: "events",
      message: "Events: Input should be 'document.ready', 'document.failed', 'document.deleted' or 'job.failed'.",
    });
  });

  it("keeps any other failure away from the fields", () => {
    const error = new ApiError(400, { code: "too_many_webhooks", detail: "You have 20 webhook endpoints; delete one first." });
    expect(fieldProblem(error)).toEqual({ field: null, message: "You have 20 webhook endpoints; delete one first." });
  });
});
