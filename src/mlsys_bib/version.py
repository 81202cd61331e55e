"""The package version, in a module of its own so that any module can read it without importing
the package's public API (``mlsys_bib/__init__`` re-exports the pipeline's entry points)."""

__version__ = "0.1.0"
