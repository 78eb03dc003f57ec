"""The job steps: extract -> (embed, ai). Each is small, resumable and cleans up after itself."""
