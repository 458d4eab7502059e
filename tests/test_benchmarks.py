"""The benchmark scripts run end to end (on tiny synthetic libraries)."""

import csv
import importlib.util
import os

import pytest
import soundfile as sf

from sktimbre.datasets import make_notes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "benchmarks",
                                                                     f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_library(folder, X, y, pitch):
    os.makedirs(folder / "audio")
    rows = []
    for i, (clip, label, p) in enumerate(zip(X, y, pitch, strict=True)):
        path = f"audio/c{i:03d}.wav"
        sf.write(folder / path, clip, 22050)
        rows.append({"path": path, "program": int(label), "family": f"fam{label // 2}",
                     "midi_pitch": int(p), "velocity": 112,
                     "duration_s": round(len(clip) / 22050, 2)})
    with open(folder / "manifest.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return str(folder)


def _library(folder, seed):
    """A manifest-style library: 4 'programs' over a pitch range, 2 families."""
    X, y, pitch = make_notes(n_instruments=4, pitches=range(48, 72, 2), velocities=(1.0,),
                             duration=0.5, random_state=seed, return_pitch=True)
    return _write_library(folder, X, y, pitch)


def _phrases(folder, seed):
    """The same instruments playing: phrases made of their notes, 3 per 'program'."""
    from sktimbre.augment import synthesize_phrases

    X, y, pitch = make_notes(n_instruments=4, pitches=range(48, 72, 2), velocities=(1.0,),
                             duration=0.5, random_state=seed, return_pitch=True)
    phrases, labels = synthesize_phrases(X, y, pitches=pitch, n_per_label=3, n_notes=(3, 4),
                                         random_state=seed)
    return _write_library(folder, phrases, labels, [60] * len(labels))


@pytest.fixture(scope="module")
def libraries(tmp_path_factory):
    root = tmp_path_factory.mktemp("libs")
    return _library(root / "a", 0), _library(root / "b", 0)


def test_quality_benchmark_phrases_and_transcoding_tables(libraries, tmp_path_factory,
                                                          capsys):
    root = tmp_path_factory.mktemp("phrases")
    phrases = ["--phrases-a", _phrases(root / "a", 0), "--phrases-b", _phrases(root / "b", 0)]
    quality = _load("quality")
    assert quality.main([*libraries, *phrases, "--configs", "default+phrases(24)",
                         "--transcoding", "--transcoding-cases", "wav-44k,noise-80db"]) == 0
    out = capsys.readouterr().out
    assert "Phrases:" in out and "Transcoding (default+phrases(24)):" in out
    phrase_row = next(line for line in out.splitlines()[out.splitlines().index("Phrases:"):]
                      if line.startswith("| default"))
    values = [float(v) for v in phrase_row.split("|")[3:-1]]
    assert values[0] > 0.5  # A->B phrases top-1, chance 0.25
    lines = out.splitlines()
    start = lines.index("Transcoding (default+phrases(24)):")
    table = [line for line in lines[start:] if line.startswith("| ")]
    assert table[1].startswith("| (the same note an octave up)")
    assert [row.split("|")[1].strip() for row in table[2:4]] == ["wav-44k", "noise-80db"]


def test_quality_benchmark_prints_one_row_per_configuration(libraries, tmp_path, capsys):
    out = tmp_path / "table.md"
    quality = _load("quality")
    assert quality.main([*libraries, "--configs", "seed-raw,default", "--markdown",
                         str(out)]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [r.split("|")[1].strip() for r in rows[1:]] == ["seed-raw", "default"]
    # same instruments in both "libraries": the default must find them
    default = [float(v) for v in rows[2].split("|")[3:-1]]
    assert default[2] > 0.9  # A->B top-1
    assert out.read_text().count("\n") == 6  # "Notes:", blank, header, rule, 2 rows


def test_quality_benchmark_scores_the_pretrained_embedder_as_shipped(libraries, capsys):
    assert _load("quality").main([*libraries, "--configs", "", "--pretrained"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [r.split("|")[1].strip() for r in rows[1:]] == ["pretrained (in-sample)"]
    assert rows[1].split("|")[2].strip() == "31"


def test_quality_benchmark_rejects_unknown_configuration(libraries):
    with pytest.raises(SystemExit):
        _load("quality").main([*libraries, "--configs", "nope"])


def test_speed_benchmark_reports_ratios(libraries, capsys):
    assert _load("speed").main([libraries[0], "--n-clips", "6", "--rounds", "1",
                                "--n-jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert "threadpool_limits(limits=1) around every timed call" in out
    assert "librosa's filter cache is" in out  # the reference's speed depends on it
    rows = [line for line in out.splitlines() if line.startswith("| default union")]
    # CPU and wall time, and both ratios against the reference
    cpu, wall, _, vs_cpu, vs_wall = [c.strip() for c in rows[0].split("|")[2:-1]]
    # (to 10 ms: the six short clips may take less than 5 ms)
    assert float(cpu) >= 0 and float(wall) >= 0
    assert float(vs_cpu.rstrip("x")) > 1 and float(vs_wall.rstrip("x")) > 1
    assert "| family: harmonic_frames |" in out and "| family: notes |" in out
    # the parallel wall-clock comparison, with the fixed cost of a one-clip call
    assert "| 1 |" in out and "| 16 |" in out
    assert "Fixed cost per call (workers already running)" in out


def test_speed_benchmark_times_phrases_and_a_long_take(libraries, capsys):
    assert _load("speed").main([libraries[0], "--n-clips", "4", "--rounds", "1",
                                "--n-jobs", "1", "--threads", "2", "--phrases", libraries[1],
                                "--long-take", "3"]) == 0
    out = capsys.readouterr().out
    assert "threadpool_limits(limits=2)" in out
    phrases = [line for line in out.splitlines() if line.startswith("| phrases |")]
    assert phrases[0].rstrip(" |").endswith("x")  # cost per audio-s against the notes'
    take = [line for line in out[out.index("## Long take"):].splitlines()
            if line.startswith("| ")]
    assert "CPU s per audio-min" in take[0] and "peak RSS growth MiB" in take[0]
    minutes, cpu_per_minute = (float(take[1].split("|")[i]) for i in (1, 4))
    assert minutes == pytest.approx(0.05, abs=0.01) and cpu_per_minute > 0  # 3 s = 0.05 min
    assert "Parallel" not in out


def test_speed_benchmark_reports_a_long_take_that_needs_too_much_memory(libraries, capsys):
    # a take whose transform needs more than allowed is reported, the benchmark goes on
    assert _load("speed").main([libraries[0], "--n-clips", "2", "--rounds", "1", "--n-jobs",
                                "1", "--long-take", "3", "--long-take-max-mib", "1"]) == 0
    assert "transform failed: MemoryError" in capsys.readouterr().out


def test_speed_benchmark_refuses_zero_threads(libraries):
    with pytest.raises(SystemExit):
        _load("speed").main([libraries[0], "--threads", "0"])


def test_steps_benchmark_times_every_analysis_and_family_once(libraries, capsys):
    from sktimbre import load_pretrained_embedder
    from sktimbre.frontend import STFT

    compute = STFT.compute
    assert _load("steps").main([libraries[0], "--n-clips", "6", "--rounds", "2"]) == 0
    out = capsys.readouterr().out
    rows = {line.split("|")[1].strip(): float(line.split("|")[2])
            for line in out.splitlines() if line.startswith("| ") and "CPU s" not in line}
    names = [name for name, _ in load_pretrained_embedder()[1].transformer_list]
    assert {f"family: {name}" for name in names} <= set(rows)
    assert {"analysis: STFT", "analysis: F0Track", "decoding and silence trimming"} <= set(rows)
    # the steps are parts of the total (each printed to 0.5 ms), and the library is
    # left as it was found
    total = float(out.split(" CPU s in all")[0].rsplit(": ", 1)[1])
    assert sum(rows.values()) <= total * 1.05 + 0.0005 * (len(rows) + 1)
    assert STFT.compute is compute


def test_memory_benchmark_reports_peak_ratio_and_refuses_a_long_clip(libraries, capsys):
    assert _load("memory").main([libraries[0], "--sizes", "6", "12", "--batch-size", "4"]) == 0
    out = capsys.readouterr().out
    assert "| 12 |" in out and "x |" in out
    assert "1800.0 s long, above max_duration=600.0 s" in out


def test_grid_benchmark_reports_extraction_passes(libraries, capsys):
    assert _load("grid").main([libraries[0], "--n-clips", "24", "--cv", "2",
                               "--skip-uncached"]) == 0
    out = capsys.readouterr().out
    assert "| projection grid, 12 candidates, cache=True |" in out


def test_exactness_benchmark_finds_a_moved_column(libraries, tmp_path, capsys):
    import numpy as np

    exactness = _load("exactness")
    reference = str(tmp_path / "ref.npz")
    args = [libraries[0], "--n-clips", "5"]
    assert exactness.main(["save", reference, *args]) == 0
    assert exactness.main(["compare", reference, *args]) == 0
    assert "largest difference 0.00e+00" in capsys.readouterr().out
    saved = dict(np.load(reference))
    saved["rows"][:, 3] *= 1.001  # a change that moves one column
    np.savez(reference, **saved)
    assert exactness.main(["compare", reference, *args]) == 1
    assert "1.0e-03" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # other clips than the saved ones
        exactness.main(["compare", reference, libraries[0], "--n-clips", "4"])
