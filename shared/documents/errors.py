from shared.errors import NotFound, Unprocessable


class DocumentNotFound(NotFound):
    code = "document_not_found"


class ResultsNotReady(NotFound):
    code = "results_not_ready"
    title = "Not ready yet"


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"
    title = "Idempotency key already used for another file"
