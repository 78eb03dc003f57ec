"""Domain and infrastructure shared by the API and the workers."""
