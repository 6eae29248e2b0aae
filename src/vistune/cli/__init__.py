"""The ``vistune`` command: argument parsing, printing and exit codes over the library.

``launch`` is the entry point (kept free of heavy imports); ``main`` parses and dispatches.
"""
