"""Every example script runs to completion.

The gallery scripts (``examples/plot_*.py``) need matplotlib (the ``docs`` extra).
Without it they are skipped here: the documentation build (``sphinx-build -W``)
executes every one of them and fails on any error.
"""

import ast
import importlib.util
import os
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
GALLERY = sorted(name for name in os.listdir(EXAMPLES) if name.startswith("plot_"))
# Scripts in examples/ that are tools, not gallery examples.
HELPERS = {"make_demo_audio.py"}


def test_every_example_is_a_gallery_script():
    # sphinx-gallery executes only plot_*.py (docs/conf.py); anything else would
    # silently drop out of both the gallery and this test.
    scripts = {name for name in os.listdir(EXAMPLES) if name.endswith(".py")}
    assert scripts - HELPERS == set(GALLERY)
    assert len(GALLERY) >= 7
    for name in GALLERY:
        with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
            docstring = ast.get_docstring(ast.parse(f.read()))
        # sphinx-gallery takes the title from the docstring's underlined first line
        assert docstring and re.match(r"[^\n]+\n=+\n", docstring), name


def test_gallery_configuration_runs_only_plot_scripts():
    spec = importlib.util.spec_from_file_location("docs_conf", os.path.join(ROOT, "docs",
                                                                           "conf.py"))
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("docs/conf.py needs the docs extra")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    gallery = conf.sphinx_gallery_conf
    for name in GALLERY:
        assert re.search(gallery["filename_pattern"], "/examples/" + name)
        assert not re.search(gallery["ignore_pattern"], name)
    for name in HELPERS:
        assert re.search(gallery["ignore_pattern"], name)


@pytest.mark.parametrize("script", GALLERY)
def test_gallery_example_runs(script):
    pytest.importorskip("matplotlib", reason="gallery scripts need the docs extra")
    if "dask" in script:
        pytest.importorskip("distributed", reason="the Dask example needs the docs extra")
    env = {**os.environ, "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, script)],
                            capture_output=True, text=True, timeout=600, cwd=EXAMPLES, env=env)
    assert result.returncode == 0, result.stderr[-2000:]


def test_demo_audio_generator(tmp_path):
    """The script picks its notes from a fluidr3-like folder (here: synthetic stand-ins)."""
    import csv

    import soundfile as sf

    sys.path.insert(0, EXAMPLES)
    try:
        from make_demo_audio import CLIPS, PHRASES, VELOCITY
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
    phrases = tmp_path / "phrases"
    (phrases / "audio").mkdir(parents=True)
    with open(phrases / "manifest.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "program"])
        for i, (_, program, _) in enumerate(PHRASES):
            for number in range(3):
                name = f"audio/p{program:03d}_ph{number:02d}.flac"
                sf.write(phrases / name, np.full(100, i / 10 + number / 100), 22050)
                writer.writerow([name, program])
    out = tmp_path / "demo"
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, "make_demo_audio.py"),
                             str(data), str(out), "--phrases", str(phrases)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.name for p in out.glob("*.flac")) == sorted(
        f"{s}.flac" for s, *_ in CLIPS + PHRASES)
    for i, (stem, *_) in enumerate(CLIPS):  # the velocity-112 note of each instrument
        y, _ = sf.read(out / f"{stem}.flac")
        assert np.allclose(y, i / 100 + VELOCITY / 1e4, atol=1e-4)
    for i, (stem, _, number) in enumerate(PHRASES):  # the numbered phrase of each
        y, _ = sf.read(out / f"{stem}.flac")
        assert np.allclose(y, i / 10 + number / 100, atol=1e-4)


def test_shipped_demo_clips_are_the_listed_ones():
    sys.path.insert(0, EXAMPLES)
    try:
        from make_demo_audio import CLIPS, PHRASES
    finally:
        sys.path.remove(EXAMPLES)
    shipped = sorted(os.listdir(os.path.join(EXAMPLES, "audio")))
    assert shipped == sorted([f"{s}.flac" for s, *_ in CLIPS + PHRASES] + ["ATTRIBUTION.md"])
