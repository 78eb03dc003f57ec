def storable(text: str) -> str:
    """PostgreSQL text and jsonb cannot hold NUL; some PDFs' text layers contain it."""
    return text.replace("\x00", "")
