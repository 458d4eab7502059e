"""An instrument playing: f0 tracks, onsets, per-frame and per-note descriptors, phrases."""

import numpy as np
import pytest

from sktimbre import (
    FrameHarmonics,
    HarmonicDescriptors,
    NoteEnvelope,
    NoteHarmonics,
    SpectralContrast,
    make_timbre_embedder,
)
from sktimbre.augment import synthesize_phrases
from sktimbre.datasets import make_notes
from sktimbre.frontend import F0Track, Onsets, analysis_groups, decode_clips
from sktimbre.frontend._batch import DecodeSettings
from sktimbre.metrics import centroid_ranking

from .conftest import SR


def _tone(f0, seconds, *, n_harmonics=12, decay=1.5, seed=0):
    t = np.arange(int(seconds * SR)) / SR
    rng = np.random.default_rng(seed)
    y = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6.3)) / k
            for k in range(1, n_harmonics + 1) if k * f0 < 0.45 * SR)
    return (0.3 * np.exp(-decay * t) * y).astype(np.float32)


def _melody(midis, seconds=0.3, *, legato=True):
    """Notes one after the other; legato: each fades only at the very end."""
    notes = []
    for i, m in enumerate(midis):
        note = _tone(440.0 * 2 ** ((m - 69) / 12), seconds, decay=0.5 if legato else 6.0,
                     seed=i)
        ramp = min(len(note), int(0.01 * SR))
        note[:ramp] *= np.linspace(0.3 if legato else 0.0, 1.0, ramp)
        notes.append(note)
    y = np.concatenate(notes + [np.zeros(int(0.2 * SR), np.float32)])
    fade = int(0.02 * SR)
    y[len(y) - int(0.2 * SR) - fade:len(y) - int(0.2 * SR)] *= np.linspace(1, 0, fade)
    return y


def _analysis(y, analysis):
    batch = decode_clips([y], 0, DecodeSettings(sr=SR))
    [(_, stack)] = analysis_groups(batch, analysis)
    return stack[0]


def test_f0_track_follows_a_melody():
    midis = [57, 60, 64, 62, 67, 55]
    f0, voicing = _analysis(_melody(midis, 0.4), F0Track())
    per_note = int(0.4 * SR / 512)
    for i, m in enumerate(midis):
        frames = f0[i * per_note + 3:(i + 1) * per_note - 3]
        cents = 1200 * np.log2(np.nanmedian(frames) / (440.0 * 2 ** ((m - 69) / 12)))
        assert abs(cents) < 30, (i, cents)
    assert np.isnan(f0[-3:]).all()  # the silence after the melody is unvoiced


def test_f0_track_reads_nothing_above_its_band_limit():
    from scipy.signal import butter, sosfiltfilt

    y = _melody([60, 64, 67], 0.4)
    lowpassed = sosfiltfilt(butter(8, 8500, fs=SR, output="sos"), y).astype(np.float32)
    np.testing.assert_allclose(_analysis(lowpassed, F0Track())[0],
                               _analysis(y, F0Track())[0], rtol=2e-3)


@pytest.mark.parametrize("legato", [True, False], ids=["legato", "detached"])
def test_onsets_mark_every_note(legato):
    midis = [60, 62, 64, 65, 67, 69, 71] if legato else [60] * 7  # repeated: flux only
    flags = _analysis(_melody(midis, 0.3, legato=legato), Onsets())
    onsets = np.flatnonzero(flags) * 512 / SR
    expected = np.arange(len(midis)) * 0.3
    assert abs(len(onsets) - len(midis)) <= 1, onsets
    for t in expected:
        assert np.min(np.abs(onsets - t)) < 0.06, (t, onsets)


def test_playing_descriptors_do_not_depend_on_the_length_of_the_take():
    phrase = _melody([57, 60, 64, 62, 59], 0.35)
    take = np.concatenate([phrase] * 4)
    for family in (FrameHarmonics(), NoteHarmonics(), NoteEnvelope(),
                   SpectralContrast(band_limit=8000.0, active_db=60.0, onset_window=0.6)):
        one, four = family.fit_transform([phrase, take])
        scale = np.abs(one) + 1.0
        assert np.median(np.abs(one - four) / scale) < 0.03, type(family).__name__
        assert np.max(np.abs(one - four) / scale) < 0.15, type(family).__name__


def test_note_harmonics_of_an_isolated_note_agree_with_the_clip_level_ones():
    note = _tone(220.0, 1.5, decay=0.8)
    clip = HarmonicDescriptors().fit_transform([note])[0][:12]  # harmonic levels, dB
    notes = NoteHarmonics().fit_transform([note])[0][:12]
    np.testing.assert_allclose(notes[:8], clip[:8], atol=1.0)


def test_frame_harmonics_of_a_melody_are_those_of_its_notes():
    """Per frame at its own f0, a melody reads like the notes it is made of; one f0
    for the whole clip (the 0.1 description) does not."""
    midis = [55, 59, 62, 66, 69]
    melody = _melody(midis, 0.4)
    single = _melody([62], 2.0)
    frame = FrameHarmonics().fit_transform([melody, single])
    clip = HarmonicDescriptors().fit_transform([melody, single])
    levels = slice(0, 12)
    assert np.abs(frame[0, levels] - frame[1, levels]).mean() < 2.0
    assert (np.abs(clip[0, levels] - clip[1, levels]).mean()
            > 3 * np.abs(frame[0, levels] - frame[1, levels]).mean())


def test_note_envelope_reads_each_notes_decay():
    t = np.arange(int(0.5 * SR)) / SR
    notes = [np.sin(2 * np.pi * f * t) * np.exp(-t / tau) for f, tau in
             [(220, 0.05), (330, 0.05), (262, 0.05), (294, 0.05)]]
    y = np.concatenate(notes + [np.zeros(SR // 4)]).astype(np.float32)
    row = NoteEnvelope().fit_transform([y])[0]
    names = list(NoteEnvelope().fit([y]).get_feature_names_out())
    slope = row[names.index("note_decay_slope_db_s_median")]
    assert slope == pytest.approx(-20 * np.log10(np.e) / 0.05, rel=0.15)  # -174 dB/s
    assert row[names.index("note_level_100ms_db_median")] == pytest.approx(-17.4, abs=3.0)


def test_band_limited_contrast_ignores_the_top_of_the_spectrum():
    """What a resampler, a codec or a noise floor does above 8 kHz does not enter."""
    from scipy.signal import butter, sosfiltfilt

    y = _tone(110.0, 1.0, n_harmonics=95, decay=0.3)  # harmonics up to 10.4 kHz
    lowpassed = sosfiltfilt(butter(8, 9000, fs=SR, output="sos"), y).astype(np.float32)
    noisy = y + 1e-4 * np.random.default_rng(0).standard_normal(len(y)).astype(np.float32)
    limited = SpectralContrast(band_limit=8000.0).fit_transform([y, lowpassed, noisy])
    full = SpectralContrast().fit_transform([y, lowpassed, noisy])
    assert np.abs(limited[1:] - limited[0]).max() < 1.0
    assert np.abs(full[1:, -1] - full[0, -1]).max() > 3.0  # the 0.1 top band moved


def test_onset_window_pools_the_attack_and_early_sustain():
    from sktimbre._dsp.contrast import spectral_contrast
    from sktimbre._dsp.stft import stft_magnitude

    note = _tone(220.0, 2.0, decay=3.0)  # one onset, at the start; decays by 26 dB/s
    everything = SpectralContrast().fit_transform([note])[0]
    early = SpectralContrast(onset_window=0.3).fit_transform([note])[0]
    assert not np.allclose(everything, early)
    # by definition: the mean of the frame-wise contrast over the frames of the first 0.3 s
    frames = spectral_contrast(stft_magnitude(note[None], 2048, 512), sr=SR, n_fft=2048)[0]
    first = np.arange(frames.shape[1]) * 512 <= 0.3 * SR
    np.testing.assert_allclose(early, frames[:, first].mean(axis=1), rtol=1e-6)


def test_a_phrase_lands_on_its_instrument_in_the_embedding():
    """Fitted on notes and phrases made of them, an embedder places phrases of new
    melodies, on other notes of the same instruments, at their instrument."""
    X, y, pitch = make_notes(n_instruments=4, pitches=range(48, 72, 2), velocities=(1.0,),
                             duration=0.6, random_state=0, return_pitch=True)
    fit = pitch % 4 == 0
    phrases, labels = synthesize_phrases(X[fit], y[fit], pitches=pitch[fit], n_per_label=8,
                                         n_notes=(3, 5), random_state=0)
    embedder = make_timbre_embedder().fit(list(X[fit]) + phrases,
                                          np.concatenate([y[fit], labels]))
    queries, truth = synthesize_phrases(X[~fit], y[~fit], pitches=pitch[~fit], n_per_label=4,
                                        n_notes=(3, 5), random_state=1)
    ranking = centroid_ranking(embedder.transform(queries), embedder.transform(X[fit]),
                               y[fit])
    assert np.mean(ranking[:, 0] == truth) >= 0.8


def test_a_level_relative_floor_keeps_a_codecs_holes_out():
    """Bins a codec empties far below the frame's peak do not move the floored
    descriptors; without the floor, contrast's valleys read them."""
    import librosa

    y = _tone(196.0, 1.0, n_harmonics=40, decay=0.5)
    D = librosa.stft(y)
    holes = np.random.default_rng(0).random(D.shape) < 0.3  # 30 % of the bins, 80 dB down
    copy = librosa.istft(np.where(holes, D * 1e-4, D), length=len(y)).astype(np.float32)
    floored = SpectralContrast(band_limit=8000.0, floor_db=50.0).fit_transform([y, copy])
    raw = SpectralContrast(band_limit=8000.0).fit_transform([y, copy])
    assert np.abs(floored[0] - floored[1]).max() < 0.6
    assert np.abs(raw[0] - raw[1]).max() > 1.2
