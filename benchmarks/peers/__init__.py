"""The parts of benchmarks/ingest_peers.py, one job a module; imported by that script."""

import prefect_server  # noqa: F401  (first: it puts the repository root on sys.path)
