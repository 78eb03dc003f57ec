from shared.providers.llm.base import Analysis, AnalysisProvider, Classification
from shared.providers.llm.factory import get_analysis_provider

__all__ = ["Analysis", "AnalysisProvider", "Classification", "get_analysis_provider"]
