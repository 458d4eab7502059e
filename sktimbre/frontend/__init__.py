"""The front end: decode each clip once, compute each analysis once, describe in one pass.

Data flow of a timbre embedder::

    X (paths | arrays) --AudioFrontEnd--> ClipBatch | ClipStream --FamilyUnion--> rows

:class:`AudioFrontEnd` decodes and validates the clips (or, for many clips or in
parallel, wraps them in a lazy :class:`ClipStream`). Each descriptor family
*declares* the analyses it needs -- :class:`STFT`, :class:`MelSpectrogram`,
:class:`F0`, ... small frozen dataclasses -- and turns their arrays into rows with
a pure function (:meth:`~sktimbre.families.DescriptorFamily.describe`). The
executor, :func:`extract`, computes every declared analysis once per clip, in
stacks of equal-shape clips, chunk by chunk (in joblib workers with ``n_jobs``),
calls the families, and returns their rows together with the clips that failed
(:class:`ClipFailure`).

Modules: ``_analyses`` (the analyses), ``_batch`` (decoded clips, clips to
decode), ``_executor`` (the one path from clips to rows), ``_cache`` (rows
remembered by a front end), ``_failures`` (the ``on_error`` policy),
``_parallel`` (workers, BLAS threads), ``_estimator`` (:class:`AudioFrontEnd`).
"""

from __future__ import annotations

import warnings

from .._dsp.silence import trim_silence
from .._dsp.stft import stft_magnitude
from . import _deprecated  # noqa: E402, F401  (0.1's methods on ClipBatch and ClipStream)
from ._analyses import (
    CQT,
    F0,
    STFT,
    Analysis,
    F0Track,
    FrameEnergy,
    HarmonicEnergies,
    MelSpectrogram,
    Onsets,
    Waveform,
    as_analysis,
)
from ._batch import ClipBatch, ClipStream, DecodeSettings, decode_clips
from ._cache import RowCache
from ._estimator import AudioFrontEnd, as_clips
from ._executor import (
    ANALYSIS_BUDGET,
    Extraction,
    analysis_groups,
    declared_analyses,
    describe_batch,
    extract,
    iter_inputs,
)
from ._failures import ON_ERROR, ClipFailure

__all__ = [
    "AudioFrontEnd",
    "ClipBatch",
    "ClipStream",
    "ClipFailure",
    "Extraction",
    "extract",
    "analysis_groups",
    "iter_inputs",
    "describe_batch",
    "declared_analyses",
    "decode_clips",
    "as_clips",
    "DecodeSettings",
    "RowCache",
    "Analysis",
    "Waveform",
    "STFT",
    "CQT",
    "MelSpectrogram",
    "F0",
    "F0Track",
    "Onsets",
    "FrameEnergy",
    "HarmonicEnergies",
    "as_analysis",
    "ON_ERROR",
    "ANALYSIS_BUDGET",
    "trim_silence",
    "stft_magnitude",
    "stft_analysis",
    "cqt_analysis",
    "f0_analysis",
]


def _warn_deprecated(old: str, new: str) -> None:
    warnings.warn(f"sktimbre.frontend.{old} is deprecated since 0.2; use {new}",
                  FutureWarning, stacklevel=3)


def stft_analysis(n_fft: int = 2048, hop_length: int = 512, window="hann") -> STFT:
    """Deprecated since 0.2: use :class:`STFT`.

    Parameters
    ----------
    n_fft, hop_length, window :
        As :class:`STFT`.

    Returns
    -------
    analysis : STFT
    """
    _warn_deprecated("stft_analysis", "sktimbre.frontend.STFT")
    return STFT(int(n_fft), int(hop_length), window)


def cqt_analysis(hop_length: int = 512, fmin: float | None = None, n_bins: int = 252,
                 bins_per_octave: int = 36) -> CQT:
    """Deprecated since 0.2: use :class:`CQT`.

    Parameters
    ----------
    hop_length, fmin, n_bins, bins_per_octave :
        As :class:`CQT`.

    Returns
    -------
    analysis : CQT
    """
    _warn_deprecated("cqt_analysis", "sktimbre.frontend.CQT")
    return CQT(int(hop_length), fmin, int(n_bins), int(bins_per_octave))


def f0_analysis(n_fft: int = 8192, hop_length: int = 2048, window="hann", fmin: float = 27.5,
                fmax: float = 4200.0) -> F0:
    """Deprecated since 0.2: use :class:`F0`.

    Parameters
    ----------
    n_fft, hop_length, window :
        The STFT it is computed from (see :class:`STFT`).
    fmin, fmax : float
        Search range in Hz.

    Returns
    -------
    analysis : F0
    """
    _warn_deprecated("f0_analysis", "sktimbre.frontend.F0")
    return F0(STFT(int(n_fft), int(hop_length), window), float(fmin), float(fmax))
