"""The ``sktimbre`` command, run as ``python -m sktimbre`` on tiny synthetic clips.

Where a failure has to be provoked from inside (a disk that fills up, a folder the
tests' root user could still write, Ctrl-C at a known point) the same ``main`` runs
in this process with one function patched.
"""

import csv
import errno
import glob
import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest
import soundfile as sf

import sktimbre
from sktimbre.cli import main
from sktimbre.datasets import make_notes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0  # permissions do not stop root


def run(*args, env=None, cwd=None, **kwargs):
    """``python -m sktimbre ARGS`` with this checkout first on the path."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join([ROOT] + [p for p in [env.get("PYTHONPATH")] if p])
    if "stdout" not in kwargs and "stderr" not in kwargs:
        kwargs["capture_output"] = True
    return subprocess.run([sys.executable, "-m", "sktimbre", *map(os.fspath, args)],
                          text=True, env=env, cwd=cwd, timeout=300, **kwargs)


def one_line_error(result_or_err: str) -> str:
    """The stderr of a command that must fail with exactly one line and no traceback."""
    lines = result_or_err.strip().splitlines()
    assert len(lines) == 1, result_or_err
    assert "Traceback" not in result_or_err and "usage:" not in result_or_err
    return lines[0]


@pytest.fixture(scope="module")
def notes(tmp_path_factory):
    """18 labelled clips (3 instruments, 6 pitches) and a manifest ``notes.csv``."""
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
def model(notes):
    path = notes / "model.skt"
    result = run("fit", notes / "notes.csv", "--path-column", "file", "--label-column",
                 "instrument", "--augment", "1", "--phrases", "4", "-o", path)
    assert result.returncode == 0, result.stderr
    assert ("fitting shrinkage-lda on 18 clips + 1 augmented copies of each + 12 synthesised "
            "phrases (48 rows), 3 labels") in result.stderr
    return path


def _clips(folder):
    return sorted(str(p) for p in (folder / "clips").glob("*.wav"))


def _read_csv(path):
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as f:
        rows = list(csv.reader(f))
    return rows[0], [r[0] for r in rows[1:]], np.array([[float(v) for v in r[1:]]
                                                          for r in rows[1:]])


# ----------------------------------------------------------------------------- general


def test_help_teaches_with_examples(capsys):
    result = run("--help")
    assert result.returncode == 0
    for command in ("embed", "similar", "fit", "info"):
        assert command in result.stdout
    assert "examples:" in result.stdout and "sktimbre similar" in result.stdout
    assert "exit status: 0 done; 1" in result.stdout and "130 interrupted" in result.stdout
    for command in ("embed", "similar", "fit", "info"):
        with pytest.raises(SystemExit) as exit_:
            main([command, "--help"])
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        assert "examples:" in out and "--quiet" in out and "--debug" in out, command


def test_the_console_script_and_both_module_entry_points():
    # `python -m sktimbre` is what every other test runs
    env = dict(os.environ, PYTHONPATH=ROOT)
    for command in (["sktimbre"], [sys.executable, "-m", "sktimbre.cli"]):
        if command == ["sktimbre"] and not any(
                os.access(os.path.join(d, "sktimbre"), os.X_OK)
                for d in os.environ.get("PATH", "").split(os.pathsep)):
            continue  # not installed in this environment
        result = subprocess.run(command + ["--version"], capture_output=True, text=True,
                                env=env, timeout=120)
        assert result.returncode == 0 and result.stdout.strip() == (
            f"sktimbre {sktimbre.__version__}"), command


@pytest.mark.parametrize("args, message", [
    (["embed", "x.wav", "-j", "0"], "argument -j/--jobs/--n-jobs: 0 worker processes"),
    (["similar", "q.wav", "p.wav", "-k", "0"], "argument -k/--top: must be at least 1, got 0"),
    (["similar", "q.wav", "p.wav", "--top", "-3"], "must be at least 1, got -3"),
    (["similar", "q.wav", "p.wav", "-k", "two"], "not a whole number: 'two'"),
    (["fit", "m.csv", "-o", "m.skt", "--augment", "-1"], "must be 0 or more"),
    (["fit", "m.csv", "-o", "m.skt", "--projection", "lda2"], "invalid choice: 'lda2'"),
    (["embed"], "the following arguments are required: PATH"),
])
def test_usage_errors_are_one_line_with_status_2(args, message):
    result = run(*args)
    assert result.returncode == 2
    line = one_line_error(result.stderr)
    assert message in line and "(see 'sktimbre" in line


def test_similar_refuses_a_file_of_saved_embeddings(notes, tmp_path):
    (tmp_path / "embeddings.npz").write_bytes(b"PK")
    result = run("similar", _clips(notes)[0], tmp_path / "embeddings.npz")
    assert result.returncode == 2 and result.stdout == ""  # no header before the error
    assert "embeddings.npz is saved embeddings, not audio: `sktimbre similar` reads audio" in (
        one_line_error(result.stderr))


def test_unexpected_errors_are_one_line_unless_debug(notes, capsys, monkeypatch):
    from sktimbre.cli import _embed

    def broken(*args, **kwargs):
        raise RuntimeError("something deep inside")

    monkeypatch.setattr(_embed, "embed_paths", broken)
    assert main(["embed", _clips(notes)[0], "-o", "-"]) == 1
    line = one_line_error(capsys.readouterr().err)
    assert line.startswith("sktimbre: error: RuntimeError: something deep inside")
    assert "--debug" in line
    with pytest.raises(RuntimeError, match="something deep inside"):
        main(["embed", _clips(notes)[0], "-o", "-", "--debug"])
    with pytest.raises(RuntimeError):  # also before the command name
        main(["--debug", "embed", _clips(notes)[0], "-o", "-"])


def test_quiet_and_debug_options(notes, tmp_path):
    result = run("embed", _clips(notes)[0], "-o", tmp_path / "e.csv", "--quiet")
    assert result.returncode == 0 and result.stderr == ""
    result = run("embed", _clips(notes)[0], "-o", tmp_path / "missing" / "e.csv", "--debug")
    assert result.returncode == 2 and "Traceback" in result.stderr


# ----------------------------------------------------------------------------- embed


def test_fit_saves_a_safe_model_that_embeds_like_in_python(model, notes, tmp_path):
    embedder = sktimbre.load(model)  # the safe format
    assert list(embedder[-1].classes_) == ["inst0", "inst1", "inst2"]
    out = tmp_path / "emb.csv"
    result = run("embed", notes / "clips", "--model", model, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "embedded 18 of 18 files into 2 dimensions" in result.stderr
    header, paths, E = _read_csv(out)
    assert header == ["path", "timbre_00", "timbre_01"] and paths == _clips(notes)
    np.testing.assert_allclose(E, embedder.transform(_clips(notes)), rtol=1e-7)


def test_embed_binary_outputs_keep_the_paths(notes, tmp_path, capsys):
    clips = _clips(notes)[:3]
    assert run("embed", *clips, "-o", tmp_path / "e.npz").returncode == 0
    with np.load(tmp_path / "e.npz", allow_pickle=False) as data:
        E, paths = data["embeddings"], list(data["paths"])
    assert paths == clips and E.shape == (3, 31)
    np.testing.assert_allclose(
        E, sktimbre.load_pretrained_embedder().transform(clips), rtol=1e-12, atol=1e-12)
    assert main(["embed", *clips, "-o", str(tmp_path / "e.npy")]) == 0
    assert f"-> {tmp_path / 'e.npy'} (paths in {tmp_path / 'e.paths.jsonl'})" in (
        capsys.readouterr().err)
    np.testing.assert_allclose(np.load(tmp_path / "e.npy"), E, rtol=1e-12, atol=1e-12)
    with open(tmp_path / "e.paths.jsonl") as f:
        assert [json.loads(line) for line in f] == clips


def test_extensions_in_any_case_write_the_file_named(notes, tmp_path):
    clip = _clips(notes)[0]
    for name in ("OUT.NPY", "E.NPZ", "E.Csv"):
        assert main(["embed", clip, "-o", str(tmp_path / name), "-q"]) == 0
    assert sorted(os.listdir(tmp_path)) == ["E.Csv", "E.NPZ", "OUT.NPY", "OUT.paths.jsonl"]
    assert np.load(tmp_path / "OUT.NPY").shape == (1, 31)
    with np.load(tmp_path / "E.NPZ") as data:
        assert list(data["paths"]) == [clip]


def test_a_newline_in_a_file_name_keeps_rows_and_paths_together(notes, tmp_path):
    clips = _clips(notes)[:2]
    odd = str(tmp_path / "two\nlines.wav")
    sf.write(odd, sf.read(clips[1])[0], 22050)
    names = [clips[0], odd, clips[1]]
    assert main(["embed", *names, "-o", str(tmp_path / "e.npy"), "-q"]) == 0
    with open(tmp_path / "e.paths.jsonl") as f:
        assert [json.loads(line) for line in f] == names
    E = np.load(tmp_path / "e.npy")
    np.testing.assert_allclose(E[1], E[2], rtol=1e-12)  # the same audio, in its name's row
    assert not np.allclose(E[0], E[1])
    assert main(["embed", *names, "-o", str(tmp_path / "e.csv"), "-q"]) == 0
    _, paths, E_csv = _read_csv(tmp_path / "e.csv")
    assert paths == names
    np.testing.assert_allclose(E_csv, E, rtol=1e-7)


def test_embed_parquet(notes, tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    clip = _clips(notes)[0]
    assert run("embed", clip, "-o", tmp_path / "e.parquet").returncode == 0
    frame = pd.read_parquet(tmp_path / "e.parquet")
    assert list(frame["path"]) == [clip] and frame.shape == (1, 32)


def test_parquet_without_pyarrow_is_refused_before_decoding(tmp_path, capsys, monkeypatch):
    pytest.importorskip("pandas")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow -> ImportError
    # the audio does not exist: a check after decoding would report that instead
    assert main(["embed", str(tmp_path / "none.wav"), "-o", str(tmp_path / "e.parquet")]) == 2
    line = one_line_error(capsys.readouterr().err)
    assert "needs pandas and pyarrow" in line and "sktimbre[parquet]" in line


@pytest.mark.parametrize("command", ["embed", "fit"])
def test_a_missing_output_folder_is_refused_before_decoding(notes, tmp_path, command):
    out = tmp_path / "no" / "such" / ("e.csv" if command == "embed" else "m.skt")
    if command == "embed":
        result = run("embed", *_clips(notes), "-o", out)
    else:
        result = run("fit", notes / "notes.csv", "--path-column", "file", "--label-column",
                     "instrument", "-o", out)
    assert result.returncode == 2
    assert f"cannot write {out}: there is no folder {out.parent}" in one_line_error(
        result.stderr)


def test_an_unwritable_output_folder_is_refused_before_decoding(notes, tmp_path, capsys,
                                                                monkeypatch):
    from sktimbre.cli import _extract, _output

    def denied(*args, **kwargs):  # what a read-only folder or file system does
        raise PermissionError(errno.EACCES, "Permission denied")

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded before checking the output")

    monkeypatch.setattr(_output.tempfile, "mkstemp", denied)
    monkeypatch.setattr(_extract, "transform_chunk", no_decoding)
    for args in (["embed", *_clips(notes), "-o", str(tmp_path / "e.csv")],
                 ["fit", str(notes / "notes.csv"), "--path-column", "file",
                  "--label-column", "instrument", "-o", str(tmp_path / "m.skt")]):
        assert main(args) == 2
        line = one_line_error(capsys.readouterr().err)
        assert f"cannot write {tmp_path}" in line and "Permission denied" in line
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(AS_ROOT or not hasattr(os, "geteuid"), reason="root writes anywhere")
def test_a_read_only_folder_is_refused_before_decoding(notes, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = run("embed", *_clips(notes), "-o", folder / "e.csv")
    finally:
        folder.chmod(0o755)
    assert result.returncode == 2 and "Permission denied" in one_line_error(result.stderr)


def test_a_failed_write_leaves_the_previous_file_and_no_partial_one(notes, tmp_path, capsys,
                                                                   monkeypatch):
    from sktimbre.cli import _output

    out = tmp_path / "e.csv"
    out.write_text("the previous, complete result\n")

    def disk_fills_up(f, E, paths, columns):
        f.write(b"path,dim_00\n" + b"x" * 1000)  # half a table...
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_output, "_write_csv", disk_fills_up)
    assert main(["embed", *_clips(notes)[:2], "-o", str(out)]) == 1
    line = one_line_error(capsys.readouterr().err)
    assert line == (f"sktimbre: error: could not write {out}: No space left on device; "
                    f"nothing was written")
    assert out.read_text() == "the previous, complete result\n"
    assert os.listdir(tmp_path) == ["e.csv"]  # no temporary file left


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_stdout_is_one_error_line(notes):
    with open("/dev/full", "w") as full:
        result = run("embed", _clips(notes)[0], "-q", stdout=full, stderr=subprocess.PIPE)
    assert result.returncode == 1
    assert one_line_error(result.stderr) == (
        "sktimbre: error: could not write to stdout: No space left on device")


def test_keyboard_interrupt_exits_130_and_writes_nothing(notes, tmp_path, capsys,
                                                         monkeypatch):
    from sktimbre.cli import _extract

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    out = tmp_path / "e.csv"
    out.write_text("previous\n")
    monkeypatch.setattr(_extract, "transform_chunk", interrupted)
    assert main(["embed", *_clips(notes), "-o", str(out)]) == 130
    assert one_line_error(capsys.readouterr().err) == (
        "sktimbre: interrupted; nothing was written")
    assert out.read_text() == "previous\n" and os.listdir(tmp_path) == ["e.csv"]


def test_ctrl_c_in_the_middle_of_a_run(tmp_path):
    # Many clips, so that the run is still decoding when the signal comes. The output
    # is reserved (a temporary file next to it) before any decoding starts: that is
    # the moment to interrupt.
    # 480 s of audio: seconds of work, against the 0.2 s the signal waits.
    X, _ = make_notes(n_instruments=6, pitches=range(40, 80), velocities=(1.0,),
                      duration=2.0, random_state=0)
    folder = tmp_path / "clips"
    folder.mkdir()
    for i, clip in enumerate(X):
        sf.write(folder / f"{i:03d}.wav", clip, 22050)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    process = subprocess.Popen([sys.executable, "-m", "sktimbre", "embed", str(folder), "-o",
                                str(tmp_path / "e.csv")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while not glob.glob(str(tmp_path / ".e.csv.*.part")):
        assert process.poll() is None and time.monotonic() < deadline, "never reserved"
        time.sleep(0.02)
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert one_line_error(err) == "sktimbre: interrupted; nothing was written"
    assert sorted(os.listdir(tmp_path)) == ["clips"]


def test_failed_files_are_listed_and_set_the_exit_status(notes, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"not audio at all")
    good = _clips(notes)[:2]
    out = tmp_path / "e.csv"
    result = run("embed", good[0], bad, good[1], tmp_path / "missing.flac", "-o", out)
    assert result.returncode == 1
    assert "\r" not in result.stderr  # no progress bar when stderr is not a terminal
    assert "Traceback" not in result.stderr
    assert "2 file(s) could not be embedded" in result.stderr
    assert f"{bad}: cannot decode audio" in result.stderr
    assert f"{tmp_path / 'missing.flac'}: file not found" in result.stderr
    assert _read_csv(out)[1] == good  # the good ones, in order
    assert run("embed", good[0], bad, "-o", out, "--skip-errors").returncode == 0
    result = run("embed", bad, "-o", tmp_path / "none.csv")
    assert result.returncode == 1 and not (tmp_path / "none.csv").exists()
    assert "no file could be embedded: nothing written" in result.stderr


def test_one_pass_in_chunks_with_the_front_ends_failures(notes, tmp_path, monkeypatch):
    # Each file goes through the embedder once; a bad file costs only itself (no
    # file-by-file retry of its chunk): the front end's failures_ say which failed.
    from sktimbre.cli import _extract

    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF....WAVE")
    paths = _clips(notes) + [str(bad)]
    seen = []
    original = _extract.transform_chunk

    def recording(transform, frontend, items):
        seen.extend(items)
        assert frontend.on_error == "nan"
        return original(transform, frontend, items)

    monkeypatch.setattr(_extract, "transform_chunk", recording)
    monkeypatch.setattr(_extract, "chunk_size", lambda n_workers: 5)
    assert main(["embed", *paths, "-o", str(tmp_path / "e.csv"), "-q"]) == 1
    assert seen == paths
    assert _read_csv(tmp_path / "e.csv")[1] == paths[:-1]


def test_workers_only_for_jobs_large_enough(notes, tmp_path, monkeypatch):
    from sktimbre.cli import _extract

    assert _extract.workers(2, 150) == 1 and _extract.workers(2, 200) == 2
    assert _extract.workers(1, 10_000) == 1
    # with workers, the same numbers (BLAS threads are limited inside them)
    monkeypatch.setattr(_extract, "IN_PROCESS_BELOW", 0)
    clips = _clips(notes)[:4]
    assert main(["embed", *clips, "-o", str(tmp_path / "e.npz"), "-j", "2", "-q"]) == 0
    with np.load(tmp_path / "e.npz") as data:
        np.testing.assert_allclose(data["embeddings"],
                                   sktimbre.load_pretrained_embedder().transform(clips),
                                   rtol=1e-12, atol=1e-12)


def _read_pty(leader):
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    return shown


@pytest.mark.parametrize("quiet", [False, True])
def test_progress_bar_with_rate_and_eta_on_a_terminal(notes, tmp_path, quiet):
    import pty

    leader, follower = pty.openpty()
    try:
        result = run("embed", *_clips(notes)[:2], "-o", tmp_path / "e.csv",
                     *(["--quiet"] if quiet else []), stderr=follower, stdout=subprocess.PIPE)
        os.close(follower)
        shown = _read_pty(leader)
    finally:
        os.close(leader)
    assert result.returncode == 0
    if quiet:
        assert shown == b""
    else:
        assert b"embedding [####################] 2/2 100%" in shown
        assert b"files/s" in shown and b"  in 0:0" in shown


def test_a_model_that_is_not_an_embedder_is_refused_up_front(notes, tmp_path):
    from sklearn.preprocessing import StandardScaler

    sktimbre.save(StandardScaler().fit(np.eye(3)), tmp_path / "scaler.skt")
    sktimbre.save(sktimbre.make_timbre_embedder(), tmp_path / "unfitted.skt")
    result = run("embed", *_clips(notes), "--model", tmp_path / "scaler.skt")
    assert result.returncode == 2
    assert (f"{tmp_path / 'scaler.skt'} holds a StandardScaler, not an embedder of audio: "
            f"--model needs a Pipeline whose first step is an sktimbre.AudioFrontEnd") in (
        one_line_error(result.stderr))
    result = run("similar", *_clips(notes)[:2], "--model", tmp_path / "unfitted.skt")
    assert result.returncode == 2
    assert "unfitted.skt is not fitted" in one_line_error(result.stderr)


def test_a_file_name_that_is_not_utf8_is_written_exactly(tmp_path):
    from sktimbre.cli._output import EmbeddingsOutput

    name = os.fsdecode(os.path.join(os.fsencode(str(tmp_path)), b"caf\xe9.wav"))
    E = np.arange(4.0).reshape(2, 2)
    for ext in (".csv", ".npz", ".npy"):
        with EmbeddingsOutput(str(tmp_path / f"e{ext}")) as output:
            output.write(E, [name, "plain.wav"])
    assert _read_csv(tmp_path / "e.csv")[1] == [name, "plain.wav"]
    assert os.fsencode(_read_csv(tmp_path / "e.csv")[1][0]).endswith(b"caf\xe9.wav")
    with np.load(tmp_path / "e.npz") as data:
        assert list(data["paths"]) == [name, "plain.wav"]
    with open(tmp_path / "e.paths.jsonl") as f:
        assert [json.loads(line) for line in f] == [name, "plain.wav"]


def test_a_wav_whose_name_is_not_utf8_is_embedded(tmp_path):
    folder = os.fsencode(str(tmp_path))
    y = make_notes(n_instruments=1, pitches=[60], velocities=(1.0,), random_state=0)[0][0]
    sf.write(os.path.join(folder, b"caf\xe9.wav"), y, 22050)
    sf.write(os.path.join(folder, b"plain.wav"), y, 22050)
    result = run("similar", os.path.join(tmp_path, "plain.wav"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "caf\\xe9.wav" in result.stdout  # printed safely, not as a traceback
    result = run("embed", tmp_path, "-o", tmp_path / "e.npz")
    assert result.returncode == 0, result.stderr
    with np.load(tmp_path / "e.npz") as data:
        assert os.fsencode(str(data["paths"][0])).endswith(b"caf\xe9.wav")


def test_unreadable_folders_are_reported_not_skipped(notes, capsys, monkeypatch):
    from sktimbre.cli import _inputs

    walk = os.walk

    def walk_with_a_locked_subfolder(top, onerror=None):
        onerror(PermissionError(errno.EACCES, "Permission denied", os.path.join(top, "locked")))
        yield from walk(top, onerror=onerror)

    monkeypatch.setattr(_inputs.os, "walk", walk_with_a_locked_subfolder)
    assert main(["embed", str(notes / "clips"), "-o", "-", "-q"]) == 1
    err = capsys.readouterr().err
    assert f"{notes / 'clips' / 'locked'}: cannot read folder: Permission denied" in err


# ----------------------------------------------------------------------------- similar


def test_similar_lists_the_nearest_clips(model, notes):
    clips = _clips(notes)
    query = clips[0]  # instrument 0
    result = run("similar", query, notes / "clips", "--top", "4", "--model", model)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"nearest to {query} (cosine distance")
    assert lines[1].split() == ["rank", "distance", "clip"]
    table = [line.split() for line in lines[2:]]
    assert [row[0] for row in table] == ["1", "2", "3", "4"]
    assert all(os.path.basename(row[2]).startswith("inst0_") for row in table)
    distances = [float(row[1]) for row in table]
    assert distances == sorted(distances) and query not in result.stdout.split("\n", 1)[1]


def test_a_query_that_fails_is_one_error(notes, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"not audio")
    result = run("similar", bad, notes / "clips")
    assert result.returncode == 1 and result.stdout == ""
    assert f"the query {bad} could not be embedded: cannot decode audio" in one_line_error(
        result.stderr)


def test_distances_never_print_as_negative_zero(notes, capsys, monkeypatch):
    from sklearn.base import BaseEstimator, TransformerMixin
    from sklearn.pipeline import Pipeline

    from sktimbre.cli import _similar

    # Unit vectors of this direction have a dot product a hair above 1 in float64.
    v = np.array([-2.3250307746388343, -0.21879166393254573, -1.2459109472530652,
                  -0.7322673547034516])

    class SameDirection(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            return self

        def transform(self, batch):
            return np.tile(v, (len(batch), 1))

        def __sklearn_is_fitted__(self):
            return True

    embedder = Pipeline([("frontend", sktimbre.AudioFrontEnd()), ("same", SameDirection())])
    monkeypatch.setattr(_similar, "load_embedder", lambda spec: embedder)
    assert main(["similar", *_clips(notes)[:3]]) == 0
    table = capsys.readouterr().out.splitlines()[2:]
    assert [row.split()[1] for row in table] == ["0.000", "0.000"]


# ----------------------------------------------------------------------------- info


def test_info_describes_a_model(model):
    result = run("info", model)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "families:   9, 192 descriptors" in out
    assert re.search(r"\n  harmonic_frames +FrameHarmonics +39\n", out), out
    assert "output:     2 dimensions" in out
    assert ("fitted on:  18 clips + 1 augmented copies of each + 12 phrases synthesised from "
            "them, from notes.csv, projection shrinkage-lda") in out
    assert "3 labels (column instrument): inst0 (6), inst1 (6), inst2 (6)" in out
    assert "skipped" not in out
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
    assert (f"warning: {old} was saved with numpy 1.0.0, but this is numpy {np.__version__}"
            in result.stderr)
    assert f"running:    sktimbre {sktimbre.__version__}" in result.stdout


def test_untrusted_models_are_refused(model, notes, tmp_path, capsys):
    import joblib

    joblib.dump(sktimbre.load(model), tmp_path / "m.joblib")
    clip = _clips(notes)[0]
    assert main(["embed", clip, "--model", str(tmp_path / "m.joblib")]) == 2
    assert "it is a pickle" in one_line_error(capsys.readouterr().err)
    evil = tmp_path / "evil.skt"
    with zipfile.ZipFile(model) as zin, zipfile.ZipFile(evil, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "spec.json":
                data = data.replace(b"sklearn.preprocessing.StandardScaler", b"os.system")
            zout.writestr(name, data)
    result = run("similar", clip, notes / "clips", "--model", evil)
    assert result.returncode == 2
    assert "holds an instance of 'os.system', which is not a trusted type" in one_line_error(
        result.stderr)


def test_usage_errors_found_before_any_work(tmp_path, capsys):
    assert main(["embed", str(tmp_path)]) == 2
    assert "no audio files under" in one_line_error(capsys.readouterr().err)
    assert main(["embed", "x.wav", "-o", str(tmp_path / "e.txt")]) == 2
    assert "use .csv, .npy, .npz or .parquet" in one_line_error(capsys.readouterr().err)
    assert main(["embed", "x.wav", "-o", str(tmp_path)]) == 2
    capsys.readouterr()
    assert main(["embed", "x.wav", "--model", str(tmp_path / "nope.skt")]) == 2
    assert "no model file" in one_line_error(capsys.readouterr().err)
    assert main(["info", str(tmp_path / "nope.skt")]) == 2
    assert "no model file" in one_line_error(capsys.readouterr().err)


# ----------------------------------------------------------------------------- fit


def _write_manifest(path, rows, header=("file", "instrument")):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def _fit_args(manifest, out, *extra):
    return ["fit", str(manifest), "--path-column", "file", "--label-column", "instrument",
            "-o", str(out), *extra]


def _bad_manifest(notes, tmp_path):
    """The 18 good clips with four bad rows among them, each bad in another way."""
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt garbage")
    rows = [[path, f"inst{os.path.basename(path)[4]}"] for path in _clips(notes)]
    rows.insert(3, [str(tmp_path / "missing.wav"), "inst0"])  # line 5
    rows.insert(7, [str(broken), "inst1"])  # line 9
    rows.insert(10, ["", "inst2"])  # line 12
    rows.insert(12, [_clips(notes)[5], ""])  # line 14
    return _write_manifest(tmp_path / "manifest.csv", rows), broken


def test_fit_lists_every_bad_row_at_once_and_saves_nothing(notes, tmp_path):
    manifest, broken = _bad_manifest(notes, tmp_path)
    result = run(*_fit_args(manifest, tmp_path / "m.skt"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[2].startswith(f"  line 9: {broken}: cannot decode audio: ")  # the decoder's
    lines[2] = "(the decoder's words)"
    assert lines == [
        f"sktimbre: 4 of 22 clips in {manifest} cannot be used:",
        f"  line 5: {tmp_path / 'missing.wav'}: file not found",
        "(the decoder's words)",
        "  line 12: (no path): no path in column 'file'",
        f"  line 14: {_clips(notes)[5]}: no label in column 'instrument'",
        "sktimbre: error: no model saved: fix or remove these rows, or add --skip-errors to "
        "fit on the other 18",
    ]
    assert os.listdir(tmp_path) == ["broken.wav", "manifest.csv"]


def test_fit_skip_errors_records_the_skipped_rows_and_shows_progress(notes, tmp_path):
    import pty

    manifest, broken = _bad_manifest(notes, tmp_path)
    out = tmp_path / "m.skt"
    leader, follower = pty.openpty()
    try:
        result = run(*_fit_args(manifest, out, "--skip-errors", "--augment", "1",
                                "--phrases", "2"),
                     stderr=follower, stdout=subprocess.PIPE)
        os.close(follower)
        shown = _read_pty(leader).decode()
    finally:
        os.close(leader)
    assert result.returncode == 0, shown
    # the 20 rows with a path and a label are analysed
    assert "analysing [####################] 20/20 100%" in shown and "clips/s" in shown
    assert f"skipping 4 clip(s) of {manifest}:" in shown
    assert "phrases [####################] 3/3 100%" in shown
    assert ("fitting shrinkage-lda on 18 clips + 1 augmented copies of each + 6 synthesised "
            "phrases (42 rows)") in shown
    skipped = sktimbre.persistence.read_info(out)["metadata"]["skipped"]
    assert [(s["line"], s["reason"].split(":")[0]) for s in skipped] == [
        (5, "file not found"), (9, "cannot decode audio"), (12, "no path in column 'file'"),
        (14, "no label in column 'instrument'")]
    assert skipped[0]["path"] == str(tmp_path / "missing.wav")
    info = run("info", out).stdout
    assert "skipped:    4 clip(s) of the manifest could not be used:" in info
    assert f"  line 9: {broken}: cannot decode audio" in info


@pytest.mark.parametrize("content, args, message", [
    (b"RIFF\x00\x00\x00\x00WAVEfmt ", (), "is not a CSV file: it holds binary data"),
    ("file,instrument\ncaf\xe9.wav,inst0\n".encode("latin-1"), (),
     "is not UTF-8 text (byte 0xe9 on line 2): save it as UTF-8"),
    (b"file,instrument\nx.wav,a\n", ("--label-column", "program"),
     "has no column 'program'; its columns are 'file', 'instrument': choose them with "
     "--path-column and --label-column"),
    (b"file;instrument\nx.wav;a\n", (), "is it separated by something else than commas?"),
    (b"", (), "is empty: a manifest is a CSV file with a header row"),
    (b"\n\n", (), "is empty"),
    (b"file,instrument\n", (), "lists no clips: it has a header row and nothing else"),
])
def test_fit_says_what_is_wrong_with_the_manifest(tmp_path, capsys, content, args, message):
    manifest = tmp_path / "manifest.csv"
    manifest.write_bytes(content)
    args = ["fit", str(manifest), "--path-column", "file", "--label-column", "instrument",
            *args, "-o", str(tmp_path / "m.skt")]
    assert main(args) == 2
    assert message in one_line_error(capsys.readouterr().err)
    assert os.listdir(tmp_path) == ["manifest.csv"]


def test_fit_checks_the_labels_before_decoding(notes, tmp_path, capsys):
    clips = _clips(notes)
    one = _write_manifest(tmp_path / "one.csv", [[c, "violin"] for c in clips[:3]])
    assert main(_fit_args(one, tmp_path / "m.skt")) == 2
    assert ("one.csv has 1 distinct label(s) in column 'instrument': shrinkage-lda needs at "
            "least 2") in one_line_error(capsys.readouterr().err)
    few = _write_manifest(tmp_path / "few.csv", [[clips[0], "a"], [clips[7], "b"]])
    assert main(_fit_args(few, tmp_path / "m.skt", "--augment", "0")) == 2
    assert ("few.csv has 2 clips for 2 labels: shrinkage-lda needs more rows than labels "
            "(2 with --augment 0)") in one_line_error(capsys.readouterr().err)
    assert main(_fit_args(one, tmp_path / "m.skt", "--projection", "pca", "--augment", "0",
                          "-q")) == 0  # PCA learns nothing from labels
    # after skipping, one label left: said after the work, exit status 1
    rows = [[c, "a"] for c in clips[:3]] + [[str(tmp_path / "gone.wav"), "b"]]
    left = _write_manifest(tmp_path / "left.csv", rows)
    assert main(_fit_args(left, tmp_path / "m2.skt", "--skip-errors", "-q")) == 1
    err = capsys.readouterr().err
    assert "the usable clips have 1 distinct label(s) in column 'instrument'" in err
    assert not (tmp_path / "m2.skt").exists()


def test_fit_projection_option(notes, tmp_path):
    out = tmp_path / "m.skt"
    assert main(_fit_args(notes / "notes.csv", out, "--projection", "pitch-null-lda",
                          "--augment", "0", "-q")) == 0
    embedder = sktimbre.load(out)
    assert "pitch" in dict(embedder.named_steps["features"].transformer_list)
    assert sktimbre.persistence.read_info(out)["metadata"]["projection"] == "pitch-null-lda"
    assert embedder.named_steps["frontend"].on_error == "raise"  # the library's default
    assert embedder.transform(_clips(notes)).shape == (18, 2)


def test_fit_decodes_each_file_once_whatever_the_chunks(notes, tmp_path, monkeypatch):
    from sktimbre import io
    from sktimbre.cli import _fit

    decoded = []
    load_clip = io.load_clip

    def counting(item, **kwargs):
        decoded.append(item)
        return load_clip(item, **kwargs)

    monkeypatch.setattr(io, "load_clip", counting)
    manifest = notes / "notes.csv"
    assert main(_fit_args(manifest, tmp_path / "a.skt", "--phrases", "0", "-q")) == 0
    assert sorted(d for d in decoded if isinstance(d, str)) == _clips(notes)  # once each
    decoded.clear()  # the synthesised phrases read each label's clips again, once
    assert main(_fit_args(manifest, tmp_path / "p.skt", "--phrases", "2", "-q")) == 0
    assert sorted(d for d in decoded if isinstance(d, str)) == sorted(_clips(notes) * 2)
    monkeypatch.setattr(_fit, "chunk_size", lambda n_workers: 5)  # other chunks, same model
    assert main(_fit_args(manifest, tmp_path / "b.skt", "--phrases", "0", "-q")) == 0
    assert (tmp_path / "a.skt").read_bytes() == (tmp_path / "b.skt").read_bytes()

    items = []
    transform_chunk = _fit.transform_chunk

    def recording(transform, frontend, chunk):
        items.extend(chunk)
        return transform_chunk(transform, frontend, chunk)

    monkeypatch.setattr(_fit, "transform_chunk", recording)
    assert main(_fit_args(manifest, tmp_path / "c.skt", "--augment", "0", "--phrases", "0",
                          "-q")) == 0
    assert sorted(items) == _clips(notes)  # no augmenting: the front end decodes, once each
