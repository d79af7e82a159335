"""Prefect flows: orchestration only. Every step they run lives in the ``vigil`` package."""
