"""Synthetic labelled instrument notes.

The generator in this module produces short recordings of single notes played
by synthetic "instruments". Each instrument has a fixed, pitch-independent
timbre (a source-filter spectral envelope plus a characteristic attack/decay
shape), so that a good timbre representation maps notes of one instrument
close together whatever pitch they are played at.
"""

# SPDX-License-Identifier: BSD-3-Clause

from collections.abc import Iterable
from numbers import Integral, Real

import numpy as np
import scipy.fft
from sklearn.utils import check_random_state

__all__ = ["make_notes"]

# Amplitude-envelope archetypes, assigned cyclically by instrument index.
_ARCHETYPES = ("plucked", "bowed", "blown", "struck")

# Spacing of the brightness of successive instruments.
_GOLDEN_RATIO_CONJUGATE = (np.sqrt(5.0) - 1.0) / 2.0

# Partials above this fraction of the sampling rate are dropped (no aliasing).
_MAX_PARTIAL_FRACTION = 0.45


def _midi_to_hz(midi):
    """Convert MIDI note numbers to frequencies in Hz (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)


def _draw_instrument(archetype, brightness, rng):
    """Draw the fixed parameters of one instrument.

    Parameters
    ----------
    archetype : str
        One of ``_ARCHETYPES``; selects the family of amplitude envelopes.

    brightness : float
        Number in [0, 1) setting the spectral tilt, from dark to bright.

    rng : numpy.random.Generator
        Generator dedicated to this instrument.

    Returns
    -------
    params : dict
        Instrument parameters, consumed by ``_synthesize_note``.
    """
    n_formants = int(rng.integers(2, 5))
    # Formant centres are spread over log-frequency so that they do not pile up.
    edges = np.geomspace(250.0, 6000.0, n_formants + 1)
    formant_freqs = np.exp(rng.uniform(np.log(edges[:-1]), np.log(edges[1:])))
    inharmonicity_range = (1e-5, 1.5e-4) if archetype == "struck" else (0.0, 3e-5)
    noise_range = (0.05, 0.12) if archetype == "blown" else (0.01, 0.05)
    params = {
        "archetype": archetype,
        "formant_freqs": formant_freqs,
        # Bandwidths relative to the centre frequency (Q between ~2 and ~8).
        "formant_rel_bw": rng.uniform(0.12, 0.5, size=n_formants),
        "formant_gains_db": rng.uniform(0.0, 24.0, size=n_formants),
        "floor_db": -30.0,
        # Spectral tilt of the source in dB per octave (relative to 1 kHz).
        "tilt_db_per_octave": -9.0 + 7.0 * brightness + rng.uniform(-0.3, 0.3),
        # Linear gain applied to even harmonics (clarinet-like when small).
        "even_gain": rng.uniform(0.15, 1.0),
        # Stiff-string inharmonicity coefficient: f_k = k f0 sqrt(1 + B k^2).
        "inharmonicity": rng.uniform(*inharmonicity_range),
        # How much brighter the note gets at full velocity (dB per octave).
        "velocity_brightness": rng.uniform(1.0, 4.0),
        # Relative level of the breath / bow / hammer noise.
        "noise_level": rng.uniform(*noise_range),
    }
    if archetype == "plucked":
        params.update(
            attack=rng.uniform(0.002, 0.008),
            decay=rng.uniform(0.25, 0.6),
            # Time constant of the loss of brightness and low-pass cutoff it tends to.
            bright_tau=rng.uniform(0.05, 0.2),
            dull_cutoff=rng.uniform(1000.0, 2500.0),
        )
    elif archetype == "bowed":
        params.update(
            attack=rng.uniform(0.08, 0.2),
            release=rng.uniform(0.08, 0.15),
            tremolo_rate=rng.uniform(4.5, 6.5),
            tremolo_depth=rng.uniform(0.05, 0.15),
            bright_tau=rng.uniform(0.3, 0.6),
            dull_cutoff=rng.uniform(4000.0, 7000.0),
        )
    elif archetype == "blown":
        params.update(
            attack=rng.uniform(0.03, 0.08),
            release=rng.uniform(0.05, 0.1),
            tremolo_rate=rng.uniform(3.5, 5.5),
            tremolo_depth=rng.uniform(0.02, 0.08),
            bright_tau=rng.uniform(0.3, 0.6),
            dull_cutoff=rng.uniform(3000.0, 6000.0),
        )
    else:  # struck
        params.update(
            attack=rng.uniform(0.0005, 0.002),
            decay=rng.uniform(0.6, 1.5),
            fast_decay=rng.uniform(0.03, 0.08),
            fast_fraction=rng.uniform(0.3, 0.6),
            bright_tau=rng.uniform(0.02, 0.08),
            dull_cutoff=rng.uniform(800.0, 2000.0),
        )
    return params


def _spectral_envelope(freqs, formant_freqs, formant_rel_bw, formant_gains_db, floor_db):
    """Magnitude of the formant filter (resonator bank) at ``freqs`` in Hz."""
    bw = formant_rel_bw * formant_freqs
    resonance = 1.0 / (1.0 + ((freqs[:, None] - formant_freqs) / bw) ** 2)
    return 10.0 ** (floor_db / 20.0) + resonance @ (10.0 ** (formant_gains_db / 20.0))


def _amplitude_envelopes(params, t, duration, jitter):
    """Return the partial and noise amplitude envelopes of one note."""
    archetype = params["archetype"]
    attack = params["attack"] * jitter[0]
    ramp = np.clip(t / attack, 0.0, 1.0)
    if archetype in ("plucked", "struck"):
        env = ramp * np.exp(-t / (params["decay"] * jitter[1]))
        if archetype == "struck":
            frac = params["fast_fraction"]
            env *= frac * np.exp(-t / params["fast_decay"]) + (1.0 - frac)
        # Short click or hammer noise at the onset.
        noise_env = ramp * np.exp(-t / 0.015)
    else:
        attack_shape = 0.5 - 0.5 * np.cos(np.pi * ramp)
        release = min(params["release"] * jitter[1], 0.5 * duration)
        release_shape = np.clip((duration - t) / release, 0.0, 1.0)
        tremolo = 1.0 + params["tremolo_depth"] * np.sin(
            2.0 * np.pi * params["tremolo_rate"] * t + 2.0 * np.pi * jitter[2]
        )
        env = attack_shape * release_shape * tremolo
        # Sustained breath / bow noise, with an extra burst during the attack.
        noise_env = env * (1.0 + 2.0 * np.exp(-t / attack))
    # Weight of the "dull" spectrum: high partials die out first.
    dull_weight = 1.0 - np.exp(-t / params["bright_tau"])
    return env, noise_env, dull_weight


def _synthesize_note(
    params, pitch, velocity, duration, sr, n_samples, n_fft, noise_filter, noise_level, rng
):
    """Synthesize one note as float32.

    The noiseless note is peak-normalised to ``0.9 * velocity``, then white
    Gaussian noise of standard deviation ``noise_level`` is added.
    """
    # Per-note jitter: slight detuning, formant and envelope timing variation.
    f0 = _midi_to_hz(pitch) * 2.0 ** (rng.uniform(-3.0, 3.0) / 1200.0)
    n_formants = params["formant_freqs"].shape[0]
    formant_freqs = params["formant_freqs"] * rng.uniform(0.97, 1.03, size=n_formants)
    formant_gains_db = params["formant_gains_db"] + rng.uniform(-1.0, 1.0, size=n_formants)
    env_jitter = [rng.uniform(0.9, 1.1), rng.uniform(0.9, 1.1), rng.uniform()]

    # Partials: slightly inharmonic harmonic series below the anti-aliasing limit.
    k_max = int(_MAX_PARTIAL_FRACTION * sr / f0)
    k = np.arange(1, k_max + 1, dtype=np.float64)
    freqs = k * f0 * np.sqrt(1.0 + params["inharmonicity"] * k**2)
    keep = freqs < _MAX_PARTIAL_FRACTION * sr
    k, freqs = k[keep], freqs[keep]

    tilt = params["tilt_db_per_octave"] + params["velocity_brightness"] * (velocity - 1.0)
    source = 10.0 ** (tilt * np.log2(freqs / 1000.0) / 20.0)
    source[k % 2 == 0] *= params["even_gain"]
    filt = _spectral_envelope(
        freqs,
        formant_freqs,
        params["formant_rel_bw"],
        formant_gains_db,
        params["floor_db"],
    )
    bright = source * filt
    dull = bright * np.exp(-freqs / params["dull_cutoff"])

    # Stationary components are built in the frequency domain on a zero-padded
    # grid (resolution sr / n_fft) and cropped to the clip length: the bright
    # and dull versions of the partials, and noise coloured by the same body
    # resonances.
    n_bins = n_fft // 2 + 1
    bins = np.rint(freqs * n_fft / sr).astype(np.intp)
    phases = np.exp(2j * np.pi * rng.uniform(size=freqs.shape[0]))
    spectra = np.zeros((3, n_bins), dtype=np.complex64)
    np.add.at(spectra[0], bins, bright * phases)
    np.add.at(spectra[1], bins, dull * phases)
    noise = rng.standard_normal((2, n_bins), dtype=np.float32)
    spectra[2].real = noise_filter * noise[0]
    spectra[2].imag = noise_filter * noise[1]
    components = scipy.fft.irfft(spectra, n=n_fft, axis=1)[:, :n_samples]
    components /= np.sqrt(np.mean(components**2, axis=1, keepdims=True)) + 1e-12

    t = np.arange(n_samples, dtype=np.float32) / np.float32(sr)
    env, noise_env, dull_weight = _amplitude_envelopes(params, t, duration, env_jitter)
    note = (env * (1.0 - dull_weight)) * components[0]
    note += (env * dull_weight) * components[1]
    note += (params["noise_level"] * noise_env) * components[2]
    peak = np.max(np.abs(note))
    if peak > 0:
        note *= 0.9 * velocity / peak
    # Always drawn, so that the notes do not depend on noise_level.
    note += noise_level * rng.standard_normal(n_samples, dtype=np.float32)
    return note


def _check_positive_integer(value, name, *, minimum=1):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def _check_positive_real(value, name, *, allow_zero=False):
    valid = isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(value)
    if not valid or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite real number {bound}, got {value!r}.")
    return float(value)


def make_notes(
    n_instruments: int = 4,
    *,
    pitches: Iterable[int] = range(48, 73, 2),
    velocities: Iterable[float] = (0.5, 1.0),
    duration: float = 1.0,
    sr: int = 22050,
    noise_level: float = 0.01,
    random_state: int | np.random.RandomState | None = None,
    return_pitch: bool = False,
) -> tuple[np.ndarray, ...]:
    """Generate labelled recordings of single notes of synthetic instruments.

    Every instrument plays every pitch in ``pitches`` at every velocity in
    ``velocities``. An instrument is defined by:

    - a fixed spectral envelope in Hz (a bank of 2 to 4 formant-like
      resonances), so that, as in the source-filter model, its timbre does not
      move with the pitch; the same envelope colours its noise;
    - a source spectral tilt (dB per octave), an odd/even harmonic balance and
      a slight inharmonicity of the partials;
    - an amplitude envelope whose shape depends on ``instrument_index % 4``:
      plucked (fast attack, exponential decay), bowed (slow attack, sustain
      with tremolo, release), blown (medium attack, sustain, breath noise) or
      struck (instantaneous attack, two-stage decay, most inharmonic); high
      partials fade out faster than low ones;
    - a breath, bow or hammer noise component.

    The parameters of instrument ``i`` are a deterministic function of ``i``
    and ``random_state`` only: with the same ``random_state``, instrument ``i``
    sounds the same whatever ``n_instruments``, ``pitches`` or
    ``velocities`` are. Each note additionally gets a small random variation
    (detuning of at most 3 cents, jitter of the resonances and of the envelope
    timing, random partial phases and noise).

    Parameters
    ----------
    n_instruments : int, default=4
        Number of instruments (classes).

    pitches : iterable of int, default=range(48, 73, 2)
        MIDI note numbers to play (69 is A4 = 440 Hz). The fundamental of the
        highest pitch must be below ``0.45 * sr``.

    velocities : iterable of float, default=(0.5, 1.0)
        Velocities in (0, 1]. The noiseless note is scaled to a peak amplitude
        of ``0.9 * velocity``, and higher velocities also sound brighter.

    duration : float, default=1.0
        Duration of every clip in seconds.

    sr : int, default=22050
        Sampling rate in Hz.

    noise_level : float, default=0.01
        Standard deviation of the white Gaussian (recording) noise added to
        every clip.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for dataset creation. Pass an int
        for reproducible output across multiple function calls.

    return_pitch : bool, default=False
        If True, also return the MIDI pitch of every clip.

    Returns
    -------
    X : ndarray of shape (n_clips, n_samples), dtype float32
        The waveforms, with ``n_clips = n_instruments * len(pitches) *
        len(velocities)`` and ``n_samples = round(duration * sr)``. Clips are
        ordered by instrument, then pitch, then velocity.

    y : ndarray of shape (n_clips,), dtype int
        The instrument index of every clip, in ``range(n_instruments)``.

    pitch : ndarray of shape (n_clips,), dtype int
        The MIDI pitch of every clip. Only returned if ``return_pitch=True``.

    Examples
    --------
    >>> from sktimbre.datasets import make_notes
    >>> X, y, pitch = make_notes(
    ...     n_instruments=3, pitches=[60, 64, 67], velocities=[1.0], duration=0.5,
    ...     random_state=0, return_pitch=True,
    ... )
    >>> X.shape, X.dtype
    ((9, 11025), dtype('float32'))
    >>> y
    array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    >>> pitch
    array([60, 64, 67, 60, 64, 67, 60, 64, 67])
    """
    n_instruments = _check_positive_integer(n_instruments, "n_instruments")
    sr = _check_positive_integer(sr, "sr")
    duration = _check_positive_real(duration, "duration")
    noise_level = _check_positive_real(noise_level, "noise_level", allow_zero=True)

    if isinstance(pitches, (str, bytes)) or not isinstance(pitches, Iterable):
        raise TypeError(f"pitches must be an iterable of MIDI numbers, got {pitches!r}.")
    pitches = list(pitches)
    if not pitches:
        raise ValueError("pitches must contain at least one MIDI pitch.")
    for p in pitches:
        if isinstance(p, bool) or not isinstance(p, Integral) or not 0 <= p <= 127:
            raise ValueError(f"pitches must be integer MIDI numbers in [0, 127], got {p!r}.")
    pitches = np.asarray(pitches, dtype=int)
    top_f0 = _midi_to_hz(pitches.max())
    if top_f0 * 2.0 ** (3.0 / 1200.0) >= _MAX_PARTIAL_FRACTION * sr:
        raise ValueError(
            f"The fundamental of MIDI pitch {pitches.max()} ({top_f0:.1f} Hz) is too high "
            f"for sr={sr}; it must be below {_MAX_PARTIAL_FRACTION} * sr."
        )

    if isinstance(velocities, (str, bytes)) or not isinstance(velocities, Iterable):
        raise TypeError(f"velocities must be an iterable of floats, got {velocities!r}.")
    velocities = list(velocities)
    if not velocities:
        raise ValueError("velocities must contain at least one velocity.")
    for v in velocities:
        valid = isinstance(v, Real) and not isinstance(v, bool) and 0 < v <= 1
        if not valid:
            raise ValueError(f"velocities must be real numbers in (0, 1], got {v!r}.")
    velocities = np.asarray(velocities, dtype=np.float64)

    n_samples = int(round(duration * sr))
    if n_samples < 1:
        raise ValueError(
            f"duration * sr must give at least one sample, got duration={duration}, sr={sr}."
        )
    # Zero-padded synthesis grid: partial frequencies are rounded to sr / n_fft.
    n_fft = scipy.fft.next_fast_len(2 * n_samples, real=True)

    generator = check_random_state(random_state)
    base_seed = int(generator.randint(np.iinfo(np.int32).max))

    n_per_instrument = pitches.shape[0] * velocities.shape[0]
    n_clips = n_instruments * n_per_instrument
    X = np.empty((n_clips, n_samples), dtype=np.float32)
    y = np.repeat(np.arange(n_instruments), n_per_instrument)
    pitch = np.tile(np.repeat(pitches, velocities.shape[0]), n_instruments)
    bin_freqs = np.maximum(np.arange(n_fft // 2 + 1) * (sr / n_fft), 20.0)

    # Brightness of instrument i: golden-ratio sequence from a random start, so
    # that successive instruments have well spread spectral tilts.
    brightness_start = np.random.default_rng([base_seed]).uniform()

    row = 0
    for instrument in range(n_instruments):
        archetype = _ARCHETYPES[instrument % len(_ARCHETYPES)]
        brightness = (brightness_start + instrument * _GOLDEN_RATIO_CONJUGATE) % 1.0
        # Separate streams for the instrument itself and for its notes, both
        # depending only on (random_state, instrument index).
        params = _draw_instrument(
            archetype, brightness, np.random.default_rng([base_seed, instrument, 0])
        )
        note_rng = np.random.default_rng([base_seed, instrument, 1])
        noise_filter = _spectral_envelope(
            bin_freqs,
            params["formant_freqs"],
            params["formant_rel_bw"],
            params["formant_gains_db"],
            params["floor_db"],
        ).astype(np.float32)
        for p in pitches:
            for v in velocities:
                X[row] = _synthesize_note(
                    params,
                    p,
                    v,
                    duration,
                    sr,
                    n_samples,
                    n_fft,
                    noise_filter,
                    noise_level,
                    note_rng,
                )
                row += 1

    if return_pitch:
        return X, y, pitch
    return X, y
