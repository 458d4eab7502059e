"""Hostile model files: every unusable file gives InvalidModelFileError with a reason.

Each file is built here, member by member (zipfile, or raw zip records with struct),
and must be refused with the documented error type and a message that says what is
wrong -- never a raw RecursionError, zlib.error, RuntimeError, NotImplementedError,
MemoryError or TypeError, never a hang, and never a model that loads and then fails
(or returns NaN) in transform.
"""

import io
import json
import os
import struct
import subprocess
import sys
import threading
import zipfile
import zlib

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

import sktimbre
from sktimbre.persistence import InvalidModelFileError, UntrustedTypeError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def numeric():
    """A small fitted scaler + LDA pipeline (7 features, 3 classes) and its data."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 7))
    y = np.repeat([0, 1, 2], 20)
    X[y == 1] += 1.0
    pipe = Pipeline([("scale", StandardScaler()), ("project", LinearDiscriminantAnalysis())])
    return pipe.fit(X, y), X


@pytest.fixture
def saved(numeric, tmp_path):
    path = tmp_path / "model.skt"
    sktimbre.save(numeric[0], path)
    return path


def _members(path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write(path, members: dict) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _edited(src, dst, edit_spec=None, arrays=None):
    """A copy of ``src`` whose spec (a dict) and arrays ({member: ndarray}) are edited."""
    members = _members(src)
    spec = json.loads(members["spec.json"])
    if edit_spec is not None:
        edit_spec(spec)
    members["spec.json"] = json.dumps(spec).encode()
    for name, array in (arrays or {}).items():
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, array, allow_pickle=False)
        members[name] = buffer.getvalue()
    _write(dst, members)
    return dst


def _object(spec, class_suffix):
    """The spec node of the first estimator whose class name ends with ``class_suffix``."""
    stack = [spec["root"]]
    while stack:
        node = stack.pop(0)
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("__kind__") == "object" and node["class"].endswith(class_suffix):
                return node
            stack.extend(node.values())
    raise KeyError(class_suffix)


def _array_member(path, class_suffix, attribute) -> str:
    spec = json.loads(_members(path)["spec.json"])
    return _object(spec, class_suffix)["state"][attribute]["file"]


def _raw_zip(path, entries) -> None:
    """Write a zip from raw records: (name, data as stored, method, flags, crc, file_size).

    What zipfile would never write: any compression method, flags or sizes.
    """
    out, central = bytearray(), bytearray()
    for name, data, method, flags, crc, file_size in entries:
        encoded = name.encode()
        offset = len(out)
        fields = (flags, method, 0, 0x21, crc, len(data), file_size, len(encoded), 0)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, *fields) + encoded + data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, *fields, 0, 0, 0,
                               0o644 << 16, offset) + encoded
    n = len(entries)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(central), len(out), 0)
    with open(path, "wb") as f:
        f.write(bytes(out + central + end))


def _stored(name, data):
    return (name, data, zipfile.ZIP_STORED, 0, zlib.crc32(data), len(data))


def _deflate(chunks) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return b"".join(compressor.compress(c) for c in chunks) + compressor.flush()


def _refused(path, match, error=InvalidModelFileError):
    with pytest.raises(error, match=match) as info:
        sktimbre.load(path)
    assert info.value.path == os.fspath(path)
    assert str(info.value).startswith(f"{path}: ")
    return info.value


def test_the_round_trip_still_validates_and_loads(numeric, saved):
    pipe, X = numeric
    np.testing.assert_array_equal(sktimbre.load(saved).transform(X), pipe.transform(X))


def test_the_error_types():
    assert issubclass(InvalidModelFileError, ValueError)
    assert issubclass(UntrustedTypeError, InvalidModelFileError)
    assert issubclass(UntrustedTypeError, TypeError)
    assert sktimbre.persistence.InvalidModelFileError is InvalidModelFileError
    err = InvalidModelFileError("m.skt", "why")
    assert (err.path, err.reason, str(err)) == ("m.skt", "why", "m.skt: why")
    import pickle

    assert str(pickle.loads(pickle.dumps(err))) == "m.skt: why"


# ----------------------------------------------------------------------------- the path


def test_a_directory_or_device_is_refused(tmp_path):
    _refused(tmp_path, "is a directory, not a model file")
    if os.path.exists("/dev/null"):
        with pytest.raises(InvalidModelFileError, match="is a device, not a model file"):
            sktimbre.load("/dev/null")
    with pytest.raises(FileNotFoundError):
        sktimbre.load(tmp_path / "missing.skt")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "model.skt"
    os.mkfifo(fifo)
    outcome = {}

    def load():
        try:
            sktimbre.load(fifo)
        except Exception as exc:  # noqa: BLE001 - recorded for the assertion below
            outcome["error"] = exc

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(timeout=20)
    if thread.is_alive():  # unblock the reader, so the test process can end
        with open(fifo, "wb"):
            pass
        pytest.fail("load() blocked on a FIFO")
    assert isinstance(outcome["error"], InvalidModelFileError)
    assert "is a named pipe (FIFO), not a model file" in str(outcome["error"])


def test_a_bytes_path_is_named_as_text(saved, tmp_path):
    bad = tmp_path / "bad.skt"
    bad.write_text("hello")
    with pytest.raises(InvalidModelFileError, match="it is not a zip archive") as info:
        sktimbre.load(os.fsencode(bad))
    assert info.value.path == str(bad)
    assert sktimbre.load(os.fsencode(saved)) is not None


# ----------------------------------------------------------------------------- the archive


def test_deeply_nested_json_is_refused(saved, tmp_path):
    members = _members(saved)
    spec = json.loads(members["spec.json"])
    for depth, match in [(100_000, "nested too deeply"), (500, "nested 50[0-9] levels deep")]:
        bad = tmp_path / f"deep{depth}.skt"
        text = json.dumps(dict(spec, root=None)).replace(
            '"root": null', '"root": ' + "[" * depth + "]" * depth)
        _write(bad, dict(members, **{"spec.json": text.encode()}))
        _refused(bad, match)
    # read_info reads the same spec: refused the same way
    with pytest.raises(InvalidModelFileError, match="nested"):
        sktimbre.persistence.read_info(bad)


@pytest.mark.parametrize("member", ["spec.json", "arrays/0.npy"])
@pytest.mark.parametrize("where", [0.25, 0.5, 0.75])
def test_a_flipped_bit_is_refused_as_corrupt(saved, tmp_path, member, where):
    data = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as archive:
        info = archive.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + int(where * info.compress_size)] ^= 0x10
    bad = tmp_path / "flipped.skt"
    bad.write_bytes(bytes(data))
    _refused(bad, rf"member {member} is corrupt \(")


def test_an_encrypted_member_is_refused(saved, tmp_path):
    members = _members(saved)
    entries = [_stored(name, data) for name, data in members.items()]
    entries[0] = entries[0][:3] + (0x1,) + entries[0][4:]  # the "encrypted" flag
    _raw_zip(tmp_path / "enc.skt", entries)
    _refused(tmp_path / "enc.skt", "member spec.json is encrypted")


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA, 99])
def test_an_unknown_compression_is_refused(saved, tmp_path, method):
    entries = [_stored(name, data) for name, data in _members(saved).items()]
    entries[1] = entries[1][:2] + (method,) + entries[1][3:]
    _raw_zip(tmp_path / "method.skt", entries)
    _refused(tmp_path / "method.skt", f"uses compression method {method}")


def test_a_member_that_inflates_to_gigabytes_is_refused_from_its_header(saved, tmp_path):
    members = _members(saved)
    name = _array_member(saved, "StandardScaler", "mean_")
    # 300 MB of zeros deflate to 300 kB; the header says so, and that is refused
    # before a byte is inflated
    size = 300 << 20
    bomb = _deflate([b"\0" * (1 << 20)] * 300)
    entries = [_stored(n, d) for n, d in members.items() if n != name]
    entries.append((name, bomb, zipfile.ZIP_DEFLATED, 0, 0, size))
    _raw_zip(tmp_path / "bomb.skt", entries)
    _refused(tmp_path / "bomb.skt", rf"member {name} inflates to 314,572,800 bytes, above")
    # a header that lies (1 kB) gets 1 kB inflated, then fails its checksum
    entries[-1] = (name, bomb, zipfile.ZIP_DEFLATED, 0, 0, 1024)
    _raw_zip(tmp_path / "liar.skt", entries)
    _refused(tmp_path / "liar.skt", rf"member {name} (is corrupt|whose header claims)")


def test_members_inflating_to_more_than_a_gigabyte_in_all_are_refused(saved, tmp_path):
    members = _members(saved)
    entries = [_stored(n, d) for n, d in members.items()]
    entries += [(f"arrays/{100 + i}.npy", b"", zipfile.ZIP_DEFLATED, 0, 0, 250 << 20)
                for i in range(5)]
    _raw_zip(tmp_path / "many.skt", entries)
    _refused(tmp_path / "many.skt", r"inflate to 1,3[0-9,]+ bytes in all, above the limit")


def test_too_many_members_and_zip64_are_refused(saved, tmp_path):
    entries = [_stored(n, d) for n, d in _members(saved).items()]
    entries += [_stored(f"arrays/{100 + i}.npy", b"") for i in range(10_001)]
    _raw_zip(tmp_path / "crowd.skt", entries)
    _refused(tmp_path / "crowd.skt", r"lists 10,0[0-9]{2} members .* above the limit of 10,000")
    data = bytearray((tmp_path / "crowd.skt").read_bytes())
    data[-12:-10] = b"\xff\xff"  # total entries 0xFFFF: look in the ZIP64 record
    (tmp_path / "zip64.skt").write_bytes(bytes(data))
    _refused(tmp_path / "zip64.skt", "ZIP64")


def test_duplicate_members_are_refused(saved, tmp_path):
    entries = [_stored(n, d) for n, d in _members(saved).items()]
    _raw_zip(tmp_path / "twice.skt", entries + [entries[1]])
    _refused(tmp_path / "twice.skt", "more than one member named arrays/")


# ----------------------------------------------------------------------------- .npy headers


def _npy(header: dict, body: bytes) -> bytes:
    text = repr(header).encode()
    text += b" " * (63 - (len(text) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + body


@pytest.mark.parametrize(
    "header, body, match",
    [
        ({"descr": "<f8", "fortran_order": False, "shape": (10**12,)}, b"\0" * 56,
         r"whose header claims shape \(1000000000000,\) of float64 "
         r"\(8,000,000,000,000 bytes\), but which holds 56 bytes"),
        ({"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)}, b"",
         "whose header claims shape"),
        ({"descr": "<f8", "fortran_order": False, "shape": (8,)}, b"\0" * 56,
         r"whose header claims shape \(8,\) .*, but which holds 56 bytes"),
        ({"descr": "|O", "fortran_order": False, "shape": (1,)}, b"\0" * 8,
         "of dtype object, which cannot be read without pickle"),
        ({"descr": "<M8[ns]", "fortran_order": False, "shape": (1,)}, b"\0" * 8,
         r"of dtype datetime64\[ns\]"),
        ({"descr": [("a", "<f8")], "fortran_order": False, "shape": (1,)}, b"\0" * 8,
         "of dtype"),
    ],
    ids=["1e12 elements", "1e12 in 2-D", "short data", "object", "datetime", "structured"],
)
def test_array_headers_are_checked_before_allocating(saved, tmp_path, header, body, match):
    name = _array_member(saved, "StandardScaler", "mean_")
    members = _members(saved)
    members[name] = _npy(header, body)
    _write(tmp_path / "npy.skt", members)
    error = UntrustedTypeError if "pickle" in match else InvalidModelFileError
    _refused(tmp_path / "npy.skt", f"holds an array {name} {match}", error=error)


def test_an_npy_version_save_never_writes_is_refused(saved, tmp_path):
    name = _array_member(saved, "StandardScaler", "mean_")
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.zeros(7), version=(3, 0))
    _write(tmp_path / "v3.skt", dict(_members(saved), **{name: buffer.getvalue()}))
    _refused(tmp_path / "v3.skt", r"in .npy format version 3.0")


def test_one_array_read_twice_is_refused(saved, tmp_path):
    def twice(spec):
        state = _object(spec, "StandardScaler")["state"]
        state["var_"] = state["mean_"]

    _edited(saved, tmp_path / "twice.skt", edit_spec=twice)
    _refused(tmp_path / "twice.skt", "a second reference to arrays/")


# ----------------------------------------------------------------------------- the spec header


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("format_version", "1", "format_version must be a positive integer, got '1'"),
        ("format_version", None, "format_version must be a positive integer, got None"),
        ("format_version", True, "format_version must be a positive integer, got True"),
        ("format_version", 99, "uses format version 99, newer than this sktimbre reads"),
        ("versions", ["1.0"], "versions must map package names to version strings"),
        ("versions", {"numpy": 2}, "versions must map package names to version strings"),
        ("metadata", [1], "metadata must be a JSON object"),
        ("format", "other", "not an sktimbre model file \\(format 'other'\\)"),
    ],
)
def test_header_fields_of_the_wrong_type_are_refused(saved, tmp_path, field, value, match):
    _edited(saved, tmp_path / "h.skt", edit_spec=lambda spec: spec.update({field: value}))
    _refused(tmp_path / "h.skt", match)
    with pytest.raises(InvalidModelFileError, match=match):
        sktimbre.persistence.read_info(tmp_path / "h.skt")


def test_a_spec_that_is_not_an_object_is_refused(saved, tmp_path):
    _write(tmp_path / "list.skt", dict(_members(saved), **{"spec.json": b"[1, 2]"}))
    _refused(tmp_path / "list.skt", r"not an sktimbre model file \(format 'list'\)")
    _write(tmp_path / "nan.skt", dict(_members(saved), **{"spec.json": b'{"a": NaN}'}))
    _refused(tmp_path / "nan.skt", "spec.json is not valid JSON")


@pytest.mark.parametrize(
    "node, match",
    [
        ({"__kind__": "slice", "items": ["a", None]}, "a slice that is not"),
        ({"__kind__": "tuple", "items": 5}, "a tuple without a list of items"),
        ({"__kind__": "object_str_array", "shape": [10**9], "items": ["a"]},
         r"a text array of shape \[1000000000\] for 1 items"),
        ({"__kind__": "object_str_array", "shape": [-1], "items": []}, "a text array of shape"),
        ({"__kind__": "random_state", "state": [1, 2]}, "is malformed"),
    ],
)
def test_malformed_nodes_are_refused(saved, tmp_path, node, match):
    def put(spec):
        _object(spec, "StandardScaler")["state"]["copy"] = node

    _edited(saved, tmp_path / "node.skt", edit_spec=put)
    _refused(tmp_path / "node.skt", match)


# ----------------------------------------------------------------------------- code


@pytest.mark.parametrize(
    "parameter, value",
    [("func", "os.system"), ("inverse_func", "builtins.eval"),
     ("feature_names_out", "os.system")],
)
def test_a_function_transformer_naming_code_is_refused(tmp_path, parameter, value):
    pipe = Pipeline([("f", FunctionTransformer()), ("scale", StandardScaler())])
    pipe.fit(np.random.default_rng(0).standard_normal((10, 3)))
    sktimbre.save(pipe, tmp_path / "f.skt")

    def name_code(spec):
        _object(spec, "FunctionTransformer")["state"][parameter] = value

    _edited(tmp_path / "f.skt", tmp_path / "code.skt", edit_spec=name_code)
    _refused(tmp_path / "code.skt",
             rf"FunctionTransformer\({parameter}='{value}'\) names code, which a model "
             r"file cannot hold; only None.* can be loaded")


def test_a_pipeline_with_a_joblib_cache_is_refused(numeric, saved, tmp_path):
    cached = Pipeline(numeric[0].steps, memory=str(tmp_path / "cache"))
    with pytest.raises(InvalidModelFileError, match=r"Pipeline\(memory='.*cache'\) names a "
                       "joblib cache, whose files are pickles; only None can be loaded"):
        sktimbre.save(cached, tmp_path / "m.skt")

    def cache(spec):
        spec["root"]["state"]["memory"] = str(tmp_path / "cache")

    _edited(saved, tmp_path / "m.skt", edit_spec=cache)
    _refused(tmp_path / "m.skt", r"the estimator \(sklearn.pipeline.Pipeline\): "
             r"sklearn.pipeline.Pipeline\(memory=.* names a joblib cache")


@pytest.mark.parametrize("key", ["transform", "fit", "__class__", "__reduce__"])
def test_a_state_may_not_replace_a_method(saved, tmp_path, key):
    def shadow(spec):
        _object(spec, "StandardScaler")["state"][key] = "os.system"

    _edited(saved, tmp_path / "shadow.skt", edit_spec=shadow)
    _refused(tmp_path / "shadow.skt", rf"a sklearn.preprocessing.StandardScaler whose state "
             rf"replaces its attribute '{key}'")


def test_classes_outside_sklearn_and_sktimbre_are_never_imported(saved, tmp_path):
    def foreign(spec):
        _object(spec, "StandardScaler")["class"] = "antigravity.Fly"

    _edited(saved, tmp_path / "f.skt", edit_spec=foreign)
    _refused(tmp_path / "f.skt", "'antigravity.Fly', which is not a trusted type",
             error=UntrustedTypeError)
    assert "antigravity" not in sys.modules


# ----------------------------------------------------------------------------- fitted arrays


def test_non_finite_fitted_arrays_are_refused(saved, tmp_path):
    name = _array_member(saved, "StandardScaler", "scale_")
    weights = np.ones(7)
    weights[3] = np.nan
    _edited(saved, tmp_path / "nan.skt", arrays={name: weights})
    _refused(tmp_path / "nan.skt", r"steps\[0\]\[1\] \(sklearn.preprocessing.StandardScaler\):"
             r" scale_ holds NaN or infinite values")
    name = _array_member(saved, "LinearDiscriminantAnalysis", "scalings_")
    spec = json.loads(_members(saved)["spec.json"])
    shape = np.lib.format.read_array(io.BytesIO(_members(saved)[name])).shape
    _edited(saved, tmp_path / "inf.skt", arrays={name: np.full(shape, np.inf)})
    _refused(tmp_path / "inf.skt", "scalings_ holds NaN or infinite values")
    assert spec  # the spec itself was untouched


@pytest.mark.parametrize(
    "class_suffix, attribute, shape, match",
    [
        ("StandardScaler", "mean_", (5,), r"mean_ has shape \(5,\), expected \(7,\)"),
        ("StandardScaler", "scale_", (1,), r"scale_ has shape \(1,\), expected \(7,\)"),
        ("LinearDiscriminantAnalysis", "scalings_", (6, 2),
         r"scalings_ has shape \(6, 2\), expected \(7, any\)"),
        ("LinearDiscriminantAnalysis", "coef_", (3, 4),
         r"coef_ has shape \(3, 4\), expected \(any, 7\)"),
        ("LinearDiscriminantAnalysis", "means_", (2, 7),
         r"means_ has shape \(2, 7\), expected \(3, 7\)"),
    ],
)
def test_fitted_arrays_of_the_wrong_shape_are_refused(saved, tmp_path, class_suffix,
                                                      attribute, shape, match):
    name = _array_member(saved, class_suffix, attribute)
    _edited(saved, tmp_path / "shape.skt", arrays={name: np.ones(shape)})
    _refused(tmp_path / "shape.skt", match)


def test_pca_components_of_the_wrong_shape_are_refused(tmp_path):
    pca = PCA(n_components=2).fit(np.random.default_rng(0).standard_normal((20, 5)))
    sktimbre.save(pca, tmp_path / "pca.skt")
    name = _array_member(tmp_path / "pca.skt", "PCA", "components_")
    _edited(tmp_path / "pca.skt", tmp_path / "bad.skt", arrays={name: np.ones((2, 4))})
    _refused(tmp_path / "bad.skt", r"components_ has shape \(2, 4\), expected \(2, 5\)")
    # finite but absurd weights: the test transform overflows, and that is refused too
    _edited(tmp_path / "pca.skt", tmp_path / "huge.skt",
            arrays={name: np.full((2, 5), 1e308)})
    _refused(tmp_path / "huge.skt", "turns finite input into NaN or infinite values")


@pytest.mark.parametrize("attribute", ["scale_", "mean_"])
def test_a_missing_fitted_attribute_is_refused(saved, tmp_path, attribute):
    def drop(spec):
        del _object(spec, "StandardScaler")["state"][attribute]

    _edited(saved, tmp_path / "drop.skt", edit_spec=drop)
    _refused(tmp_path / "drop.skt", r"StandardScaler\) cannot transform 7 features \(a fitted "
             rf"attribute it needs is missing\): AttributeError: .*{attribute}")


def test_a_missing_parameter_or_an_invalid_one_is_refused(saved, tmp_path):
    def drop(spec):
        del _object(spec, "StandardScaler")["state"]["with_mean"]

    _edited(saved, tmp_path / "p.skt", edit_spec=drop)
    _refused(tmp_path / "p.skt", "a parameter is missing .*with_mean")

    def wrong(spec):
        _object(spec, "LinearDiscriminantAnalysis")["state"]["solver"] = "magic"

    _edited(saved, tmp_path / "q.skt", edit_spec=wrong)
    _refused(tmp_path / "q.skt", "invalid parameter .*'solver' parameter")


def test_steps_that_do_not_fit_together_are_refused(tmp_path):
    rng = np.random.default_rng(0)
    scale = StandardScaler().fit(rng.standard_normal((20, 3)))
    pca = PCA(n_components=2).fit(rng.standard_normal((20, 4)))
    sktimbre.save(Pipeline([("scale", scale), ("pca", pca)]), tmp_path / "p.skt")
    _refused(tmp_path / "p.skt", r"step 'pca' of the estimator \(sklearn.decomposition.PCA\) "
             "expects 4 input features, but step 'scale' gives 3")


def test_the_full_embedder_is_validated_across_its_steps(tmp_path):
    from sktimbre.datasets import make_notes

    X, y = make_notes(n_instruments=3, pitches=[48, 60, 67], duration=0.3, random_state=0)
    embedder = sktimbre.make_timbre_embedder(projection="pca").fit(X, y)
    sktimbre.save(embedder, tmp_path / "e.skt")
    np.testing.assert_array_equal(sktimbre.load(tmp_path / "e.skt").transform(X),
                                  embedder.transform(X))
    width = embedder[2].n_features_in_

    def narrower(spec):  # the features step now outputs fewer columns than the scaler expects
        union = _object(spec, "FamilyUnion")["state"]["transformer_list"]
        del union[0]

    _edited(tmp_path / "e.skt", tmp_path / "narrow.skt", edit_spec=narrower)
    _refused(tmp_path / "narrow.skt", rf"step 'scale' of the estimator .* expects {width} "
             r"input features, but step 'features' gives \d+")


# ----------------------------------------------------------------------------- registry


def test_trusted_types_list_neural_without_importing_it():
    code = (
        "import sys, sktimbre\n"
        "from sktimbre.persistence import TRUSTED_TYPES\n"
        "names = list(TRUSTED_TYPES)\n"
        "assert 'sktimbre.neural.GMVAEEmbedder' in names, names\n"
        "assert 'sktimbre.AudioFrontEnd' in names and 'sktimbre.MFCC' in names, names\n"
        "assert not any('._' in n for n in names), names\n"
        "print(sorted(m for m in ('torch', 'sktimbre.neural') if m in sys.modules))\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
