"""The HTTP API: validates, stores, records and enqueues; the work happens in the workers."""
