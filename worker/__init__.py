"""Celery workers: thin tasks that hand a job id to the shared runner."""
