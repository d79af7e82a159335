"""vigil: scheduled news monitoring from analyst rules to email digests.

The package is plain Python and never imports Prefect; ``flows/`` composes it.
"""

from vigil.article import Article

__all__ = ["Article", "__version__"]
__version__ = "0.1.0"
