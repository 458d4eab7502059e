"""The model's input: the log-mel spectrogram of the first frames of each clip."""

from __future__ import annotations

import warnings

import numpy as np

from ..families._spectral import mel_power, power_to_db
from ..frontend import ClipBatch, stft_analysis


def log_mel_frames(
    batch: ClipBatch,
    *,
    n_mels: int,
    n_frames: int,
    n_fft: int = 2048,
    hop_length: int = 512,
    fmin: float = 27.0,
    fmax: float = 11000.0,
    top_db: float = 80.0,
) -> np.ndarray:
    """Log-mel power in dB of the first ``n_frames`` STFT frames of every clip.

    The magnitude STFT is the batch's shared analysis (so a pipeline computing it for
    other families computes it once); clips shorter than ``n_frames`` frames are
    padded with silence, which the per-clip ``top_db`` floor turns into the floor value.

    Returns
    -------
    M : ndarray of shape (n_clips, n_mels, n_frames), float32
        NaN for clips that failed to load (a batch made with ``on_error="nan"``).
    """
    out = np.full((len(batch), n_mels, n_frames), np.nan, np.float32)
    fmax = min(fmax, batch.sr / 2)
    for idx, S in batch.analysis(stft_analysis(n_fft, hop_length)):
        S = S[..., :n_frames]
        if S.shape[-1] < n_frames:
            S = np.pad(S, ((0, 0), (0, 0), (0, n_frames - S.shape[-1])))
        with warnings.catch_warnings():
            # 256 bands from 27 Hz leave the lowest mel filters without an FFT bin at
            # n_fft=2048, as in the paper; librosa says so on every call.
            warnings.filterwarnings("ignore", message="Empty filters", category=UserWarning)
            P = mel_power(S, batch.sr, n_fft, n_mels, fmin, fmax)
        out[idx] = power_to_db(P, top_db=top_db)
    return out
