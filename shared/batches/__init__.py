"""Batches: a ZIP archive uploaded as one document per file inside, the archive kept as their source;
each entry is screened, streamed out and taken in as a single upload would be."""
