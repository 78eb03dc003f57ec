"""The advisory lock every migration run holds: two deployments (the API's and the workers') may migrate
the same database at once, and the second must wait for the first and then find nothing left to do."""

MIGRATION_LOCK_KEY = 0x574F524B4F505449  # "WORKOPTI"
