"""Descriptor families: one scikit-learn transformer per family of timbre descriptors."""

from .chroma import Chroma
from .contrast import SpectralContrast
from .mel import MelBands
from .mfcc import MFCC

__all__ = ["MFCC", "MelBands", "SpectralContrast", "Chroma"]
