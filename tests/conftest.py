"""Shared fixtures: synthetic audio only, never the data sets."""

import numpy as np
import pytest

SR = 22050


def harmonic_tone(f0, *, duration=0.5, sr=SR, n_harmonics=10, decay=3.0, seed=0):
    """A decaying harmonic tone with 1/k partial amplitudes, float32."""
    t = np.arange(int(duration * sr)) / sr
    rng = np.random.default_rng(seed)
    y = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi)) / k
            for k in range(1, n_harmonics + 1) if k * f0 < sr / 2)
    return (0.3 * np.exp(-decay * t) * y).astype(np.float32)


@pytest.fixture
def tones():
    """Four tones of different lengths and pitches."""
    return [harmonic_tone(f, duration=d) for f, d in
            [(220.0, 0.5), (330.0, 0.5), (440.0, 0.7), (110.0, 0.3)]]


@pytest.fixture
def wav_files(tmp_path, tones):
    """The four tones written as files: WAV mono, WAV stereo, FLAC, and WAV at 44.1 kHz."""
    import soundfile as sf

    paths = []
    for i, y in enumerate(tones):
        path = tmp_path / f"tone{i}.{'flac' if i == 2 else 'wav'}"
        if i == 1:
            sf.write(path, np.stack([y, y], axis=1), SR)
        elif i == 3:
            import librosa

            sf.write(path, librosa.resample(y, orig_sr=SR, target_sr=44100), 44100)
        else:
            sf.write(path, y, SR)
        paths.append(str(path))
    return paths
