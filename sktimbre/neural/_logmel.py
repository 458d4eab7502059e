"""The model's inputs, as descriptor families run by the front end's executor.

Declaring them as families (instead of reading a batch) lets the executor compute
them like any other: once per clip, sharing the STFT, chunk by chunk and in
``n_jobs`` workers for a :class:`~sktimbre.frontend.ClipStream`.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._dsp.mel import mel_power, power_to_db
from ..families._base import DescriptorFamily, F0DescriptorFamily


class _LogMelFrames(DescriptorFamily):
    """Log-mel power in dB of the first ``n_frames`` STFT frames, flattened per clip.

    Clips shorter than ``n_frames`` frames are padded with silence, which the
    per-clip ``top_db`` floor turns into the floor value. Rows have
    ``n_mels * n_frames`` columns (band-major).
    """

    def __init__(self, *, n_mels=256, n_frames=43, n_fft=2048, hop_length=512, fmin=27.0,
                 fmax=11000.0, top_db=80.0, sr=22050):
        self.n_mels = n_mels
        self.n_frames = n_frames
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.fmin = fmin
        self.fmax = fmax
        self.top_db = top_db
        self.sr = sr

    def _descriptor_names(self) -> list[str]:
        return [f"logmel_{b:03d}_{t:03d}" for b in range(self.n_mels)
                for t in range(self.n_frames)]

    def required_analyses(self):
        from ..frontend import STFT

        return {"S": STFT(self.n_fft, self.hop_length)}

    def describe(self, *, sr, S):
        S = S[..., : self.n_frames]
        if S.shape[-1] < self.n_frames:
            S = np.pad(S, ((0, 0), (0, 0), (0, self.n_frames - S.shape[-1])))
        with warnings.catch_warnings():
            # 256 bands from 27 Hz leave the lowest mel filters without an FFT bin at
            # n_fft=2048, as in the paper; librosa says so on every call.
            warnings.filterwarnings("ignore", message="Empty filters", category=UserWarning)
            P = mel_power(S, sr, self.n_fft, self.n_mels, self.fmin, min(self.fmax, sr / 2))
        return power_to_db(P, top_db=self.top_db).reshape(len(S), -1)


class _FundamentalHz(F0DescriptorFamily):
    """The clip's f0 in Hz, NaN where none was found (the default f0 analysis)."""

    def __init__(self, *, fmin=27.5, fmax=4200.0, n_fft=8192, hop_length=2048, window="hann",
                 sr=22050):
        self.fmin = fmin
        self.fmax = fmax
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.window = window
        self.sr = sr

    def _descriptor_names(self) -> list[str]:
        return ["f0_hz"]

    def describe(self, *, sr, S, f0):
        return np.asarray(f0, dtype=np.float64)[:, None]


def model_inputs(clips, *, n_mels: int, n_frames: int, n_fft: int, hop_length: int,
                 with_f0: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Log-mel frames ``(n_clips, n_mels, n_frames)`` (float32) and, if asked, f0 in Hz.

    NaN for clips that failed to load (a front end with ``on_error="nan"``).
    """
    from ..frontend import extract

    families = [_LogMelFrames(n_mels=n_mels, n_frames=n_frames, n_fft=n_fft,
                              hop_length=hop_length)]
    if with_f0:
        families.append(_FundamentalHz())
    rows, _ = extract(clips, families)
    M = rows[0].reshape(len(rows[0]), n_mels, n_frames).astype(np.float32)
    return M, (rows[1][:, 0] if with_f0 else None)
