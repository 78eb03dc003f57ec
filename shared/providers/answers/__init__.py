from shared.providers.answers.base import NOT_FOUND, Answerer, Source, Turn
from shared.providers.answers.factory import get_answerer

__all__ = ["NOT_FOUND", "Answerer", "Source", "Turn", "get_answerer"]
