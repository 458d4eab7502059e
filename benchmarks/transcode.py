"""Copies of a clip as people have them: other sample rates, bit depths, codecs, bandwidths.

Used by ``benchmarks/quality.py --transcoding``: each case writes the clip to a file
the way a user's file would have been made (libsndfile writes WAV, FLAC, MP3, Ogg
Vorbis and Opus), so the embedder reads it back through its own decoder and
resampler, exactly as it reads a user's file.

=================  ===========================================================
case               how the copy is made
=================  ===========================================================
``wav-44k``        resampled to 44,100 Hz (soxr, as a DAW export), 16-bit WAV
``wav-48k``        48,000 Hz, 16-bit WAV
``wav-96k-24bit``  96,000 Hz, 24-bit WAV
``wav-float``      the original rate, 32-bit float WAV
``wav-8bit``       the original rate, unsigned 8-bit WAV
``flac-44k``       44,100 Hz, 16-bit FLAC
``mp3-44k``        44,100 Hz MPEG layer III (libsndfile's default quality)
``ogg-44k``        44,100 Hz Ogg Vorbis
``opus-48k``       48,000 Hz Ogg Opus
``lowpass-8k``     low-passed at 8 kHz (8th-order Butterworth, zero-phase)
``noise-80db``     white noise 80 dB below the clip's peak added
=================  ===========================================================
"""

from __future__ import annotations

import os

import numpy as np

# case -> (file sample rate, container format, subtype, pre-processing)
CASES: dict[str, tuple] = {
    "wav-44k": (44100, "WAV", "PCM_16", None),
    "wav-48k": (48000, "WAV", "PCM_16", None),
    "wav-96k-24bit": (96000, "WAV", "PCM_24", None),
    "wav-float": (None, "WAV", "FLOAT", None),
    "wav-8bit": (None, "WAV", "PCM_U8", None),
    "flac-44k": (44100, "FLAC", "PCM_16", None),
    "mp3-44k": (44100, "MP3", "MPEG_LAYER_III", None),
    "ogg-44k": (44100, "OGG", "VORBIS", None),
    "opus-48k": (48000, "OGG", "OPUS", None),
    "lowpass-8k": (None, "WAV", "FLOAT", "lowpass"),
    "noise-80db": (None, "WAV", "FLOAT", "noise"),
}


def _lowpass(y: np.ndarray, sr: int, cutoff: float = 8000.0) -> np.ndarray:
    from scipy.signal import butter, sosfiltfilt

    return sosfiltfilt(butter(8, cutoff, fs=sr, output="sos"), y).astype(np.float32)


def _noise(y: np.ndarray, below_peak_db: float = 80.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    level = np.max(np.abs(y)) * 10.0 ** (-below_peak_db / 20.0)
    return (y + level * rng.standard_normal(len(y))).astype(np.float32)


def write_copy(y: np.ndarray, sr: int, case: str, path_stem: str) -> str:
    """Write clip ``y`` (at ``sr`` Hz) as the copy ``case``; return the file's path."""
    import librosa
    import soundfile as sf

    file_sr, fmt, subtype, pre = CASES[case]
    y = np.asarray(y, dtype=np.float32)
    if pre == "lowpass":
        y = _lowpass(y, sr)
    elif pre == "noise":
        y = _noise(y)
    if file_sr is not None and file_sr != sr:
        y = librosa.resample(y, orig_sr=sr, target_sr=file_sr, res_type="soxr_hq")
    ext = {"WAV": ".wav", "FLAC": ".flac", "MP3": ".mp3", "OGG": ".ogg"}[fmt]
    path = path_stem + f".{case}{ext}"
    sf.write(path, np.clip(y, -1.0, 1.0), file_sr or sr, format=fmt, subtype=subtype)
    return path


def write_copies(clips, sr: int, folder: str, cases=None) -> dict[str, list[str]]:
    """Every case's copy of every clip, written under ``folder``.

    Returns
    -------
    paths : dict of case to list of str
        One path per clip, in the order of ``clips``.
    """
    os.makedirs(folder, exist_ok=True)
    cases = list(CASES) if cases is None else list(cases)
    return {case: [write_copy(y, sr, case, os.path.join(folder, f"clip{i:04d}"))
                   for i, y in enumerate(clips)]
            for case in cases}
