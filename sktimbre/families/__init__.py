"""Descriptor families: one scikit-learn transformer per family of timbre descriptors."""

from ._base import DescriptorFamily, FrameDescriptorFamily
from .chroma import Chroma
from .contrast import SpectralContrast
from .envelope import NoteEnvelope, TemporalEnvelope
from .harmonic import FrameHarmonics, HarmonicDescriptors, NoteHarmonics
from .mel import MelBands
from .mfcc import MFCC
from .pitch import PitchEstimate
from .shape import SpectralShape

__all__ = [
    "MFCC", "MelBands", "SpectralContrast", "Chroma", "SpectralShape", "TemporalEnvelope",
    "HarmonicDescriptors", "FrameHarmonics", "NoteHarmonics", "NoteEnvelope", "PitchEstimate",
    "DescriptorFamily", "FrameDescriptorFamily",
]
