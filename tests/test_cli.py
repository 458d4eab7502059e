"""The ``sktimbre`` command, run as a subprocess on tiny synthetic clips."""

import csv
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import soundfile as sf

import sktimbre
from sktimbre.cli import main
from sktimbre.datasets import make_notes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args, env=None, **kwargs):
    """``python -m sktimbre.cli ARGS`` with this checkout first on the path."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join([ROOT] + [p for p in [env.get("PYTHONPATH")] if p])
    if "stdout" not in kwargs and "stderr" not in kwargs:
        kwargs["capture_output"] = True
    return subprocess.run([sys.executable, "-m", "sktimbre.cli", *map(str, args)],
                          text=True, env=env, timeout=300, **kwargs)


@pytest.fixture(scope="module")
def labelled_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notes")
    X, y, pitch = make_notes(n_instruments=3, pitches=range(48, 72, 4), velocities=(1.0,),
                             duration=0.5, random_state=0, return_pitch=True)
    os.mkdir(folder / "clips")
    rows = []
    for clip, label, p in zip(X, y, pitch, strict=True):
        name = f"clips/inst{label}_p{p}.wav"
        sf.write(folder / name, clip, 22050)
        rows.append({"file": name, "instrument": f"inst{label}"})
    with open(folder / "notes.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["file", "instrument"])
        writer.writeheader()
        writer.writerows(rows)
    return folder


@pytest.fixture(scope="module")
def model(labelled_folder):
    path = labelled_folder / "model.skt"
    result = run("fit", labelled_folder / "notes.csv", "--path-column", "file",
                 "--label-column", "instrument", "--augment", "1", "-o", path)
    assert result.returncode == 0, result.stderr
    assert "fitting on 18 clips (36 with augmented copies), 3 labels" in result.stderr
    return path


def _clips(folder):
    return sorted(str(p) for p in (folder / "clips").glob("*.wav"))


def test_help_teaches_with_examples(capsys):
    result = run("--help")
    assert result.returncode == 0
    for command in ("embed", "similar", "fit", "info"):
        assert command in result.stdout
    assert "examples:" in result.stdout and "sktimbre similar" in result.stdout
    for command in ("embed", "similar", "fit", "info"):
        with pytest.raises(SystemExit) as exit_:
            main([command, "--help"])
        assert exit_.value.code == 0
        assert "examples:" in capsys.readouterr().out, command


def test_fit_saves_a_safe_model_that_embeds_like_in_python(model, labelled_folder, tmp_path):
    embedder = sktimbre.load(model)  # the safe format
    assert list(embedder[-1].classes_) == ["inst0", "inst1", "inst2"]
    out = tmp_path / "emb.csv"
    result = run("embed", labelled_folder / "clips", "--model", model, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "embedded 18 of 18 files into 2 dimensions" in result.stderr
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["path", "dim_00", "dim_01"]
    assert [r[0] for r in rows[1:]] == _clips(labelled_folder)
    E = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
    np.testing.assert_allclose(E, embedder.transform(_clips(labelled_folder)), rtol=1e-7)


def test_embed_binary_outputs_keep_the_paths(labelled_folder, tmp_path, capsys):
    clips = _clips(labelled_folder)[:3]
    assert run("embed", *clips, "-o", tmp_path / "e.npz", "-j", "2").returncode == 0
    with np.load(tmp_path / "e.npz", allow_pickle=False) as data:
        E, paths = data["embeddings"], list(data["paths"])
    assert paths == clips and E.shape == (3, 31)
    # worker processes (-j 2) limit BLAS threads: equal up to the last bits
    np.testing.assert_allclose(E, sktimbre.load_pretrained_embedder().transform(clips),
                               rtol=1e-12, atol=1e-12)
    assert main(["embed", *clips, "-o", str(tmp_path / "e.npy")]) == 0
    assert "e.paths.txt" in capsys.readouterr().err
    np.testing.assert_allclose(np.load(tmp_path / "e.npy"), E, rtol=1e-12, atol=1e-12)
    assert (tmp_path / "e.paths.txt").read_text().splitlines() == clips


def test_embed_parquet(labelled_folder, tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    clip = _clips(labelled_folder)[0]
    assert run("embed", clip, "-o", tmp_path / "e.parquet").returncode == 0
    frame = pd.read_parquet(tmp_path / "e.parquet")
    assert list(frame["path"]) == [clip] and frame.shape == (1, 32)


def test_parquet_without_pyarrow_says_what_to_install(labelled_folder, tmp_path, capsys,
                                                      monkeypatch):
    pytest.importorskip("pandas")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow -> ImportError
    assert main(["embed", _clips(labelled_folder)[0], "-o", str(tmp_path / "e.parquet")]) == 2
    err = capsys.readouterr().err
    assert "needs pandas and pyarrow" in err and "sktimbre[parquet]" in err


def test_failed_files_are_listed_and_set_the_exit_status(labelled_folder, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"not audio at all")
    good = _clips(labelled_folder)[:2]
    out = tmp_path / "e.csv"
    result = run("embed", good[0], bad, good[1], tmp_path / "missing.flac", "-o", out)
    assert result.returncode == 1
    assert "\r" not in result.stderr  # no progress bar when stderr is not a terminal
    assert "2 file(s) could not be embedded" in result.stderr
    assert f"{bad}: cannot decode audio" in result.stderr
    assert f"{tmp_path / 'missing.flac'}: file not found" in result.stderr
    with open(out, newline="") as f:
        assert [r[0] for r in list(csv.reader(f))[1:]] == good  # the good ones, in order
    assert run("embed", good[0], bad, "-o", out, "--skip-errors").returncode == 0


def test_progress_bar_on_a_terminal(labelled_folder, tmp_path):
    clips = _clips(labelled_folder)[:2]
    import pty

    leader, follower = pty.openpty()
    try:
        result = run("embed", *clips, "-o", tmp_path / "e.csv", stderr=follower,
                     stdout=subprocess.PIPE)
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    assert result.returncode == 0
    assert b"embedding [####################] 2/2" in shown


def test_similar_lists_the_nearest_clips(model, labelled_folder):
    clips = _clips(labelled_folder)
    query = clips[0]  # instrument 0
    result = run("similar", query, labelled_folder / "clips", "--top", "4", "--model", model)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"nearest to {query} (cosine distance")
    assert lines[1].split() == ["rank", "distance", "clip"]
    table = [line.split() for line in lines[2:]]
    assert [row[0] for row in table] == ["1", "2", "3", "4"]
    assert all(os.path.basename(row[2]).startswith("inst0_") for row in table)
    distances = [float(row[1]) for row in table]
    assert distances == sorted(distances) and query not in result.stdout.split("\n", 1)[1]


def test_info_describes_a_model(model):
    result = run("info", model)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "families:   5, 118 descriptors" in out
    assert "harmonic    HarmonicDescriptors" in out
    assert "output:     2 dimensions" in out
    assert "fitted on:  18 clips + 1 augmented copies of each, from notes.csv" in out
    assert "3 labels (column instrument): inst0 (6), inst1 (6), inst2 (6)" in out
    assert f"saved with: sktimbre {sktimbre.__version__}, scikit-learn" in out
    assert "running:" not in out
    default = run("info", "default")
    assert default.returncode == 0 and "output:     31 dimensions" in default.stdout
    assert "from fluidr3, freepats" in default.stdout


def test_info_warns_about_other_versions(model, tmp_path):
    old = tmp_path / "old.skt"
    with zipfile.ZipFile(model) as zin, zipfile.ZipFile(old, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "spec.json":
                spec = json.loads(data)
                spec["versions"]["numpy"] = "1.0.0"
                data = json.dumps(spec).encode()
            zout.writestr(name, data)
    result = run("info", old)
    assert result.returncode == 0
    assert f"warning: {old} was saved with numpy 1.0.0, but this is numpy {np.__version__}" \
        in result.stderr
    assert f"running:    sktimbre {sktimbre.__version__}" in result.stdout


def test_untrusted_models_are_refused(model, labelled_folder, tmp_path, capsys):
    import joblib

    joblib.dump(sktimbre.load(model), tmp_path / "m.joblib")
    clip = _clips(labelled_folder)[0]
    assert main(["embed", clip, "--model", str(tmp_path / "m.joblib")]) == 2
    assert "it is a pickle" in capsys.readouterr().err
    evil = tmp_path / "evil.skt"
    with zipfile.ZipFile(model) as zin, zipfile.ZipFile(evil, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "spec.json":
                data = data.replace(b"sklearn.preprocessing.StandardScaler", b"os.system")
            zout.writestr(name, data)
    result = run("similar", clip, labelled_folder / "clips", "--model", evil)
    assert result.returncode == 2
    assert "holds an instance of 'os.system', which is not a trusted type" in result.stderr


def test_usage_errors(tmp_path, capsys):
    assert main(["embed", str(tmp_path)]) == 2
    assert "no audio files under" in capsys.readouterr().err
    assert main(["embed", "x.wav", "-o", str(tmp_path / "e.txt")]) == 2
    assert "use .csv, .npy, .npz or .parquet" in capsys.readouterr().err
    assert main(["embed", "x.wav", "--model", str(tmp_path / "nope.skt")]) == 2
    assert "no model file" in capsys.readouterr().err
    (tmp_path / "one.csv").write_text("path,program\na.wav,1\nb.wav,1\n")
    assert main(["fit", str(tmp_path / "one.csv"), "-o", str(tmp_path / "m.skt")]) == 2
    assert "fitting needs at least 2" in capsys.readouterr().err
    assert main(["fit", str(tmp_path / "one.csv"), "--path-column", "file", "-o", "m"]) == 2
    assert "needs columns 'file' and 'program'" in capsys.readouterr().err
