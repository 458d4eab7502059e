import numpy as np
import pytest

from sktimbre.augment import augment_clip, augment_clips

from .conftest import SR, harmonic_tone


def _centroid(y):
    spectrum = np.abs(np.fft.rfft(y))
    freqs = np.fft.rfftfreq(len(y), 1 / SR)
    return (spectrum * freqs).sum() / spectrum.sum()


def _peak_hz(y):
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y)), n=8 * len(y)))
    return np.fft.rfftfreq(8 * len(y), 1 / SR)[spectrum.argmax()]


NEUTRAL = dict(tilt_db_per_octave=(0, 0), gain_db=(0, 0), detune_cents=(0, 0),
               reverb_probability=0.0)


def test_neutral_settings_return_the_clip():
    y = harmonic_tone(220.0)
    np.testing.assert_allclose(augment_clip(y, **NEUTRAL, random_state=0), y, atol=1e-6)


def test_tilt_moves_the_spectral_centroid_the_right_way():
    y = harmonic_tone(220.0, n_harmonics=30)
    up = augment_clip(y, **{**NEUTRAL, "tilt_db_per_octave": (6, 6)}, random_state=0)
    down = augment_clip(y, **{**NEUTRAL, "tilt_db_per_octave": (-6, -6)}, random_state=0)
    assert _centroid(down) < _centroid(y) < _centroid(up)


def test_detune_shifts_pitch_by_the_drawn_cents():
    y = harmonic_tone(440.0, duration=1.0, n_harmonics=1, decay=0.0)
    shifted = augment_clip(y, **{**NEUTRAL, "detune_cents": (100, 100)}, random_state=0)
    assert 1200 * np.log2(_peak_hz(shifted) / 440.0) == pytest.approx(100, abs=5)
    assert len(shifted) == pytest.approx(len(y) / 2 ** (100 / 1200), abs=2)


def test_reverb_extends_a_decaying_note():
    y = np.zeros(SR, np.float32)
    y[:2000] = harmonic_tone(300.0, duration=2000 / SR, decay=0.0)
    wet = augment_clip(y, **{**NEUTRAL, "reverb_probability": 1.0, "rt60_s": (0.5, 0.5),
                             "reverb_wet": (0.5, 0.5)}, random_state=0)
    tail_dry, tail_wet = np.abs(y[6000:8000]).max(), np.abs(wet[6000:8000]).max()
    assert tail_dry == 0 and tail_wet > 1e-3


def test_augment_clips_is_deterministic_and_repeats_labels():
    X = [harmonic_tone(f) for f in (200.0, 300.0, 400.0)]
    a, ya = augment_clips(X, [0, 1, 2], n_copies=2, random_state=5)
    b, _ = augment_clips(X, [0, 1, 2], n_copies=2, random_state=5)
    assert len(a) == 9 and ya.tolist() == [0, 1, 2] * 3
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    np.testing.assert_array_equal(a[0], X[0])
    assert not np.array_equal(a[3][:1000], a[6][:1000])  # copies differ from each other
    only_copies = augment_clips(X, n_copies=1, keep_original=False, random_state=5)
    assert len(only_copies) == 3


def test_augment_clips_validates_its_arguments():
    with pytest.raises(ValueError, match="n_copies"):
        augment_clips([harmonic_tone(200.0)], n_copies=0)
    with pytest.raises(ValueError, match="2 labels for 1 clips"):
        augment_clips([harmonic_tone(200.0)], [0, 1])


def test_smooth_eq_changes_levels_by_at_most_its_range():
    rng = np.random.default_rng(0)
    y = rng.standard_normal(SR).astype(np.float32) * 0.1
    eq = augment_clip(y, **{**NEUTRAL, "eq_db": 6.0}, random_state=1)
    Y, E = np.abs(np.fft.rfft(y)), np.abs(np.fft.rfft(eq))
    freqs = np.fft.rfftfreq(SR, 1 / SR)
    for lo in (100, 400, 1600, 6400):  # octave bands: level change within the EQ range
        band = (freqs >= lo) & (freqs < 2 * lo)
        change_db = 10 * np.log10((E[band] ** 2).sum() / (Y[band] ** 2).sum())
        assert abs(change_db) <= 6.1
    assert not np.allclose(eq, y, atol=1e-3)


def _sine_notes(midis, sr=22050, seconds=1.0):
    t = np.arange(int(seconds * sr)) / sr
    return [(0.5 * np.sin(2 * np.pi * 440.0 * 2 ** ((m - 69) / 12) * t)).astype(np.float32)
            for m in midis]


def test_synthesized_phrase_is_a_legato_walk_of_the_given_notes():
    from sktimbre.augment import synthesize_phrase

    midis = list(range(60, 72))
    y, played = synthesize_phrase(_sine_notes(midis), midis, n_notes=(6, 6),
                                  note_duration=(0.25, 0.25), tail=0.4, random_state=1)
    assert len(played) == 6
    assert np.abs(np.diff(np.asarray(midis)[played])).max() <= 5  # steps of the walk
    assert len(y) == round((6 * 0.25 + 0.4) * 22050)
    # legato: no gap of silence between the notes
    frames = np.abs(y[: int(1.5 * 22050)]).reshape(-1, 441).max(axis=1)
    assert frames.min() > 0.1
    # each quarter second sounds the note that was played then
    for i, j in enumerate(played):
        seg = y[int((i * 0.25 + 0.05) * 22050): int((i * 0.25 + 0.2) * 22050)]
        spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
        f = np.argmax(spectrum) * 22050 / len(seg)
        assert abs(12 * np.log2(f / 440.0) + 69 - midis[j]) < 0.5


def test_synthesized_phrases_use_each_instruments_own_notes():
    from sktimbre.augment import synthesize_phrases

    low, high = _sine_notes(range(40, 46)), _sine_notes(range(80, 86))
    X, y = low + high, np.array(["bass"] * 6 + ["flute"] * 6)
    phrases, labels = synthesize_phrases(X, y, pitches=list(range(40, 46)) + list(range(80, 86)),
                                         n_per_label=4, random_state=0)
    assert labels.tolist() == ["bass"] * 4 + ["flute"] * 4
    for phrase, label in zip(phrases, labels, strict=True):
        spectrum = np.abs(np.fft.rfft(phrase))
        f = np.argmax(spectrum) * 22050 / len(phrase)
        assert (f < 200) == (label == "bass")
    again, _ = synthesize_phrases(X, y, pitches=list(range(40, 46)) + list(range(80, 86)),
                                  n_per_label=4, random_state=0)
    assert all(np.array_equal(a, b) for a, b in zip(phrases, again, strict=True))


def test_synthesized_phrases_estimate_pitches_when_not_given():
    from sktimbre.augment import synthesize_phrases

    midis = [48, 50, 52, 53, 55, 57, 59, 60]
    leading = [np.concatenate([np.zeros(3000, np.float32), n]) for n in _sine_notes(midis)]
    phrases, _ = synthesize_phrases(leading, np.zeros(len(midis)), n_per_label=5,
                                    max_step=2, random_state=0)
    for phrase in phrases:  # silence before each note was trimmed: the phrase starts at once
        assert np.abs(phrase[:500]).max() > 0.05


def test_synthesize_phrases_rejects_bad_arguments():
    from sktimbre.augment import synthesize_phrases

    X = _sine_notes([60, 62])
    with pytest.raises(ValueError, match="n_per_label"):
        synthesize_phrases(X, [0, 0], pitches=[60, 62], n_per_label=0)
    with pytest.raises(ValueError, match="labels for 2 clips"):
        synthesize_phrases(X, [0], pitches=[60, 62])
    with pytest.raises(ValueError, match="pitches has 1 values"):
        synthesize_phrases(X, [0, 0], pitches=[60])
