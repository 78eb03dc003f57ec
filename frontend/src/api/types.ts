import type { components } from "./schema";

type Schemas = components["schemas"];

export type DocumentOut = Schemas["DocumentOut"];
export type DocumentSummary = Schemas["DocumentSummaryOut"];
export type DocumentList = Schemas["DocumentList"];
export type DocumentStatus = DocumentOut["status"];
export type JobOut = Schemas["JobOut"];
export type JobStatus = JobOut["status"];
export type JobKind = JobOut["kind"];
export type PageOut = Schemas["PageOut"];
export type OcrLine = Schemas["OcrLineOut"];
export type ResultsOut = Schemas["ResultsOut"];
export type GrantOut = Schemas["GrantOut"];
export type GrantRole = Schemas["GrantIn"]["role"];
export type SearchHit = Schemas["SearchHitOut"];
export type SearchMode = Schemas["SearchMode"];
export type Me = Schemas["MeOut"];
export type AskIn = Schemas["AskIn"];
export type AnswerOut = Schemas["AnswerOut"];
export type CitationOut = Schemas["CitationOut"];
export type SourceOut = Schemas["SourceOut"];
export type ConversationOut = Schemas["ConversationOut"];
export type ConversationDetail = Schemas["ConversationDetailOut"];
export type TurnOut = Schemas["TurnOut"];
export type ApiKeyIn = Schemas["ApiKeyIn"];
export type ApiKeyOut = Schemas["ApiKeyOut"];
export type NewApiKeyOut = Schemas["NewApiKeyOut"];
export type ApiKeyScope = Schemas["Scope"];
export type BatchOut = Schemas["BatchOut"];
export type BatchSummary = Schemas["BatchSummaryOut"];
export type BatchList = Schemas["BatchList"];
export type RefusedEntry = Schemas["RefusedEntryOut"];
export type WebhookIn = Schemas["WebhookIn"];
export type WebhookPatch = Schemas["WebhookPatch"];
export type WebhookOut = Schemas["WebhookOut"];
export type NewWebhookOut = Schemas["NewWebhookOut"];
export type WebhookEvent = WebhookIn["events"][number];
export type RotatedSecretOut = Schemas["RotatedSecretOut"];
export type DeliveryOut = Schemas["DeliveryOut"];
export type DeliveryStatus = DeliveryOut["status"];
export type DeliveryPage = Schemas["DeliveryPage"];
export type DeliveryDetailOut = Schemas["DeliveryDetailOut"];
export type AttemptOut = Schemas["AttemptOut"];
export type SchemaIn = Schemas["SchemaIn"];
export type SchemaOut = Schemas["SchemaOut"];
export type SchemaSummary = Schemas["SchemaSummaryOut"];
export type SchemaList = Schemas["SchemaList"];
export type FieldIn = Schemas["FieldIn"];
export type FieldType = FieldIn["type"];
export type SchemaRunIn = Schemas["SchemaRunIn"];
export type ExtractionOut = Schemas["ExtractionOut"];
export type FieldResult = Schemas["FieldResultOut"];
export type FieldResultStatus = FieldResult["status"];
export type EvidenceOut = Schemas["EvidenceOut"];
export type FieldReviewIn = Schemas["FieldReviewIn"];
export type ReviewItem = Schemas["ReviewItemOut"];

export const TERMINAL_DOCUMENT_STATUSES: readonly DocumentStatus[] = ["ready", "failed", "cancelled"];
export const ACTIVE_JOB_STATUSES: readonly JobStatus[] = ["waiting", "queued", "running", "retrying"];
export const RETRYABLE_JOB_STATUSES: readonly JobStatus[] = ["failed", "cancelled"];

export function isTerminal(status: DocumentStatus): boolean {
  return TERMINAL_DOCUMENT_STATUSES.includes(status);
}
