"""The map page, without a browser: self-contained HTML, its data, layout and previews."""

import base64
import io
import json
import os
import re
import urllib.request

import numpy as np
import pytest
import soundfile as sf

from sktimbre import TimbreIndex
from sktimbre.datasets import make_notes
from sktimbre.timbre_map import build_map_html, map_layout, write_map

# t-SNE and KMeans on one OpenMP thread (conftest.one_openmp_thread)
pytestmark = pytest.mark.usefixtures("one_openmp_thread")


def _data(page: str) -> dict:
    match = re.search(r'<script id="timbre-map-data" type="application/json">(.*?)</script>',
                      page, re.S)
    return json.loads(match.group(1))


def _floats(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4")


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("lib")
    X, y = make_notes(n_instruments=3, pitches=[50, 62, 74], velocities=[1.0], duration=0.5,
                      random_state=1)
    paths = []
    for i, clip in enumerate(X):
        path = root / "samples" / f"{['a', 'b', 'c'][y[i]]}" / f"note {i}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, clip, 22050)
        paths.append(str(path))
    return root, paths, y, TimbreIndex().fit(paths)


def test_the_page_is_one_file_that_loads_nothing(library, tmp_path):
    root, paths, y, index = library
    page = build_map_html(index, base_dir=root)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert not re.search(r"https?://|<link|<script[^>]+src=|@import|url\(", page)
    assert page.count("<script") == 2  # the data and the page's own script


def test_the_page_carries_the_index(library):
    root, paths, y, index = library
    data = _data(build_map_html(index, base_dir=root / "maps", n_neighbors=4))
    assert data["n"] == 9 and data["dims"] == 31 and data["k"] == 4
    assert data["metric"] == "cosine"
    np.testing.assert_array_equal(_floats(data["vectors"]).reshape(9, 31), index.vectors_)
    assert _floats(data["xy"]).shape == (18,)
    assert data["paths"] == list(index.ids_)
    # names relative to the library's common folder; audio relative to the page's
    assert data["names"][0] == os.path.join("a", "note 0.wav")
    assert data["src"][0] == "../samples/a/note%200.wav"
    resolved = os.path.normpath(os.path.join(root / "maps",
                                             urllib.request.url2pathname(data["src"][0])))
    assert resolved == paths[0]
    np.testing.assert_allclose([p for p in data["pitch"]], index.pitch_hz_, atol=0.05)
    assert data["colour_by"] == "cluster"
    assert sum(c["count"] for c in data["categories"]) == 9


def test_labels_from_a_mapping_or_a_list(library):
    root, paths, y, index = library
    labels = {p: ["violin", "flute", "oboe"][label] for p, label in zip(paths, y, strict=True)}
    del labels[paths[8]]
    data = _data(build_map_html(index, labels=labels, label_name="instrument"))
    assert data["colour_by"] == "instrument"
    names = [c["name"] for c in data["categories"]]
    assert names[-1] == "(no label)" and data["categories"][-1]["count"] == 1
    assert [names[c] for c in data["label"]][:3] == [labels[p] for p in index.ids_[:3]]
    data = _data(build_map_html(index, labels=[str(v) for v in range(9)]))
    assert len(data["categories"]) == 9
    with pytest.raises(ValueError, match="labels has 2 entries for 9 items"):
        build_map_html(index, labels=["x", "y"])


def test_text_in_the_data_cannot_end_the_script_element():
    index = TimbreIndex(embedder=None).fit(np.eye(4), ids=["</script><b>x", "b", "c", "d"])
    page = build_map_html(index, labels=["<!--", "a", "a", "a"], title="<i>title</i>",
                          projection="pca")
    assert "</script><b>" not in page and "<!--" not in page and "<i>title" not in page
    assert _data(page)["names"][0] == "</script><b>x"


def test_clusters_colour_the_points_when_there_are_no_labels():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 6)) * 10
    vectors = np.repeat(centres, 30, axis=0) + rng.normal(size=(90, 6)) * 0.1
    index = TimbreIndex(embedder=None, metric="euclidean").fit(vectors)
    data = _data(build_map_html(index, n_clusters=3, projection="pca"))
    labels = np.array(data["label"])
    assert sorted(c["name"] for c in data["categories"]) == ["cluster 1", "cluster 2",
                                                              "cluster 3"]
    for block in range(3):  # each planted group is one cluster
        assert len(set(labels[block * 30:(block + 1) * 30])) == 1


def test_embedded_previews_play_without_the_library(library, tmp_path):
    root, paths, y, index = library
    write_map(index, tmp_path / "map.html", embed_audio=True, preview_seconds=0.25)
    data = _data((tmp_path / "map.html").read_text())
    assert all(s.startswith("data:audio/mpeg;base64,") for s in data["src"])
    audio, sr = sf.read(io.BytesIO(base64.b64decode(data["src"][0].split(",", 1)[1])))
    assert sr == 22050 and 0.2 < len(audio) / sr < 0.4
    # bounded: about 5 kB of MP3 per second of preview
    assert max(len(s) for s in data["src"]) < 8000
    # a page made to be passed on does not show this machine's folders
    page = (tmp_path / "map.html").read_text()
    assert str(root) not in page
    assert data["paths"][0] == os.path.relpath(paths[0], tmp_path)


def test_write_map_sets_the_base_folder_itself(library, tmp_path):
    root, paths, y, index = library
    with pytest.raises(TypeError, match="sets base_dir"):
        write_map(index, tmp_path / "m.html", base_dir=".")


def test_vectors_without_files_have_no_audio():
    index = TimbreIndex(embedder=None).fit(np.eye(5))
    data = _data(build_map_html(index, projection="pca"))
    assert data["src"] == [None] * 5 and data["names"] == ["0", "1", "2", "3", "4"]
    assert data["pitch"] == [None] * 5


def test_layout_keeps_planted_groups_apart_even_beyond_the_tsne_subset():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(2, 10)) * 5
    group = np.repeat([0, 1], 150)
    vectors = centres[group] + rng.normal(size=(300, 10)) * 0.3
    for projection, limit in [("tsne", 100), ("tsne", None), ("pca", None)]:
        xy = map_layout(vectors, projection=projection, metric="euclidean",
                        max_tsne_points=limit)
        assert xy.shape == (300, 2) and xy.dtype == np.float32
        # each point is nearer the centre of its own group than of the other
        means = np.array([xy[group == g].mean(axis=0) for g in (0, 1)])
        nearest = np.linalg.norm(xy[:, None] - means[None], axis=2).argmin(axis=1)
        assert (nearest == group).all(), projection


def test_layout_of_tiny_and_degenerate_inputs():
    assert map_layout(np.ones((1, 3))).shape == (1, 2)
    assert map_layout(np.ones((5, 3))).tolist() == [[0.0, 0.0]] * 5  # all the same
    assert map_layout(np.eye(3)[:2]).shape == (2, 2)
    with pytest.raises(ValueError, match="projection must be"):
        map_layout(np.eye(3), projection="umap")
