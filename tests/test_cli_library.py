"""``sktimbre index``, ``sktimbre similar --index`` and ``sktimbre map``, in process."""

import csv
import io
import json
import os
import re

import pytest
import soundfile as sf
from threadpoolctl import threadpool_limits

from sktimbre import TimbreIndex
from sktimbre import index as index_module
from sktimbre.cli import main
from sktimbre.datasets import make_notes


@pytest.fixture(autouse=True)
def one_openmp_thread():
    with threadpool_limits(limits=1, user_api="openmp"):  # see test_timbre_map.py
        yield


@pytest.fixture
def library(tmp_path):
    X, y = make_notes(n_instruments=3, pitches=[48, 60, 72], velocities=[1.0], duration=0.3,
                      random_state=0)
    folder = tmp_path / "samples"
    folder.mkdir()
    rows = []
    for i, (clip, label) in enumerate(zip(X, y, strict=True)):
        name = f"inst{label}_{i}.wav"
        sf.write(folder / name, clip, 22050)
        t = os.stat(folder / name).st_mtime_ns - 10**10  # written ten seconds ago
        os.utime(folder / name, ns=(t, t))
        rows.append({"file": name, "family": f"family {label}"})
    with open(folder / "manifest.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["file", "family"])
        writer.writeheader()
        writer.writerows(rows)
    return folder, X


@pytest.fixture
def embedded(monkeypatch):
    calls = []
    original = index_module._embed_chunk

    def spy(embedder, items):
        calls.append(len(items))
        return original(embedder, items)

    monkeypatch.setattr(index_module, "_embed_chunk", spy)
    return calls


def test_index_then_similar_without_embedding_the_library(library, tmp_path, capsys,
                                                          embedded):
    folder, X = library
    skx = tmp_path / "library.skx"
    assert main(["index", str(folder), "-o", str(skx)]) == 0
    assert "9 embedded; 9 sounds, 31 dimensions" in capsys.readouterr().err
    assert len(TimbreIndex.load(skx).ids_) == 9
    embedded.clear()

    query = str(folder / "inst0_0.wav")
    outside = tmp_path / "outside.wav"
    sf.write(outside, X[1], 22050)
    assert main(["similar", query, str(outside), "--index", str(skx), "--top", "3"]) == 0
    assert embedded == [1]  # the query from outside the library, nothing else
    out = capsys.readouterr().out
    blocks = out.strip().split("\n\n")
    assert len(blocks) == 2 and blocks[0].startswith(f"nearest to {query} (cosine distance")
    header, *rows = blocks[0].splitlines()[1:]
    assert header.split() == ["rank", "distance", "pitch", "clip"]
    assert len(rows) == 3 and query not in blocks[0].split("\n", 1)[1]
    # the outside clip is the same sound as inst0_1.wav: its nearest, at distance ~0
    assert blocks[1].splitlines()[2].split()[3].endswith("inst0_1.wav")

    assert main(["similar", query, "--index", str(skx), "--top", "2", "--format", "json",
                 "--metric", "euclidean"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result[0]["query"] == query and result[0]["metric"] == "euclidean"
    index = TimbreIndex.load(skx).set_params(metric="euclidean")
    distances, ids = index.query([query], k=2, exclude_self=True)
    assert [n["path"] for n in result[0]["neighbours"]] == list(ids[0])
    assert [n["distance"] for n in result[0]["neighbours"]] == pytest.approx(distances[0])
    assert all(n["pitch_hz"] > 0 for n in result[0]["neighbours"])

    assert main(["similar", query, "--index", str(skx), "--format", "csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["rank"] for r in table] == ["1", "2", "3", "4", "5"]
    assert set(table[0]) == {"query", "rank", "distance", "path", "pitch_hz"}


def test_index_update_embeds_only_what_changed(library, tmp_path, capsys, embedded):
    folder, X = library
    skx = tmp_path / "library.skx"
    assert main(["index", str(folder), "-o", str(skx), "--update", "--no-pitch"]) == 0
    embedded.clear()
    sf.write(folder / "new.wav", X[3], 22050)
    os.remove(folder / "inst2_8.wav")
    assert main(["index", str(folder), "-o", str(skx), "--update"]) == 0
    assert embedded == [1]
    assert "1 added, 0 re-embedded, 1 removed; 9 sounds" in capsys.readouterr().err
    ids = set(TimbreIndex.load(skx).ids_)
    assert str(folder / "new.wav") in ids and str(folder / "inst2_8.wav") not in ids


def test_index_update_refuses_another_model(library, tmp_path, capsys):
    import sktimbre

    folder, X = library
    skx = tmp_path / "library.skx"
    assert main(["index", str(folder), "-o", str(skx), "--no-pitch"]) == 0
    other = sktimbre.make_timbre_embedder().fit(X, [0, 0, 0, 1, 1, 1, 2, 2, 2])
    sktimbre.save(other, tmp_path / "other.skt")
    assert main(["index", str(folder), "-o", str(skx), "--update", "--model",
                 str(tmp_path / "other.skt")]) == 2
    assert "built with another embedder" in capsys.readouterr().err
    assert main(["index", str(folder), "-o", str(skx), "--update", "--model", "default"]) == 0


def test_index_lists_bad_files_and_still_writes_the_index(library, tmp_path, capsys):
    folder, X = library
    (folder / "broken.wav").write_bytes(b"RIFF....WAVEfmt garbage")
    skx = tmp_path / "library.skx"
    assert main(["index", str(folder), "-o", str(skx), "--no-pitch"]) == 1
    err = capsys.readouterr().err
    assert "1 file(s) could not be embedded" in err and "broken.wav" in err
    assert len(TimbreIndex.load(skx).ids_) == 9
    assert main(["index", str(folder), "-o", str(skx), "--skip-errors"]) == 0


def test_map_of_an_index_coloured_by_a_manifest(library, tmp_path, capsys):
    folder, X = library
    skx = tmp_path / "library.skx"
    assert main(["index", str(folder), "-o", str(skx)]) == 0
    page = tmp_path / "map.html"
    assert main(["map", "--index", str(skx), "-o", str(page), "--labels",
                 str(folder / "manifest.csv"), "--path-column", "file", "--label-column",
                 "family", "--projection", "pca", "--neighbours", "4"]) == 0
    assert "map of 9 sounds" in capsys.readouterr().err
    text = page.read_text()
    data = json.loads(re.search(r'application/json">(.*?)</script>', text, re.S).group(1))
    assert data["colour_by"] == "family" and data["k"] == 4
    assert sorted(c["name"] for c in data["categories"]) == ["family 0", "family 1",
                                                             "family 2"]
    assert data["src"][0].startswith("samples/")  # relative to the page's folder


def test_map_of_a_folder_can_save_its_index(library, tmp_path, capsys):
    folder, X = library
    page, skx = tmp_path / "m.html", tmp_path / "m.skx"
    assert main(["map", str(folder), "-o", str(page), "--save-index", str(skx),
                 "--projection", "pca"]) == 0
    assert page.exists() and len(TimbreIndex.load(skx).ids_) == 9


@pytest.mark.parametrize("args, message", [
    (["map", "-o", "m.html"], "give folders to map, or --index"),
    (["map", "x", "--index", "y.skx", "-o", "m.html"], "not both"),
    (["map", "x", "-o", "m.png"], "name it .html"),
    (["map", "--index", "missing.skx", "-o", "m.html"], "no index file missing.skx"),
    (["similar", "q.wav"], "give the clips or folders to search"),
    (["similar", "q.wav", "--index", "missing.skx"], "no index file"),
    (["index", "no/such/folder", "-o", "x.skx"], "no such folder or file"),
])
def test_usage_errors(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_map_refuses_a_manifest_that_matches_nothing(library, tmp_path, capsys):
    folder, X = library
    skx = tmp_path / "library.skx"
    assert main(["index", str(folder), "-o", str(skx), "--no-pitch"]) == 0
    assert main(["map", "--index", str(skx), "-o", str(tmp_path / "m.html"), "--labels",
                 str(folder / "manifest.csv"), "--label-column", "family"]) == 2
    assert "needs columns 'path' and 'family'" in capsys.readouterr().err
