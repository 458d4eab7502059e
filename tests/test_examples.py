"""Every example script runs to completion."""

import os
import subprocess
import sys

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


@pytest.mark.parametrize("script", ["unseen_pitch_retrieval.py", "grid_search_features.py"])
def test_example_runs(script):
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, script)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()


def test_demo_audio_generator(tmp_path):
    """The script picks its notes from a fluidr3-like folder (here: synthetic stand-ins)."""
    import csv

    import soundfile as sf

    sys.path.insert(0, EXAMPLES)
    try:
        from make_demo_audio import CLIPS, VELOCITY
    finally:
        sys.path.remove(EXAMPLES)
    data = tmp_path / "fluidr3"
    (data / "audio").mkdir(parents=True)
    with open(data / "manifest.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "program", "midi_pitch", "velocity"])
        for i, (_, program, pitch) in enumerate(CLIPS):
            for velocity in (64, VELOCITY):
                name = f"audio/p{program:03d}_n{pitch:03d}_v{velocity:03d}.flac"
                sf.write(data / name, np.full(100, i / 100 + velocity / 1e4), 22050)
                writer.writerow([name, program, pitch, velocity])
    out = tmp_path / "demo"
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, "make_demo_audio.py"),
                             str(data), str(out)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.name for p in out.glob("*.flac")) == sorted(f"{s}.flac" for s, *_ in CLIPS)
    for i, (stem, *_) in enumerate(CLIPS):  # the velocity-112 note of each instrument
        y, _ = sf.read(out / f"{stem}.flac")
        assert np.allclose(y, i / 100 + VELOCITY / 1e4, atol=1e-4)


def test_shipped_demo_clips_are_the_listed_ones():
    sys.path.insert(0, EXAMPLES)
    try:
        from make_demo_audio import CLIPS
    finally:
        sys.path.remove(EXAMPLES)
    shipped = sorted(os.listdir(os.path.join(EXAMPLES, "audio")))
    assert shipped == sorted([f"{s}.flac" for s, *_ in CLIPS] + ["README.md"])


def test_readme_first_command_prints_what_the_readme_shows():
    root = os.path.dirname(EXAMPLES)
    with open(os.path.join(root, "README.md")) as f:
        readme = f.read()
    shown = readme.split("nearest to examples/audio/piano_C4.flac", 1)[1].split("```")[0]
    expected = [line.split() for line in shown.strip().splitlines()[2:]]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-m", "sktimbre", "similar",
                             "examples/audio/piano_C4.flac", "examples/audio"],
                            capture_output=True, text=True, cwd=root, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    got = [line.split() for line in result.stdout.strip().splitlines()[2:]]
    assert [row[2] for row in got] == [row[2] for row in expected]
    np.testing.assert_allclose([float(r[1]) for r in got], [float(r[1]) for r in expected],
                               atol=0.01)
