"""Saving and loading: the safe format, its refusals, pickles, and version warnings."""

import json
import os
import pickle
import subprocess
import sys
import zipfile

import joblib
import numpy as np
import pytest
from sklearn.exceptions import InconsistentVersionWarning

import sktimbre
from sktimbre import make_timbre_embedder
from sktimbre._versions import VersionWarning, current_versions
from sktimbre.datasets import make_notes
from sktimbre.persistence import (
    TRUSTED_TYPES,
    InvalidModelFileError,
    UntrustedTypeError,
    read_info,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def notes():
    return make_notes(n_instruments=3, pitches=[48, 55, 60, 67], duration=0.5, random_state=0)


@pytest.fixture(scope="module")
def fitted(notes):
    X, y = notes
    return make_timbre_embedder(projection="pitch-null-lda").fit(X, y)


def _rewrite(src, dst, edit_spec=None, extra=None, replace=None):
    """Copy a saved file, editing its JSON spec and/or adding or replacing members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "spec.json" and edit_spec is not None:
                spec = json.loads(data)
                edit_spec(spec)
                data = json.dumps(spec).encode()
            if replace and name in replace:
                data = replace[name]
            zout.writestr(name, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)


def _objects(node):
    """Every estimator node of a spec tree."""
    if isinstance(node, list):
        for v in node:
            yield from _objects(v)
    elif isinstance(node, dict):
        if node.get("__kind__") == "object":
            yield node
        for v in node.values():
            yield from _objects(v)


@pytest.mark.parametrize("projection", ["shrinkage-lda", "pca", "nca", "pitch-null-lda", None])
def test_round_trip_is_exact(notes, tmp_path, projection):
    X, y = notes
    embedder = make_timbre_embedder(projection=projection).fit(X, y)
    path = tmp_path / "e.skt"
    sktimbre.save(embedder, path)
    again = sktimbre.load(path)
    np.testing.assert_array_equal(again.transform(X), embedder.transform(X))
    assert again.get_params(deep=False).keys() == embedder.get_params(deep=False).keys()


def test_round_trip_keeps_text_labels_and_output_config(notes, tmp_path):
    X, y = notes
    embedder = make_timbre_embedder().set_output(transform="pandas")
    embedder.fit(X, np.array(["oboe", "horn", "harp"])[y])
    sktimbre.save(embedder, tmp_path / "e.skt")
    again = sktimbre.load(tmp_path / "e.skt")
    assert list(again[-1].classes_) == ["harp", "horn", "oboe"]
    assert list(again.transform(X).columns) == list(embedder.transform(X).columns)


def test_saving_is_deterministic(fitted, tmp_path):
    sktimbre.save(fitted, tmp_path / "a.skt")
    sktimbre.save(fitted, tmp_path / "b.skt")
    assert (tmp_path / "a.skt").read_bytes() == (tmp_path / "b.skt").read_bytes()


def test_the_file_is_data_only(fitted, tmp_path):
    sktimbre.save(fitted, tmp_path / "e.skt", metadata={"n_clips": 24})
    with zipfile.ZipFile(tmp_path / "e.skt") as archive:
        names = archive.namelist()
        spec = json.loads(archive.read("spec.json"))
    assert names[0] == "spec.json" and all(n.startswith("arrays/") for n in names[1:])
    assert {o["class"] for o in _objects(spec["root"])} <= set(TRUSTED_TYPES)
    assert spec["versions"] == current_versions()
    info = read_info(tmp_path / "e.skt")
    assert info["metadata"] == {"n_clips": 24}
    assert "sktimbre.FrameHarmonics" in info["classes"]


@pytest.mark.parametrize(
    "name",
    ["os.system", "subprocess.Popen", "builtins.eval", "sktimbre.cli.main", "sklearn.svm.SVC"],
)
def test_a_class_outside_the_trusted_list_is_refused(fitted, tmp_path, name):
    sktimbre.save(fitted, tmp_path / "e.skt")

    def tamper(spec):
        next(o for o in _objects(spec["root"]) if "StandardScaler" in o["class"])["class"] = name

    _rewrite(tmp_path / "e.skt", tmp_path / "bad.skt", edit_spec=tamper)
    with pytest.raises(UntrustedTypeError, match=f"instance of '{name}', which is not a trusted"):
        sktimbre.load(tmp_path / "bad.skt")


def test_an_object_array_is_refused(fitted, tmp_path):
    sktimbre.save(fitted, tmp_path / "e.skt")
    payload = np.array([os.system, "echo"], dtype=object)
    import io

    buffer = io.BytesIO()
    np.save(buffer, payload, allow_pickle=True)
    _rewrite(tmp_path / "e.skt", tmp_path / "bad.skt", replace={"arrays/0.npy": buffer.getvalue()})
    with pytest.raises(
        UntrustedTypeError, match="arrays/0.npy of dtype object, which cannot be read without "
        "pickle"
    ):
        sktimbre.load(tmp_path / "bad.skt")


def test_other_tampering_is_refused(fitted, tmp_path):
    sktimbre.save(fitted, tmp_path / "e.skt")
    _rewrite(tmp_path / "e.skt", tmp_path / "extra.skt", extra={"payload.pkl": b"\x80\x04."})
    with pytest.raises(InvalidModelFileError, match=r"unexpected members \['payload.pkl'\]"):
        sktimbre.load(tmp_path / "extra.skt")

    def unknown_kind(spec):
        spec["root"]["state"]["memory"] = {"__kind__": "callable", "name": "os.system"}

    _rewrite(tmp_path / "e.skt", tmp_path / "kind.skt", edit_spec=unknown_kind)
    with pytest.raises(InvalidModelFileError, match="unknown kind 'callable'"):
        sktimbre.load(tmp_path / "kind.skt")

    def object_dtype(spec):
        spec["root"]["state"]["memory"] = {"__kind__": "dtype", "name": "O"}

    _rewrite(tmp_path / "e.skt", tmp_path / "dtype.skt", edit_spec=object_dtype)
    with pytest.raises(InvalidModelFileError, match="holds a dtype object"):
        sktimbre.load(tmp_path / "dtype.skt")

    def malformed(spec):
        spec["root"]["state"]["memory"] = {"__kind__": "dict", "items": [[1, 2, 3]]}

    _rewrite(tmp_path / "e.skt", tmp_path / "bad.skt", edit_spec=malformed)
    with pytest.raises(InvalidModelFileError, match="not key-value pairs"):
        sktimbre.load(tmp_path / "bad.skt")


def test_a_pickle_is_refused_with_a_hint(fitted, tmp_path):
    joblib.dump(fitted, tmp_path / "e.joblib")
    with pytest.raises(UntrustedTypeError, match="it is a pickle"):
        sktimbre.load(tmp_path / "e.joblib")
    (tmp_path / "t.txt").write_text("hello")
    with pytest.raises(InvalidModelFileError, match="not a zip archive"):
        sktimbre.load(tmp_path / "t.txt")


def test_saving_something_that_is_not_data_fails_clearly(tmp_path):
    from sklearn.preprocessing import FunctionTransformer

    with pytest.raises(UntrustedTypeError, match=r"func: builtins.function is not a trusted"):
        sktimbre.save(FunctionTransformer(func=lambda x: x), tmp_path / "f.skt")
    from sklearn.svm import SVC

    with pytest.raises(UntrustedTypeError, match="sklearn.svm._classes.SVC is not a trusted"):
        sktimbre.save(SVC(), tmp_path / "svc.skt")


class Doubler(sktimbre.AudioFrontEnd):
    """A user's own class, allowed explicitly."""


def test_user_types_can_be_trusted_explicitly(tmp_path):
    name = f"{Doubler.__module__}.Doubler"
    with pytest.raises(UntrustedTypeError):
        sktimbre.save(Doubler(), tmp_path / "d.skt")
    sktimbre.save(Doubler(trim_db=20.0), tmp_path / "d.skt", trusted=[Doubler])
    with pytest.raises(UntrustedTypeError, match="not a trusted type"):
        sktimbre.load(tmp_path / "d.skt")
    for trusted in ([Doubler], [name]):
        assert sktimbre.load(tmp_path / "d.skt", trusted=trusted).trim_db == 20.0


def test_other_versions_warn_naming_both(fitted, tmp_path):
    sktimbre.save(fitted, tmp_path / "e.skt")

    def older(spec):
        spec["versions"].update({"scikit-learn": "1.0.0", "librosa": "0.9.9"})
        for node in _objects(spec["root"]):
            if "_sklearn_version" in node["state"]:
                node["state"]["_sklearn_version"] = "1.0.0"

    _rewrite(tmp_path / "e.skt", tmp_path / "old.skt", edit_spec=older)
    with pytest.warns(VersionWarning) as record:
        sktimbre.load(tmp_path / "old.skt")
    # one warning, naming both sets of versions (sklearn's own ones are folded into it)
    assert len(record) == 1
    message = str(record[0].message)
    import librosa
    import sklearn

    assert "scikit-learn 1.0.0, librosa 0.9.9" in message
    assert f"scikit-learn {sklearn.__version__}, librosa {librosa.__version__}" in message
    assert "numpy" not in message
    with pytest.warns(VersionWarning):  # not a one-off
        sktimbre.load(tmp_path / "old.skt")


def test_unpickling_under_other_versions_warns_naming_both(fitted):
    state = fitted[0].__getstate__()
    assert state["_sktimbre_versions"] == current_versions()
    state["_sktimbre_versions"] = dict(state["_sktimbre_versions"], sktimbre="0.0.1")
    frontend = sktimbre.AudioFrontEnd.__new__(sktimbre.AudioFrontEnd)
    with pytest.warns(
        VersionWarning,
        match=rf"saved with sktimbre 0.0.1, but this is "
        rf"sktimbre {sktimbre.__version__}",
    ):
        frontend.__setstate__(state)
    assert "_sktimbre_versions" not in vars(frontend)
    # and through pickle, with sklearn's own warning for its estimators alongside
    blob = pickle.dumps(fitted).replace(sktimbre.__version__.encode(), b"0.0.1", 1)
    with pytest.warns(VersionWarning, match="sktimbre 0.0.1"):
        pickle.loads(blob)
    scaler = pickle.dumps(fitted[2]).replace(b"_sklearn_version", b"_sklearn_versiom")
    with pytest.warns(InconsistentVersionWarning):
        pickle.loads(scaler)


_EMBED_SCRIPT = """
import sys, joblib, numpy as np
from sktimbre.datasets import make_notes
X, _ = make_notes(n_instruments=3, pitches=[48, 55, 60, 67], duration=0.5, random_state=0)
model = joblib.load(sys.argv[1]) if sys.argv[2] == "joblib" else __import__("sktimbre").load(
    sys.argv[1])
np.save(sys.argv[3], model.transform(X))
"""


@pytest.mark.parametrize("how", ["joblib", "safe"])
def test_a_fresh_process_gives_bit_identical_embeddings(fitted, notes, tmp_path, how):
    X, _ = notes
    path = tmp_path / f"model.{how}"
    if how == "joblib":
        joblib.dump(fitted, path)
    else:
        sktimbre.save(fitted, path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::UserWarning",
            "-c",
            _EMBED_SCRIPT,
            str(path),
            how,
            str(tmp_path / "E.npy"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    np.testing.assert_array_equal(np.load(tmp_path / "E.npy"), fitted.transform(X))


# ----------------------------------------------------------------------------- the registry

# How sktimbre 0.1 (format version 1) named each class it wrote.
_NAMES_IN_0_1 = {
    "sktimbre.AudioFrontEnd": "sktimbre.frontend.AudioFrontEnd",
    "sktimbre.MFCC": "sktimbre.families.MFCC",
    "sktimbre.SpectralContrast": "sktimbre.families.SpectralContrast",
    "sktimbre.HarmonicDescriptors": "sktimbre.families.HarmonicDescriptors",
    "sktimbre.TemporalEnvelope": "sktimbre.families.TemporalEnvelope",
    "sktimbre.SpectralShape": "sktimbre.families.SpectralShape",
    "sktimbre.PitchEstimate": "sktimbre.families.PitchEstimate",
    "sktimbre.projection.FrozenLinearProjection": "sktimbre.pretrained._FrozenLinearProjection",
}


@pytest.fixture
def registry(monkeypatch):
    """Registrations made by a test are undone after it."""
    from sktimbre import persistence

    persistence._ensure_builtins()
    for table in ("_REGISTRY", "_NAMES", "_ALIASES"):
        monkeypatch.setattr(persistence, table, dict(getattr(persistence, table)))
    return persistence


def test_files_name_classes_by_their_public_names(fitted, tmp_path):
    sktimbre.save(fitted, tmp_path / "e.skt")
    with zipfile.ZipFile(tmp_path / "e.skt") as archive:
        spec = json.loads(archive.read("spec.json"))
    names = {o["class"] for o in _objects(spec["root"])}
    assert "sktimbre.AudioFrontEnd" in names and "sktimbre.MFCC" in names
    assert "sktimbre.embedder.FamilyUnion" in names
    assert "sktimbre.projection.PitchNullProjection" in names
    assert not any(part.startswith("_") for n in names for part in n.split("."))
    assert spec["format_version"] == 2
    assert not any("._" in name for name in TRUSTED_TYPES)


def test_files_written_by_0_1_keep_loading(fitted, notes, tmp_path):
    X, _ = notes
    sktimbre.save(fitted, tmp_path / "e.skt")

    def as_in_0_1(spec):
        spec["format_version"] = 1
        for node in _objects(spec["root"]):
            node["class"] = _NAMES_IN_0_1.get(node["class"], node["class"])

    _rewrite(tmp_path / "e.skt", tmp_path / "old.skt", edit_spec=as_in_0_1)
    with zipfile.ZipFile(tmp_path / "old.skt") as archive:
        assert b'"sktimbre.frontend.AudioFrontEnd"' in archive.read("spec.json")
    np.testing.assert_array_equal(sktimbre.load(tmp_path / "old.skt").transform(X),
                                  fitted.transform(X))
    # read_info reports them by their public names
    info = read_info(tmp_path / "old.skt")
    assert info["format_version"] == 1
    assert "sktimbre.AudioFrontEnd" in info["classes"]
    assert not any(name.startswith("sktimbre.families.") for name in info["classes"])


def test_the_shipped_pretrained_file_written_with_0_1_names_loads():
    from sktimbre.pretrained import _PATH

    with zipfile.ZipFile(_PATH) as archive:
        text = archive.read("spec.json").decode()
    if "sktimbre.pretrained._FrozenLinearProjection" not in text:
        pytest.skip("the shipped file has been regenerated with public names")
    embedder = sktimbre.load(_PATH, check_versions=False)
    assert type(embedder[-1]).__name__.endswith("FrozenLinearProjection")


def test_register_trusted_type_lets_a_class_round_trip_without_trusted(registry, tmp_path):
    @registry.register_trusted_type(name="mypackage.Doubled", aliases=["mypackage.old.Doubled"])
    class Doubled(sktimbre.AudioFrontEnd):
        pass

    assert "mypackage.Doubled" in TRUSTED_TYPES
    assert "mypackage.old.Doubled" not in TRUSTED_TYPES  # aliases are read, never written
    sktimbre.save(Doubled(trim_db=20.0), tmp_path / "d.skt")
    assert read_info(tmp_path / "d.skt")["classes"] == ["mypackage.Doubled"]
    again = sktimbre.load(tmp_path / "d.skt")
    assert type(again) is Doubled and again.trim_db == 20.0

    def old_name(spec):
        spec["root"]["class"] = "mypackage.old.Doubled"

    _rewrite(tmp_path / "d.skt", tmp_path / "old.skt", edit_spec=old_name)
    assert type(sktimbre.load(tmp_path / "old.skt")) is Doubled
    # registering again under the same name is harmless; anything else is refused
    assert registry.register_trusted_type(Doubled, name="mypackage.Doubled") is Doubled
    with pytest.raises(ValueError, match="already registered as 'mypackage.Doubled'"):
        registry.register_trusted_type(Doubled, name="mypackage.Other")
    with pytest.raises(ValueError, match="'sktimbre.AudioFrontEnd' already stands for"):
        registry.register_trusted_type(Doubler, name="sktimbre.AudioFrontEnd")
    with pytest.raises(ValueError, match="must be a dotted name"):
        registry.register_trusted_type(Doubler, name="os system")
    with pytest.raises(TypeError, match="needs a class"):
        registry.register_trusted_type(Doubled(), name="x.Y")


def test_trusted_types_is_a_read_only_view_of_the_registry(registry):
    assert isinstance(TRUSTED_TYPES[0], str) and len(TRUSTED_TYPES) == len(list(TRUSTED_TYPES))
    assert "sklearn.preprocessing.StandardScaler" in TRUSTED_TYPES
    assert "sktimbre.projection.FrozenLinearProjection" in TRUSTED_TYPES
    assert repr(TRUSTED_TYPES).startswith("('")
    with pytest.raises(TypeError):
        TRUSTED_TYPES[0] = "os.system"
    assert "mypackage.Doubler" not in TRUSTED_TYPES
    registry.register_trusted_type(Doubler, name="mypackage.Doubler")
    assert "mypackage.Doubler" in TRUSTED_TYPES  # a live view, not a copy


def test_a_thread_never_sees_half_a_registry(monkeypatch):
    import threading
    import time

    from sktimbre import persistence

    # sktimbre's classes registered themselves at import; scikit-learn's are listed
    # by _register_builtin_types: take those out and let it run again, slowly
    for table in ("_REGISTRY", "_ALIASES", "_ON_DEMAND"):
        kept = {k: v for k, v in getattr(persistence, table).items()
                if not k.startswith("sklearn.")}
        monkeypatch.setattr(persistence, table, kept)
    monkeypatch.setattr(persistence, "_NAMES", {k: v for k, v in persistence._NAMES.items()
                                                if not v.startswith("sklearn.")})
    monkeypatch.setattr(persistence, "_BUILTINS_REGISTERED", False)
    real = persistence._register_builtin_types
    started = threading.Event()

    def slow_registration():
        started.set()
        time.sleep(0.5)  # another thread asks meanwhile
        real()

    monkeypatch.setattr(persistence, "_register_builtin_types", slow_registration)
    first = threading.Thread(target=persistence._ensure_builtins)
    first.start()
    started.wait(5)
    found = persistence._trusted_class("sklearn.pipeline.Pipeline")
    first.join()
    from sklearn.pipeline import Pipeline

    assert found is Pipeline


def test_the_package_version_is_the_distribution_version():
    """One version string: what pip installs is what model files record."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    with open(os.path.join(os.path.dirname(__file__), "..", "pyproject.toml"), "rb") as f:
        assert tomllib.load(f)["project"]["version"] == sktimbre.__version__
