"""Asking one's documents: retrieval over what the caller may read, an answer that cites numbered
passages, and citations verified against the stored page text before anyone sees them."""
