"""audiencelang: compile declarative customer-audience rules into warehouse SQL."""

from audiencelang.__about__ import __version__

__all__ = ["__version__"]
