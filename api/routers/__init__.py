# Routers carry their full path (no prefix added at include time), so a route's template is the path
# clients call: the metrics label requests with it.
API_PREFIX = "/api/v1"
