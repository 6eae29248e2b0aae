"""The HTTP API (``vistune serve``): FastAPI routes over the library."""
