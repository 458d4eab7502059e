"""Save and load fitted embedders without pickle: parameters and numeric arrays only.

A pickle (``joblib.dump``) can run any code when it is loaded, so a model file
from someone else is a program from someone else. :func:`save` writes a file
that holds only data, and :func:`load` rebuilds only classes on an explicit list
of trusted types (:data:`TRUSTED_TYPES`):

* ``spec.json`` -- the object tree: each estimator as its class name plus its
  state (parameters and fitted attributes), lists, tuples, dicts, strings,
  numbers, slices; and the package versions and metadata of the file;
* ``arrays/<n>.npy`` -- one numeric (or fixed-width text) array per node, read
  with ``allow_pickle=False``.

The file is a zip archive (written deterministically: same model, same bytes).
Loading refuses, with an error naming what it found, any class that is not
trusted, any array with an object dtype, a pickle, and any member of the
archive it does not expect. An estimator is rebuilt the way unpickling does it
(``cls.__new__`` then ``__setstate__``), so scikit-learn's own version checks
run as usual.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import sys
import warnings
import zipfile
from collections.abc import Iterable

import numpy as np

from ._versions import VersionWarning, current_versions, version_mismatch

__all__ = [
    "VersionWarning",
    "save",
    "load",
    "read_info",
    "TRUSTED_TYPES",
    "UntrustedTypeError",
    "FORMAT_NAME",
    "FORMAT_VERSION",
]

FORMAT_NAME = "sktimbre-model"
FORMAT_VERSION = 1

TRUSTED_TYPES = (
    # scikit-learn, by their public names
    "sklearn.pipeline.Pipeline",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.compose.ColumnTransformer",
    "sklearn.preprocessing.StandardScaler",
    "sklearn.preprocessing.FunctionTransformer",
    "sklearn.decomposition.PCA",
    "sklearn.discriminant_analysis.LinearDiscriminantAnalysis",
    "sklearn.neighbors.NeighborhoodComponentsAnalysis",
    # sktimbre's front end, families and projections
    "sktimbre.frontend.AudioFrontEnd",
    "sktimbre.embedder.FamilyUnion",
    "sktimbre.families.MFCC",
    "sktimbre.families.MelBands",
    "sktimbre.families.SpectralContrast",
    "sktimbre.families.Chroma",
    "sktimbre.families.SpectralShape",
    "sktimbre.families.TemporalEnvelope",
    "sktimbre.families.HarmonicDescriptors",
    "sktimbre.families.PitchEstimate",
    "sktimbre.projection.NaNRowsPassthrough",
    "sktimbre.projection.TimbreProjection",
    "sktimbre.projection.FrozenLinearProjection",
    "sktimbre.projection.PitchNullProjection",
    "sktimbre.pretrained._FrozenLinearProjection",
    # the learned embedder (imported only when a file names it)
    "sktimbre.neural.GMVAEEmbedder",
)
"""Classes :func:`load` rebuilds, as ``"module.Name"`` (public import paths).

Only these, plus those passed as ``load(path, trusted=[...])``, are ever
instantiated; nothing is imported to build this list."""

# numpy dtype kinds an array may have: bool, integers, floats, complex, text
_ARRAY_KINDS = set("biufcUS")
_SPEC = "spec.json"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so that saving is reproducible


class UntrustedTypeError(TypeError):
    """A model file holds something :func:`load` will not rebuild, or is no model file.

    Examples
    --------
    >>> from sktimbre.persistence import UntrustedTypeError
    >>> issubclass(UntrustedTypeError, TypeError)
    True
    """


def _type_name(obj_or_cls) -> str:
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    return f"{cls.__module__}.{cls.__qualname__}"


def _trusted_names(trusted) -> list[str]:
    names = list(TRUSTED_TYPES)
    for item in trusted or ():
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, type):
            names.append(_type_name(item))
        else:
            raise TypeError(f"trusted must list classes or 'module.Name' strings, got {item!r}")
    return names


def _resolve(name: str):
    """The class a trusted ``"module.Name"`` refers to (importing its module)."""
    module, _, attr = name.rpartition(".")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise UntrustedTypeError(f"trusted name {name!r} is not a class")
    return obj


def _name_for_class(cls, trusted_names: list[str]) -> str | None:
    """The trusted name under which ``cls`` is saved, without importing anything new."""
    direct = _type_name(cls)
    for name in trusted_names:
        module, _, attr = name.rpartition(".")
        if name == direct or (
            module in sys.modules and getattr(sys.modules[module], attr, None) is cls
        ):
            return name
    return None


# ----------------------------------------------------------------------------- writing


class _Writer:
    def __init__(self, trusted_names):
        self.trusted_names = trusted_names
        self.arrays: list[np.ndarray] = []

    def array(self, a: np.ndarray, where: str) -> dict:
        if a.dtype == object:
            values = a.ravel().tolist()
            if not all(isinstance(v, str) for v in values):
                kinds = sorted({type(v).__name__ for v in values})
                raise UntrustedTypeError(
                    f"cannot save {where}: an object array holding "
                    f"{', '.join(kinds)} (only numbers and text)"
                )
            return {"__kind__": "object_str_array", "shape": list(a.shape), "items": values}
        if a.dtype.kind not in _ARRAY_KINDS or a.dtype.fields is not None:
            raise UntrustedTypeError(f"cannot save {where}: array of dtype {a.dtype}")
        self.arrays.append(a)
        return {"__kind__": "array", "file": f"arrays/{len(self.arrays) - 1}.npy"}

    def node(self, obj, where: str):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int) and type(obj) is int:
            return obj
        if type(obj) is float:
            return obj if np.isfinite(obj) else {"__kind__": "float", "value": repr(obj)}
        if isinstance(obj, np.ndarray):
            return self.array(obj, where)
        if isinstance(obj, np.generic):
            node = self.array(np.asarray(obj), where)
            node["__kind__"] = "scalar"
            return node
        if isinstance(obj, np.dtype):
            if obj.kind not in _ARRAY_KINDS or obj.fields is not None:
                raise UntrustedTypeError(f"cannot save {where}: dtype {obj}")
            return {"__kind__": "dtype", "name": obj.str}
        if isinstance(obj, list):
            return [self.node(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, tuple) and type(obj) is tuple:
            return {
                "__kind__": "tuple",
                "items": [self.node(v, f"{where}[{i}]") for i, v in enumerate(obj)],
            }
        if isinstance(obj, dict) and type(obj) is dict:
            return {
                "__kind__": "dict",
                "items": [
                    [self.node(k, f"{where} key"), self.node(v, f"{where}[{k!r}]")]
                    for k, v in obj.items()
                ],
            }
        if isinstance(obj, slice):
            return {
                "__kind__": "slice",
                "items": [self.node(v, where) for v in (obj.start, obj.stop, obj.step)],
            }
        if type(obj).__module__.startswith("pandas") and type(obj).__name__ == "Index":
            # column names kept by fitted steps under set_output(transform="pandas")
            return {
                "__kind__": "pandas_index",
                "values": self.node(obj.to_numpy(), where),
                "name": self.node(obj.name, where),
            }
        if isinstance(obj, np.random.RandomState):
            return {
                "__kind__": "random_state",
                "state": self.node(obj.get_state(legacy=True), where),
            }
        name = _name_for_class(type(obj), self.trusted_names)
        if name is None or not hasattr(obj, "__getstate__"):
            raise UntrustedTypeError(
                f"cannot save {where}: {_type_name(obj)} is not a trusted type; pass "
                f"trusted=[...] to save() and load() to allow it"
            )
        state = obj.__getstate__()
        if not isinstance(state, dict):
            raise UntrustedTypeError(f"cannot save {where}: the state of {name} is not a dict")
        return {
            "__kind__": "object",
            "class": name,
            "state": {str(k): self.node(v, f"{where}.{k}") for k, v in state.items()},
        }


def save(estimator, path, *, metadata: dict | None = None, trusted=None) -> None:
    """Save a (fitted) estimator to a file that holds no code: no pickle.

    Parameters
    ----------
    estimator : estimator
        Typically a timbre embedder (:func:`~sktimbre.make_timbre_embedder`,
        fitted). Every object in it must be of a class in :data:`TRUSTED_TYPES`
        (or in ``trusted``); its state may hold numbers, strings, lists, tuples,
        dicts, slices, numeric or text arrays and numpy scalars.
    path : str or path-like
        File to write (``.skt`` by convention).
    metadata : dict, optional
        JSON-serialisable facts to store with it (e.g. what it was fitted on);
        :func:`read_info` returns them. ``sktimbre fit`` stores the number of clips
        and the labels.
    trusted : list of class or str, optional
        Classes of your own to allow in the file besides :data:`TRUSTED_TYPES`;
        pass the same list to :func:`load`.

    Raises
    ------
    UntrustedTypeError
        If the estimator holds something the format cannot represent as data
        (a function, an untrusted class, an object array of non-strings).

    See Also
    --------
    load : Rebuild the estimator.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import sktimbre
    >>> from sktimbre.datasets import make_notes
    >>> X, y = make_notes(n_instruments=3, pitches=[48, 55, 60, 67], random_state=0)
    >>> embedder = sktimbre.make_timbre_embedder().fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "embedder.skt")
    >>> sktimbre.save(embedder, path)
    >>> again = sktimbre.load(path)
    >>> np.array_equal(again.transform(X), embedder.transform(X))
    True
    """
    writer = _Writer(_trusted_names(trusted))
    root = writer.node(estimator, "the estimator")
    spec = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "versions": current_versions(),
        "metadata": metadata or {},
        "root": root,
    }
    text = json.dumps(spec, indent=1, sort_keys=True, allow_nan=False)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _write_member(archive, _SPEC, text.encode("utf-8"))
        for i, a in enumerate(writer.arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, a, allow_pickle=False)
            _write_member(archive, f"arrays/{i}.npy", buffer.getvalue())


def _write_member(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


# ----------------------------------------------------------------------------- reading


def _open(path) -> tuple[zipfile.ZipFile, dict]:
    where = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(4)
    if not zipfile.is_zipfile(path):
        looks = (
            "a pickle (e.g. joblib.dump); load it with joblib.load only if you trust "
            "whoever made it, then sktimbre.save() it"
            if head[:1] == b"\x80"
            else "not a zip archive"
        )
        raise UntrustedTypeError(f"{where} is not an sktimbre model file: it is {looks}")
    archive = zipfile.ZipFile(path)
    try:
        names = archive.namelist()
        if _SPEC not in names:
            raise UntrustedTypeError(f"{where} is not an sktimbre model file: no {_SPEC}")
        unexpected = [
            n
            for n in names
            if n != _SPEC
            and not (n.startswith("arrays/") and n.endswith(".npy") and "/" not in n[7:])
        ]
        if unexpected:
            raise UntrustedTypeError(
                f"{where} holds unexpected members {unexpected}; refusing to load it"
            )
        try:
            spec = json.loads(archive.read(_SPEC).decode("utf-8"))
        except ValueError as exc:
            raise UntrustedTypeError(f"{where}: {_SPEC} is not valid JSON ({exc})") from None
        if not isinstance(spec, dict) or spec.get("format") != FORMAT_NAME:
            raise UntrustedTypeError(
                f"{where} is not an sktimbre model file (format {spec.get('format')!r})"
            )
        if spec.get("format_version", 0) > FORMAT_VERSION:
            raise UntrustedTypeError(
                f"{where} uses format version {spec['format_version']}, newer than this "
                f"sktimbre reads ({FORMAT_VERSION}); upgrade sktimbre"
            )
    except BaseException:
        archive.close()
        raise
    return archive, spec


class _Reader:
    def __init__(self, archive, where, trusted_names):
        self.archive, self.where = archive, where
        self.trusted_names = set(trusted_names)

    def refuse(self, what: str):
        raise UntrustedTypeError(f"{self.where} holds {what}; refusing to load it")

    def array(self, node: dict) -> np.ndarray:
        name = node.get("file")
        if not isinstance(name, str) or name not in self.archive.namelist():
            self.refuse(f"a reference to a missing array {name!r}")
        with self.archive.open(name) as f:
            try:
                a = np.lib.format.read_array(io.BytesIO(f.read()), allow_pickle=False)
            except ValueError as exc:
                self.refuse(f"an array {name} that cannot be read without pickle ({exc})")
        if a.dtype.kind not in _ARRAY_KINDS or a.dtype.fields is not None:
            self.refuse(f"an array {name} of dtype {a.dtype}")
        return a

    def node(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.node(v) for v in node]
        if not isinstance(node, dict):
            self.refuse(f"an unknown value {node!r}")
        kind = node.get("__kind__")
        if kind == "array":
            return self.array(node)
        if kind == "scalar":
            a = self.array(node)
            if a.ndim != 0:
                self.refuse(f"a scalar of shape {a.shape}")
            return a[()]
        if kind == "object_str_array":
            items = node.get("items")
            if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
                self.refuse("an object array holding something other than text")
            out = np.empty(len(items), dtype=object)
            out[:] = items
            return out.reshape([int(n) for n in node.get("shape", [len(items)])])
        if kind == "float":
            if node.get("value") not in ("nan", "inf", "-inf"):
                self.refuse(f"a float {node.get('value')!r}")
            return float(node["value"])
        if kind == "dtype":
            dtype = np.dtype(str(node.get("name")))
            if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None:
                self.refuse(f"a dtype {dtype}")
            return dtype
        if kind == "tuple":
            return tuple(self.node(v) for v in node.get("items", []))
        if kind == "dict":
            return {self._key(k): self.node(v) for k, v in node.get("items", [])}
        if kind == "slice":
            return slice(*(self.node(v) for v in node.get("items", [None, None, None])))
        if kind == "pandas_index":
            import pandas as pd

            return pd.Index(self.node(node.get("values")), name=self.node(node.get("name")))
        if kind == "random_state":
            state = self.node(node.get("state"))
            rng = np.random.RandomState()
            rng.set_state(state)
            return rng
        if kind == "object":
            return self.object(node)
        self.refuse(f"a node of unknown kind {kind!r}")

    def _key(self, k):
        key = self.node(k)
        if not isinstance(key, (str, int, float, bool, tuple, type(None))):
            self.refuse(f"a dict key of type {type(key).__name__}")
        return key

    def object(self, node: dict):
        name = node.get("class")
        if not isinstance(name, str) or name not in self.trusted_names:
            self.refuse(
                f"an instance of {name!r}, which is not a trusted type (trusted: "
                f"sktimbre.persistence.TRUSTED_TYPES and load(..., trusted=[...]))"
            )
        cls = _resolve(name)
        state = node.get("state")
        if not isinstance(state, dict):
            self.refuse(f"a {name} without a state")
        obj = cls.__new__(cls)
        values = {k: self.node(v) for k, v in state.items()}
        if hasattr(obj, "__setstate__"):
            obj.__setstate__(values)
        else:
            obj.__dict__.update(values)
        return obj


def load(path, *, trusted=None, check_versions: bool = True):
    """Load an estimator saved by :func:`save`, rebuilding only trusted classes.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.
    trusted : list of class or str, optional
        Classes of your own to allow besides :data:`TRUSTED_TYPES` (as given to
        :func:`save`): the class objects, or ``"module.Name"`` strings.
    check_versions : bool, default=True
        Warn (:class:`VersionWarning`) when the file was saved
        under other versions of sktimbre, scikit-learn, librosa or numpy, naming
        both.

    Returns
    -------
    estimator : estimator
        As saved.

    Raises
    ------
    UntrustedTypeError
        If the file holds a class not trusted, an object array, a pickle or
        anything else but data, or is not a model file; the message says what.

    See Also
    --------
    save : Write such a file.
    read_info : The versions and metadata of a file, without loading it.

    Examples
    --------
    >>> import os, tempfile
    >>> import sktimbre
    >>> path = os.path.join(tempfile.mkdtemp(), "frontend.skt")
    >>> sktimbre.save(sktimbre.AudioFrontEnd(trim_db=50.0), path)
    >>> sktimbre.load(path)
    AudioFrontEnd(trim_db=50.0)
    """
    archive, spec = _open(path)
    where = os.fspath(path)
    with archive:
        reader = _Reader(archive, where, _trusted_names(trusted))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                estimator = reader.node(spec.get("root"))
            except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
                if isinstance(exc, UntrustedTypeError):
                    raise
                raise UntrustedTypeError(
                    f"{where} is malformed ({type(exc).__name__}: {exc}); refusing to load it"
                ) from exc
    from sklearn.exceptions import InconsistentVersionWarning

    for w in caught:
        # the file-level warning below names every version, sklearn's included
        if not issubclass(w.category, (InconsistentVersionWarning, VersionWarning)):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if check_versions:
        message = version_mismatch(spec.get("versions") or {}, where)
        if message:
            warnings.warn(message, VersionWarning, stacklevel=2)
    return estimator


def read_info(path) -> dict:
    """The format, versions and metadata of a saved file, without building anything.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.

    Returns
    -------
    info : dict
        ``format_version``, ``versions`` (as recorded when saved), ``metadata``
        (as given to :func:`save`) and ``classes`` (every class named in the file).

    Examples
    --------
    >>> import os, tempfile
    >>> import sktimbre
    >>> from sktimbre.persistence import read_info
    >>> path = os.path.join(tempfile.mkdtemp(), "frontend.skt")
    >>> sktimbre.save(sktimbre.AudioFrontEnd(), path, metadata={"note": "demo"})
    >>> info = read_info(path)
    >>> info["metadata"], info["classes"]
    ({'note': 'demo'}, ['sktimbre.frontend.AudioFrontEnd'])
    """
    archive, spec = _open(path)
    archive.close()
    return {
        "format_version": spec.get("format_version"),
        "versions": spec.get("versions", {}),
        "metadata": spec.get("metadata", {}),
        "classes": sorted(set(_classes(spec["root"]))),
    }


def _classes(node) -> Iterable[str]:
    if isinstance(node, list):
        for v in node:
            yield from _classes(v)
    elif isinstance(node, dict):
        if node.get("__kind__") == "object":
            yield str(node.get("class"))
        for v in node.values():
            yield from _classes(v)
