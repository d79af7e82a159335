"""Prefect flows: orchestration only. Every step they run lives in the ``vigil`` package.

This folder is imported as ``vigil.flows``, never as a top-level ``flows`` (a name other
projects use): in a checkout through the link ``vigil/flows``, and a wheel installs the folder
there (``pyproject.toml``). Only these modules import Prefect.
"""
