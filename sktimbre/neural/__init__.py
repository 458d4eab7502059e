"""Learned timbre embedders (optional: ``pip install "sktimbre[neural]"``).

Importing this subpackage does not import PyTorch; fitting or transforming does, and
without it raises an :class:`ImportError` saying how to install it.
"""

from ._embedder import GMVAEEmbedder

__all__ = ["GMVAEEmbedder"]
