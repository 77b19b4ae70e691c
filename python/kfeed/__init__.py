"""kfeed: a Koscom Open API market-data feed handler with zero-copy numpy rings, books and bars."""

from kfeed._kfeed import __version__

__all__ = ["__version__"]
