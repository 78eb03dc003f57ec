"""Extraction you define: schemas of typed fields, values found in a document with their evidence."""
