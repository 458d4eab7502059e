import csv
import os

import joblib
import numpy as np
import pytest
import soundfile as sf

from sktimbre.cli import main
from sktimbre.datasets import make_notes


@pytest.fixture(scope="module")
def labelled_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notes")
    X, y, pitch = make_notes(n_instruments=3, pitches=range(48, 72, 4), velocities=(1.0,),
                             duration=0.5, random_state=0, return_pitch=True)
    rows = []
    for clip, label, p in zip(X, y, pitch, strict=True):
        name = f"i{label}_p{p}.wav"
        sf.write(folder / name, clip, 22050)
        rows.append({"path": name, "program": int(label)})
    with open(folder / "manifest.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["path", "program"])
        writer.writeheader()
        writer.writerows(rows)
    return folder


def _read(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_fit_then_embed_a_folder(labelled_folder, tmp_path, capsys):
    model = tmp_path / "model.joblib"
    assert main(["fit", str(labelled_folder / "manifest.csv"), "-o", str(model),
                 "--augment", "1"]) == 0
    embedder = joblib.load(model)
    out = tmp_path / "emb.csv"
    assert main(["embed", str(labelled_folder), "--model", str(model), "-o", str(out)]) == 0
    rows = _read(out)
    files = sorted(p for p in os.listdir(labelled_folder) if p.endswith(".wav"))
    assert [os.path.basename(r[0]) for r in rows[1:]] == files
    E = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
    expected = embedder.transform([str(labelled_folder / f) for f in files])
    np.testing.assert_allclose(E, expected, rtol=1e-5, atol=1e-5)
    assert "embedded 18 of 18 clips" in capsys.readouterr().err


def test_embed_with_pretrained_default_and_a_bad_file(labelled_folder, tmp_path, capsys):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"not audio at all")
    good = str(labelled_folder / "i0_p48.wav")
    assert main(["embed", good, str(bad)]) == 1
    assert f"clip 1 ({bad}): cannot decode audio" in capsys.readouterr().err
    out = tmp_path / "emb.csv"
    assert main(["embed", good, str(bad), "--on-error", "nan", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "1 of 2 clips could not be used" in err and "embedded 1 of 2" in err
    rows = _read(out)
    assert rows[2][1] == "nan" and rows[1][1] != "nan"


def test_empty_folder_is_an_error(tmp_path):
    with pytest.raises(SystemExit, match="no audio files"):
        main(["embed", str(tmp_path)])
