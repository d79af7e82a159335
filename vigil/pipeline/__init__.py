"""The run as a pipeline: sources read in batches (:mod:`.feeds`), each batch planned,
matched, sketched and stored (:mod:`.ingest`), then messages composed and delivered; one
:func:`run_once` composes it for the flows and the tests alike."""

from vigil.pipeline.ingest import content_hash, ingest
from vigil.pipeline.outcome import RunSummary, SourceOutcome, SourceStatus
from vigil.pipeline.run import FEEDS_PER_BATCH, InProcess, Steps, run_once

__all__ = [
    "FEEDS_PER_BATCH",
    "InProcess",
    "RunSummary",
    "SourceOutcome",
    "SourceStatus",
    "Steps",
    "content_hash",
    "ingest",
    "run_once",
]
