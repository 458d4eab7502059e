"""TimbreIndex: exact search, building from files and vectors, updates, the .skx format."""

import io
import json
import os
import warnings
import zipfile

import numpy as np
import pytest
import soundfile as sf
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.estimator_checks import parametrize_with_checks

import sktimbre
from sktimbre import ClipWarning, InvalidClipError, TimbreIndex
from sktimbre import index as index_module
from sktimbre.datasets import make_notes
from sktimbre.persistence import InvalidModelFileError, UntrustedTypeError

SR = 22050


@pytest.fixture(scope="module")
def notes():
    X, y, pitch = make_notes(n_instruments=3, pitches=[52, 64, 76], velocities=[1.0],
                             duration=0.3, random_state=0, return_pitch=True)
    return X, y, pitch


@pytest.fixture
def library(tmp_path, notes):
    """Five WAV files (in two folders), dated ten seconds ago, and a text file."""
    X, _, _ = notes
    folder = tmp_path / "library"
    (folder / "sub").mkdir(parents=True)
    paths = []
    for i in range(5):
        path = folder / ("sub" if i >= 3 else "") / f"note{i}.wav"
        sf.write(path, X[i], SR)
        paths.append(str(path))
    (folder / "readme.txt").write_text("not audio")
    _age(paths)
    return folder, paths


def _age(paths, seconds=10):
    """Date files in the past, as in a real library (and unlike a clock tick ago)."""
    for path in paths:
        t = os.stat(path).st_mtime_ns - seconds * 10**9
        os.utime(path, ns=(t, t))


@pytest.fixture
def embedded(monkeypatch):
    """Records the clips each call of the embedder sees."""
    calls = []
    original = index_module._embed_chunk

    def spy(embedder, items):
        calls.append([os.path.basename(i) if isinstance(i, str) else "<array>" for i in items])
        return original(embedder, items)

    monkeypatch.setattr(index_module, "_embed_chunk", spy)
    return calls


# ----------------------------------------------------------------------------- search


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_query_equals_brute_force(metric, monkeypatch):
    rng = np.random.default_rng(0)
    # an offset, as real embeddings have: float32 scores lose digits to it
    vectors = (rng.normal(size=(3000, 31)) + 5.0).astype(np.float32)
    queries = rng.normal(size=(40, 31)) + 5.0
    # small blocks, so that candidates are merged across many of them
    monkeypatch.setattr(index_module, "_BLOCK_ELEMENTS", 1000)
    index = TimbreIndex(embedder=None, metric=metric).fit(vectors)
    distances, rows = index.query(queries, k=7, return_indices=True)
    nn = NearestNeighbors(n_neighbors=7, metric=metric, algorithm="brute")
    expected_d, expected_rows = nn.fit(vectors.astype(np.float64)).kneighbors(queries)
    np.testing.assert_array_equal(rows, expected_rows)
    np.testing.assert_allclose(distances, expected_d, rtol=1e-9, atol=1e-12)
    assert distances.dtype == np.float64


def test_query_returns_ids_and_fewer_columns_than_k_for_small_indexes():
    index = TimbreIndex(embedder=None).fit(np.eye(3), ids=["a", "b", "c"])
    distances, ids = index.query(np.eye(3)[[2]], k=10)
    assert ids.tolist() == [["c", "a", "b"]]
    assert distances.shape == (1, 3)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        index.query(np.eye(3), k=0)
    with pytest.raises(ValueError, match="3 columns"):
        index.query(np.ones((1, 4)))


def test_metric_can_be_changed_after_fitting():
    index = TimbreIndex(embedder=None).fit([[1.0, 0.0], [10.0, 0.0], [0.0, 1.0]])
    assert index.query([[1.0, 0.0]], k=2, return_indices=True)[1].tolist() == [[0, 1]]
    index.set_params(metric="euclidean")
    assert index.query([[1.0, 0.0]], k=2, return_indices=True)[1].tolist() == [[0, 2]]


def test_zero_vectors_are_at_cosine_distance_one():
    index = TimbreIndex(embedder=None).fit([[0.0, 0.0], [1.0, 0.0]])
    distances, rows = index.query([[0.0, 1.0]], k=2, return_indices=True)
    np.testing.assert_allclose(distances, [[1.0, 1.0]])
    assert rows.tolist() == [[0, 1]]  # ties in row order


def test_ids_are_checked():
    with pytest.raises(ValueError, match="'a' appears more than once"):
        TimbreIndex(embedder=None).fit(np.eye(2), ids=["a", "a"])
    with pytest.raises(ValueError, match="ids has 3 entries for 2 items"):
        TimbreIndex(embedder=None).fit(np.eye(2), ids=["a", "b", "c"])
    with pytest.raises(ValueError, match="entry 1 is"):
        TimbreIndex(embedder=None).fit(np.eye(2), ids=["a", 1.5])


def test_without_an_embedder_files_are_refused_with_a_clear_message(library):
    folder, paths = library
    with pytest.raises(ValueError, match="with embedder=None, fit takes vectors"):
        TimbreIndex(embedder=None).fit(paths)


@pytest.mark.parametrize("embedder", ["pretrained", 42])
def test_the_embedder_parameter_is_checked(embedder):
    with pytest.raises(ValueError, match="embedder must be 'default', None or a fitted"):
        TimbreIndex(embedder=embedder).fit(["a.wav"])


def test_an_unfitted_embedder_is_refused():
    with pytest.raises(ValueError, match="is not fitted"):
        TimbreIndex(embedder=sktimbre.make_timbre_embedder()).fit(["a.wav"])


# ----------------------------------------------------------------------------- clips


def test_fit_on_folders_finds_audio_recursively_and_stores_stamps(library, notes):
    folder, paths = library
    hidden = folder / "._note0.wav"
    hidden.write_bytes(b"\0\0\0\x01 macOS resource fork")
    index = TimbreIndex().fit([str(folder), paths[0]])  # the file given twice counts once
    assert sorted(index.ids_) == sorted(paths)
    assert all(os.path.isabs(p) for p in index.ids_)
    row = list(index.ids_).index(paths[1])
    st = os.stat(paths[1])
    assert tuple(index.stamps_[row]) == (st.st_size, st.st_mtime_ns)
    assert index.vectors_.dtype == np.float32 and index.vectors_.shape == (5, 31)
    expected = sktimbre.load_pretrained_embedder().transform([paths[1]])[0]
    np.testing.assert_allclose(index.vectors_[row], expected, rtol=1e-5, atol=1e-5)
    # the pitch estimate of a synthetic note of MIDI pitch 64 (329.6 Hz)
    X, _, pitch = notes
    f0 = 440.0 * 2 ** ((pitch[1] - 69) / 12)
    assert abs(np.log2(index.pitch_hz_[row] / f0)) < 0.05
    assert index.changes_["added"] == list(index.ids_) and index.failures_ == []


def test_a_folder_without_audio_is_an_error(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="no audio files under"):
        TimbreIndex().fit([str(tmp_path)])


def test_bad_files_are_left_out_with_a_warning_or_raise(library):
    folder, paths = library
    bad = folder / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00garbage")
    with pytest.warns(ClipWarning, match=r"1 of 6 clips could not be embedded.*broken\.wav"):
        index = TimbreIndex(pitch=False).fit([str(folder)])
    assert len(index.ids_) == 5 and str(bad) not in set(index.ids_)
    assert [f[0] for f in index.failures_] == [str(bad)]
    assert "corrupt" in index.failures_[0][1]
    with pytest.raises(InvalidClipError, match="broken.wav"):
        TimbreIndex(pitch=False, on_error="raise").fit([str(folder)])
    bad.write_bytes(b"")
    with pytest.raises(ValueError, match="none of the 1 clips could be embedded"):
        TimbreIndex(pitch=False).fit([str(bad)])


def test_update_embeds_only_new_and_changed_files_and_drops_deleted_ones(
        library, notes, embedded):
    folder, paths = library
    X, _, _ = notes
    index = TimbreIndex(pitch=False).fit([str(folder)])
    before = dict(zip(index.ids_, index.vectors_, strict=True))
    embedded.clear()

    index.update([str(folder)])  # nothing changed
    assert embedded == [] and sorted(index.ids_) == sorted(paths)
    assert index.changes_ == {"added": [], "changed": [], "removed": [], "failed": []}

    new = folder / "sub" / "new.wav"
    sf.write(new, X[5], SR)
    os.utime(paths[0])  # touched: same content, new time
    sf.write(paths[1], X[6], SR)  # rewritten: another note of the same length
    t = os.stat(paths[1]).st_mtime_ns
    assert os.path.getsize(paths[1]) == os.path.getsize(paths[2])
    os.remove(paths[4])
    index.update([str(folder)])
    assert sorted(sum(embedded, [])) == ["new.wav", "note0.wav", "note1.wav"]
    assert index.changes_["added"] == [str(new)]
    assert sorted(index.changes_["changed"]) == sorted(paths[:2])
    assert index.changes_["removed"] == [paths[4]]
    assert sorted(index.ids_) == sorted(paths[:4] + [str(new)])
    after = dict(zip(index.ids_, index.vectors_, strict=True))
    np.testing.assert_allclose(after[paths[0]], before[paths[0]], atol=1e-6)
    assert not np.allclose(after[paths[1]], before[paths[1]], atol=1e-3)
    np.testing.assert_array_equal(after[paths[2]], before[paths[2]])
    row = list(index.ids_).index(paths[1])
    assert index.stamps_[row, 1] == t

    embedded.clear()
    os.remove(paths[3])
    index.update()  # the index's own files: deleted ones dropped, nothing added
    assert embedded == [] and index.changes_["removed"] == [paths[3]]
    index.update([paths[0]])  # the library is now one file
    assert list(index.ids_) == [paths[0]] and embedded == []


def test_update_of_a_changed_file_that_no_longer_decodes(library):
    folder, paths = library
    index = TimbreIndex(pitch=False).fit([str(folder)])
    with open(paths[2], "r+b") as f:
        f.truncate(30)
    with pytest.warns(ClipWarning, match="note2.wav"):
        index.update([str(folder)])
    assert index.changes_["failed"] == [paths[2]] and paths[2] not in set(index.ids_)


def test_update_keeps_items_that_are_not_files_and_refuses_arrays(library, notes):
    folder, paths = library
    X, _, _ = notes
    index = TimbreIndex(pitch=False).fit([X[7], paths[0]], ids=["array", paths[0]])
    index.update([paths[1]])
    assert set(index.ids_) == {"array", paths[1]}
    with pytest.raises(ValueError, match="item 0 of X is not a path"):
        index.update([X[0]])
    vectors_only = TimbreIndex(embedder=None).fit(np.eye(2))
    with pytest.raises(ValueError, match="cannot embed new or changed files"):
        vectors_only.update([paths[0]])


def test_query_by_files_of_the_index_reuses_their_vectors(library, notes, embedded):
    folder, paths = library
    X, _, _ = notes
    index = TimbreIndex(pitch=False).fit([str(folder)])
    embedded.clear()
    distances, ids = index.query([paths[2]], k=3)
    assert embedded == [] and ids[0, 0] == paths[2] and distances[0, 0] < 1e-12
    distances, ids = index.query(paths[2], k=3, exclude_self=True)
    assert paths[2] not in set(ids[0]) and ids.shape == (1, 3)
    # an array, and a file changed since: embedded
    index.query([X[2]], k=1)
    assert embedded == [["<array>"]]
    os.utime(paths[2])
    embedded.clear()
    index.query([paths[2]], k=1)
    assert embedded == [["note2.wav"]]
    with pytest.raises(InvalidClipError, match=r"clip 1 \(.*missing.wav\)"):
        index.query([paths[0], str(folder / "missing.wav")])


def test_vectors_with_an_embedder_are_read_as_vectors(notes):
    X, _, _ = notes
    E = sktimbre.load_pretrained_embedder().transform(X[:4])
    index = TimbreIndex(pitch=False).fit(E, ids=list("abcd"))
    assert index.query(X[[2]], k=1)[1].tolist() == [["c"]]  # a 2-D array of clips
    assert index.query(E[[3]], k=1)[1].tolist() == [["d"]]
    with pytest.raises(ValueError, match="30 columns but the embedder makes 31"):
        TimbreIndex().fit(E[:, :30])
    with pytest.raises(ValueError, match="30 columns but the embedder makes 31"):
        index.query(E[:, :30])


def test_same_embedder_compares_fitted_models(notes):
    X, y, _ = notes
    index = TimbreIndex(embedder=None).fit(np.eye(2))
    assert not index.same_embedder("default")
    index = TimbreIndex(pitch=False).fit([X[0]])
    other = sktimbre.make_timbre_embedder().fit(X, y)
    assert index.same_embedder("default")
    assert not index.same_embedder(other)


# ----------------------------------------------------------------------------- files


def test_save_and_load_round_trip(tmp_path, library):
    folder, paths = library
    index = TimbreIndex(metric="euclidean").fit([str(folder)])
    path = tmp_path / "library.skx"
    index.save(path)
    again = TimbreIndex.load(path)
    assert again.get_params() == {**index.get_params(), "n_jobs": None, "verbose": False}
    np.testing.assert_array_equal(again.vectors_, index.vectors_)
    np.testing.assert_array_equal(again.stamps_, index.stamps_)
    np.testing.assert_array_equal(again.pitch_hz_, index.pitch_hz_)
    assert list(again.ids_) == list(index.ids_)
    assert again.same_embedder("default")
    clip = np.sin(2 * np.pi * 200 * np.arange(SR // 2) / SR).astype(np.float32)
    for a, b in zip(index.query([clip], k=3), again.query([clip], k=3), strict=True):
        np.testing.assert_array_equal(a, b)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(index_module._MEMBERS)
        assert json.loads(archive.read("ids.json")) == list(index.ids_)
    # same index, same bytes
    index.save(tmp_path / "again.skx")
    assert (tmp_path / "again.skx").read_bytes() == path.read_bytes()


def test_an_interrupted_save_leaves_the_previous_index(tmp_path, monkeypatch):
    path = tmp_path / "library.skx"
    TimbreIndex(embedder=None).fit(np.eye(3), ids=["a", "b", "c"]).save(path)
    before = path.read_bytes()

    def full_disk(a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index_module, "_npy", full_disk)
    with pytest.raises(OSError, match="No space left"):
        TimbreIndex(embedder=None).fit(np.eye(4)).save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["library.skx"]


def test_save_and_load_without_embedder_keeps_integer_ids(tmp_path):
    index = TimbreIndex(embedder=None).fit(np.random.default_rng(0).normal(size=(5, 3)))
    index.save(tmp_path / "v.skx")
    again = TimbreIndex.load(tmp_path / "v.skx")
    assert again.embedder is None and again.embedder_ is None
    assert list(again.ids_) == [0, 1, 2, 3, 4] and again.n_features_in_ == 3


def _rewrite(path, replace: dict, add: dict = None):
    """Copy a .skx with some members replaced or added."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members.update(replace)
    members.update(add or {})
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _npy(a, allow_pickle=False):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, a, allow_pickle=allow_pickle)
    return buffer.getvalue()


@pytest.mark.parametrize("damage, message", [
    ({"extra.py": b"import os"}, "unexpected members"),
    ({"vectors.npy": _npy(np.array([object()] * 6, dtype=object), True)},
     "cannot be read without pickle|larger than"),
    ({"vectors.npy": _npy(np.zeros((3, 2)))}, "float64 array of shape"),
    ({"vectors.npy": _npy(np.zeros((100_000, 2), dtype=np.float32))}, "larger than"),
    ({"index.json": b"{not json"}, "not valid JSON"),
    ({"index.json": json.dumps({"format": "sktimbre-index", "format_version": 99}).encode()},
     "newer than this sktimbre reads"),
    ({"ids.json": b'[{"a": 1}, 2, 3]'}, "must list 3 strings or integers"),
    ({"index.json": json.dumps({
        "format": "sktimbre-index", "format_version": 1, "n_items": 3, "n_dims": 2,
        "params": {"metric": "manhattan"}, "embedder": None}).encode()}, "invalid parameters"),
])
def test_load_refuses_what_is_not_plain_index_data(tmp_path, damage, message):
    path = tmp_path / "damaged.skx"
    TimbreIndex(embedder=None).fit(np.eye(3, 2)).save(path)
    _rewrite(path, damage)
    with pytest.raises(InvalidModelFileError, match=message):
        TimbreIndex.load(path)


def test_load_refuses_a_pickle_and_an_untrusted_embedder(tmp_path):
    import pickle

    path = tmp_path / "pickled.skx"
    path.write_bytes(pickle.dumps({"vectors": np.eye(2)}))
    with pytest.raises(InvalidModelFileError, match="not a zip archive"):
        TimbreIndex.load(path)
    path = tmp_path / "index.skx"
    TimbreIndex(pitch=False).fit([np.ones(4000, dtype=np.float32)]).save(path)
    with zipfile.ZipFile(path) as archive:
        skt = archive.read("embedder.skt")
    with zipfile.ZipFile(io.BytesIO(skt)) as inner:
        members = {n: inner.read(n) for n in inner.namelist()}
    members["spec.json"] = members["spec.json"].replace(
        b'"sklearn.pipeline.Pipeline"', b'"os.system"')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as inner:
        for name, data in members.items():
            inner.writestr(name, data)
    _rewrite(path, {"embedder.skt": buffer.getvalue()})
    with pytest.raises(UntrustedTypeError, match="its embedder.*os.system"):
        TimbreIndex.load(path)


# ----------------------------------------------------------------------------- estimator

@parametrize_with_checks([TimbreIndex(embedder=None, pitch=False),
                          TimbreIndex(embedder=None, metric="euclidean", pitch=False)])
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ClipWarning)
        check(estimator)
