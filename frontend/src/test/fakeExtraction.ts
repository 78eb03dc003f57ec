/** The extraction API of one user, kept in memory: schemas, a document's extractions and the review queue,
 * answering the way the real API does (a review keeps the found value, problems for bad input). */
import type { ExtractionOut, FieldResult, ReviewItem, SchemaIn, SchemaOut } from "../api/types";
import { fakeApi, json, NOW, problem } from "./fakeApi";

export function aSchema(extra: Partial<SchemaOut> = {}): SchemaOut {
  return {
    id: "sch-1",
    name: "Supplier invoices",
    version: 1,
    current_version: 1,
    fields: [
      { name: "invoice number", type: "text", description: "the supplier's reference", required: true, values: null, fields: null },
      { name: "total amount", type: "money", description: "", required: false, values: null, fields: null },
    ],
    apply_to_label: "invoice",
    review_threshold: 0.6,
    role: "owner",
    created_at: NOW,
    updated_at: NOW,
    ...extra,
  };
}

export function aField(name: string, value: unknown, status: FieldResult["status"], extra: Partial<FieldResult> = {}): FieldResult {
  return {
    name,
    value,
    confidence: status === "not_found" ? 0 : 0.91,
    status,
    evidence: status === "not_found" ? [] : [{ page_no: 1, quote: `${name}: ${JSON.stringify(value)}`, bbox: null }],
    raw: null,
    items: null,
    found_value: null,
    reviewed_by: null,
    reviewed_at: null,
    ...extra,
  };
}

export function anExtraction(extra: Partial<ExtractionOut> = {}): ExtractionOut {
  return {
    schema_id: "sch-1",
    schema_name: "Supplier invoices",
    version: 1,
    status: "extracted",
    provider: "local",
    model: "patterns+all-MiniLM-L6-v2",
    needs_review: 1,
    extracted_at: NOW,
    reviewed_at: null,
    reviewed_by: null,
    fields: [
      aField("invoice number", "INV-2026-001", "found"),
      aField("total amount", { amount: "1234.50", currency: "EUR" }, "needs_review", { confidence: 0.41 }),
      aField("due date", "2026-03-01", "confirmed"),
      aField("po number", null, "not_found"),
    ],
    ...extra,
  };
}

export function aReviewItem(extra: Partial<ReviewItem> = {}): ReviewItem {
  return {
    document_id: "doc-1",
    filename: "invoice.pdf",
    schema_id: "sch-1",
    schema_name: "Supplier invoices",
    version: 1,
    needs_review: 1,
    fields: ["total amount"],
    extracted_at: NOW,
    ...extra,
  };
}

interface State {
  schemas: SchemaOut[];
  extractions: ExtractionOut[];
  reviews: ReviewItem[];
  overrides: Record<string, () => Response>;
}

export function extractionApi(initial: Partial<Omit<State, "overrides">> = {}) {
  const state: State = {
    schemas: initial.schemas ?? [aSchema()],
    extractions: initial.extractions ?? [anExtraction()],
    reviews: initial.reviews ?? [aReviewItem()],
    overrides: {},
  };
  const requests = fakeApi(async (request) => {
    const url = new URL(request.url);
    const key = `${request.method} ${url.pathname}`;
    const override = state.overrides[key];
    if (override) return override();
    let match: RegExpExecArray | null;
    if (key === "GET /api/v1/schemas") {
      return json({
        items: state.schemas.map(({ fields, current_version: _c, review_threshold: _t, ...rest }) => ({ ...rest, field_count: fields.length })),
        next_cursor: null,
      });
    }
    if (key === "POST /api/v1/schemas") {
      const body = (await request.json()) as SchemaIn;
      const created = aSchema({ ...body, id: `sch-${state.schemas.length + 1}`, apply_to_label: body.apply_to_label ?? null, review_threshold: body.review_threshold ?? 0.6, fields: body.fields.map((f) => ({ values: null, fields: null, ...f })) as SchemaOut["fields"] });
      state.schemas.push(created);
      return json(created, { status: 201 });
    }
    if ((match = /^GET \/api\/v1\/schemas\/([^/]+)$/.exec(key))) {
      const schema = state.schemas.find((s) => s.id === match![1]);
      return schema ? json(schema) : problem(404, "schema_not_found");
    }
    if ((match = /^GET \/api\/v1\/documents\/([^/]+)\/extractions$/.exec(key))) return json({ items: state.extractions });
    if ((match = /^PATCH \/api\/v1\/documents\/([^/]+)\/extractions\/([^/]+)\/fields\/([^/]+)$/.exec(key))) {
      const body = (await request.json()) as { action: string; value?: unknown };
      const name = decodeURIComponent(match[3]!);
      state.extractions = state.extractions.map((extraction) =>
        extraction.schema_id !== match![2]
          ? extraction
          : {
              ...extraction,
              fields: extraction.fields.map((field) =>
                field.name !== name
                  ? field
                  : body.action === "confirm"
                    ? { ...field, status: "confirmed" as const, reviewed_by: "user-1", reviewed_at: NOW }
                    : { ...field, status: "corrected" as const, value: body.value, found_value: field.value, reviewed_by: "user-1", reviewed_at: NOW },
              ),
            },
      );
      return json(state.extractions.find((extraction) => extraction.schema_id === match![2]));
    }
    if ((match = /^POST \/api\/v1\/documents\/([^/]+)\/extractions\/([^/]+)\/reviewed$/.exec(key))) {
      state.extractions = state.extractions.map((extraction) =>
        extraction.schema_id === match![2] ? { ...extraction, status: "reviewed" as const, reviewed_by: "user-1", reviewed_at: NOW } : extraction,
      );
      return json(state.extractions.find((extraction) => extraction.schema_id === match![2]));
    }
    if (key === "GET /api/v1/reviews") {
      const cursor = url.searchParams.get("cursor");
      const limit = Number(url.searchParams.get("limit") ?? 50);
      const start = cursor ? Number(cursor) : 0;
      const items = state.reviews.slice(start, start + limit);
      return json({ items, next_cursor: start + limit < state.reviews.length ? String(start + limit) : null });
    }
    throw new Error(`unexpected ${key}`);
  });
  return { requests, state };
}
