from shared.providers.embeddings.base import EmbeddingProvider
from shared.providers.embeddings.factory import get_embedding_provider

__all__ = ["EmbeddingProvider", "get_embedding_provider"]
