"""Save and load fitted embedders without pickle: parameters and numeric arrays only.

A pickle (``joblib.dump``) can run any code when it is loaded, so a model file
from someone else is a program from someone else. :func:`save` writes a file
that holds only data, and :func:`load` rebuilds only classes registered as
trusted (:func:`register_trusted_type`; their names are :data:`TRUSTED_TYPES`):

* ``spec.json`` -- the object tree: each estimator as its public class name plus
  its state (parameters and fitted attributes), lists, tuples, dicts, strings,
  numbers, slices; and the package versions and metadata of the file;
* ``arrays/<n>.npy`` -- one numeric (or fixed-width text) array per node.

The file is a zip archive (written deterministically: same model, same bytes).
Loading treats the file as hostile until proven otherwise, in the manner of
skops (trusted types only) and safetensors (sizes checked before anything is
allocated). Every file it cannot use raises :class:`InvalidModelFileError` with
the reason: not a regular file, not a zip archive, encrypted or oddly compressed
members, members or archives over the size limits, JSON nested too deeply, array
headers that disagree with their data, a class that is not trusted
(:class:`UntrustedTypeError`), a parameter that names code or a pickle cache,
and fitted arrays that are not finite or whose shapes do not fit together. An
estimator is rebuilt the way unpickling does it (``cls.__new__`` then
``__setstate__``), so scikit-learn's own version checks run as usual.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import math
import os
import re
import stat
import struct
import sys
import threading
import warnings
import zipfile
from collections.abc import Iterable, Sequence

import numpy as np

from ._sklearn_compat import validate_estimator_params
from ._versions import VersionWarning, current_versions, version_mismatch

__all__ = [
    "VersionWarning",
    "save",
    "load",
    "read_info",
    "register_trusted_type",
    "TRUSTED_TYPES",
    "InvalidModelFileError",
    "UntrustedTypeError",
    "FORMAT_NAME",
    "FORMAT_VERSION",
]

FORMAT_NAME = "sktimbre-model"
FORMAT_VERSION = 2
"""Version of the file layout :func:`save` writes; :func:`load` reads it and every older one.

1: sktimbre 0.1 (classes named by their defining modules, e.g.
``sktimbre.frontend.AudioFrontEnd``); 2: classes named by their public names
(``sktimbre.AudioFrontEnd``), the layout being otherwise the same."""

# Limits of what load() accepts, checked against the zip and .npy headers before
# anything is read or allocated. A timbre embedder's file is tens of kilobytes
# (the pretrained one 30 kB); these leave room for far bigger models.
_MAX_FILE_BYTES = 1 << 30  # the .skt file itself
_MAX_TOTAL_BYTES = 1 << 30  # all members, inflated
_MAX_ARRAY_BYTES = 256 << 20  # one arrays/N.npy member, inflated
_MAX_SPEC_BYTES = 64 << 20  # spec.json, inflated
_MAX_MEMBERS = 10_000
_MAX_CENTRAL_DIRECTORY_BYTES = _MAX_MEMBERS * 512
_MAX_DEPTH = 100  # JSON nesting of spec.json (an embedder's is about 20)
_MAX_NDIM = 32
_MAX_PROBE_FEATURES = 1_000_000  # widest input a fitted step is test-transformed with

# numpy dtype kinds an array may have: bool, integers, floats, complex, text
_ARRAY_KINDS = set("biufcUS")
_SPEC = "spec.json"
_ARRAY_MEMBER = re.compile(r"arrays/[0-9]+\.npy")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so that saving is reproducible


class InvalidModelFileError(ValueError):
    """A file :func:`load` cannot use as a model, and why.

    Raised for every unusable file: not a regular file (a folder, a FIFO, a
    device), not an sktimbre model file (a pickle, a text file, a zip of something
    else), corrupt or tampered with (a flipped bit, an encrypted or oddly
    compressed member, a header that disagrees with its data), over a size limit,
    or holding anything but data: a class that is not trusted
    (:class:`UntrustedTypeError`, a subclass), a parameter that names code or a
    pickle cache, fitted arrays that are not finite or do not fit together. A
    missing or unreadable file raises :class:`OSError` as :func:`open` does.

    Parameters
    ----------
    path : str
        The file, as given.
    reason : str
        What is wrong with it.

    Attributes
    ----------
    path : str
        The file, as given.
    reason : str
        What is wrong with it.

    Examples
    --------
    >>> import os, tempfile
    >>> from sktimbre.persistence import InvalidModelFileError, load
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("not a model")
    >>> try:
    ...     load(path)
    ... except InvalidModelFileError as err:
    ...     print(err.reason)
    not an sktimbre model file: it is not a zip archive
    """

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")

    def __reduce__(self):
        return (type(self), (self.path, self.reason))


class UntrustedTypeError(InvalidModelFileError, TypeError):
    """An estimator or a model file holds something that is not a trusted type.

    :func:`save` raises it for an estimator that holds a class not in
    :data:`TRUSTED_TYPES` (and not passed as ``trusted=``), a function, or an
    object array of non-strings; :func:`load` for a file that names such a class,
    holds an array that would need pickle, or is a pickle. A subclass of
    :class:`InvalidModelFileError` (and of :class:`TypeError`).

    Examples
    --------
    >>> from sktimbre.persistence import InvalidModelFileError, UntrustedTypeError
    >>> issubclass(UntrustedTypeError, InvalidModelFileError)
    True
    """


def _display(path) -> str:
    """A path for messages: bytes and path-likes decoded, anything else as it prints."""
    try:
        return os.fsdecode(path)
    except TypeError:
        return repr(path)


def _type_name(obj_or_cls) -> str:
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    return f"{cls.__module__}.{cls.__qualname__}"


# ----------------------------------------------------------------------------- registry

_REGISTRY: dict[str, type] = {}  # public name -> class
_NAMES: dict[type, str] = {}  # class -> public name
_ALIASES: dict[str, str] = {}  # a name older files use -> public name
# Trusted classes of sktimbre modules that `import sktimbre` does not import (to keep
# torch and other heavy imports lazy): public name -> (module, attribute). The module
# is imported only when a file names the class. Only sktimbre's own modules go here.
_ON_DEMAND: dict[str, tuple[str, str]] = {}
_BUILTINS_REGISTERED = False
_BUILTINS_LOCK = threading.RLock()
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


def register_trusted_type(cls: type | None = None, *, name: str | None = None,
                          aliases: Iterable[str] = ()):
    """Let :func:`save` write and :func:`load` rebuild a class, under a public name.

    Every instance of a registered class is written as ``name`` plus its state
    (``__getstate__``, which must be a dict of data), and any file naming ``name``
    (or one of ``aliases``) is rebuilt as this class, without asking. Register only
    classes whose state is data and whose methods do nothing dangerous with it, as
    scikit-learn estimators; for a one-off, pass ``trusted=[cls]`` to :func:`save`
    and :func:`load` instead.

    Parameters
    ----------
    cls : type, optional
        The class. Without it, returns a decorator.
    name : str, optional
        Its public name, as users import it (``"mypackage.MyTransformer"``); by
        default ``cls.__module__ + "." + cls.__qualname__``.
    aliases : iterable of str, default=()
        Names files written earlier use for it (e.g. its old module path); they
        keep loading, and are written under ``name`` from now on.

    Returns
    -------
    cls or decorator
        ``cls``, unchanged (or a decorator that registers and returns it).

    Raises
    ------
    ValueError
        If ``name`` or an alias is not a dotted name, or already stands for
        another class, or ``cls`` is registered under another name.

    See Also
    --------
    TRUSTED_TYPES : The names registered.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator, TransformerMixin
    >>> from sktimbre.persistence import TRUSTED_TYPES, register_trusted_type
    >>> @register_trusted_type(name="mypackage.Identity")
    ... class Identity(TransformerMixin, BaseEstimator):
    ...     def fit(self, X, y=None):
    ...         return self
    ...     def transform(self, X):
    ...         return X
    >>> "mypackage.Identity" in TRUSTED_TYPES
    True
    """
    if cls is None:
        return lambda cls: register_trusted_type(cls, name=name, aliases=aliases)
    if not isinstance(cls, type):
        raise TypeError(f"register_trusted_type needs a class, got {cls!r}")
    name = _type_name(cls) if name is None else name
    aliases = [aliases] if isinstance(aliases, str) else list(aliases)
    for label in [name, *aliases]:
        if not isinstance(label, str) or not _DOTTED_NAME.fullmatch(label):
            raise ValueError(f"a trusted type's name must be a dotted name "
                             f"('package.Class'), got {label!r}")
        other = _REGISTRY.get(_ALIASES.get(label, label))
        if other is not None and not _same_class(other, cls):
            raise ValueError(f"{label!r} already stands for {_type_name(other)}")
    if cls in _NAMES and _NAMES[cls] != name:
        raise ValueError(f"{_type_name(cls)} is already registered as {_NAMES[cls]!r}")
    _REGISTRY[name] = cls
    _NAMES[cls] = name
    for alias in aliases:
        if alias != name:
            _ALIASES[alias] = name
    return cls


def _same_class(a: type, b: type) -> bool:
    # a module reloaded (importlib.reload) makes a new class object of the same name
    return a is b or _type_name(a) == _type_name(b)


def _register_on_demand(name: str, module: str, attribute: str) -> None:
    if not (module == "sktimbre" or module.startswith("sktimbre.")):
        raise ValueError("only sktimbre's own modules are imported on demand")
    _ON_DEMAND[name] = (module, attribute)


def _register_builtin_types() -> None:
    """Register scikit-learn's classes, and make sktimbre's register themselves.

    scikit-learn's classes cannot register themselves, so they are listed here;
    sktimbre's are registered at their definitions, which importing sktimbre runs.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.neighbors import NeighborhoodComponentsAnalysis
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    for cls, name in [
        (Pipeline, "sklearn.pipeline.Pipeline"),
        (FeatureUnion, "sklearn.pipeline.FeatureUnion"),
        (ColumnTransformer, "sklearn.compose.ColumnTransformer"),
        (StandardScaler, "sklearn.preprocessing.StandardScaler"),
        (FunctionTransformer, "sklearn.preprocessing.FunctionTransformer"),
        (PCA, "sklearn.decomposition.PCA"),
        (LinearDiscriminantAnalysis, "sklearn.discriminant_analysis.LinearDiscriminantAnalysis"),
        (NeighborhoodComponentsAnalysis, "sklearn.neighbors.NeighborhoodComponentsAnalysis"),
    ]:
        register_trusted_type(cls, name=name)

    # sktimbre's own classes register themselves where they are defined
    # (``@register_trusted_type(...)``): importing the package runs those lines.
    import sktimbre  # noqa: F401

    # Not imported by `import sktimbre`: imported when a file names it (torch stays lazy).
    _register_on_demand("sktimbre.neural.GMVAEEmbedder", "sktimbre.neural", "GMVAEEmbedder")


def _ensure_builtins() -> None:
    global _BUILTINS_REGISTERED
    if _BUILTINS_REGISTERED:
        return
    with _BUILTINS_LOCK:  # two threads loading at once must not see half a registry
        if not _BUILTINS_REGISTERED:
            _register_builtin_types()
            _BUILTINS_REGISTERED = True


def _trusted_class(name: str) -> type | None:
    """The registered class a (public or older) name stands for, or None."""
    _ensure_builtins()
    name = _ALIASES.get(name, name)
    if name not in _REGISTRY and name in _ON_DEMAND:
        module, attribute = _ON_DEMAND[name]
        cls = getattr(importlib.import_module(module), attribute)
        if name not in _REGISTRY:  # the module did not register it itself
            register_trusted_type(cls, name=name)
    return _REGISTRY.get(name)


def _public_name(cls: type) -> str | None:
    """The name a registered class is written under, importing nothing."""
    _ensure_builtins()
    if cls not in _NAMES:
        for name, (module, attribute) in _ON_DEMAND.items():
            if module in sys.modules and getattr(sys.modules[module], attribute, None) is cls:
                register_trusted_type(cls, name=name)
    return _NAMES.get(cls)


class _TrustedTypeNames(Sequence):
    """A live, read-only view of the registered names (a sequence of str)."""

    def _names(self) -> list[str]:
        _ensure_builtins()
        return list(_REGISTRY) + [n for n in _ON_DEMAND if n not in _REGISTRY]

    def __getitem__(self, index):
        return self._names()[index]

    def __len__(self) -> int:
        return len(self._names())

    def __contains__(self, name) -> bool:
        return name in self._names()

    def __repr__(self) -> str:
        return repr(tuple(self._names()))


TRUSTED_TYPES = _TrustedTypeNames()
"""The public names of the classes :func:`load` rebuilds (a read-only sequence of str).

A live view of the registry (:func:`register_trusted_type`): scikit-learn's
``Pipeline``, ``FeatureUnion``, ``ColumnTransformer``, ``StandardScaler``,
``FunctionTransformer``, ``PCA``, ``LinearDiscriminantAnalysis`` and
``NeighborhoodComponentsAnalysis``; sktimbre's front end, families, union and
projections, and ``sktimbre.neural.GMVAEEmbedder`` (whose module is imported only
when a file names it). Only these, plus those passed as
``load(path, trusted=[...])``, are ever instantiated."""


def _user_trusted(trusted) -> dict[str, type | None]:
    """``trusted=[...]`` as name -> class (None: a name to import if a file uses it)."""
    out: dict[str, type | None] = {}
    for item in trusted or ():
        if isinstance(item, str):
            out[item] = None
        elif isinstance(item, type):
            out[_type_name(item)] = item
        else:
            raise TypeError(f"trusted must list classes or 'module.Name' strings, got {item!r}")
    return out


def _resolve(name: str) -> type:
    """The class a user-trusted ``"module.Name"`` refers to (importing its module)."""
    module, _, attr = name.rpartition(".")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise TypeError(f"trusted name {name!r} is not a class")
    return obj


def _name_for_class(cls, user: dict[str, type | None]) -> str | None:
    """The name under which ``cls`` is saved, without importing anything new."""
    name = _public_name(cls)
    if name is not None:
        return name
    direct = _type_name(cls)
    for name, known in user.items():
        module, _, attr = name.rpartition(".")
        if known is cls or (known is None and (
            name == direct
            or (module in sys.modules and getattr(sys.modules[module], attr, None) is cls)
        )):
            return name
    return None


# Parameters of scikit-learn estimators that can name code: a function (or, mistyped,
# a string naming one) or a joblib cache folder, whose files are pickles. In a model
# file each may only hold the harmless values listed.
_CODE_PARAMETERS = {
    "func": (None,),
    "inverse_func": (None,),
    "feature_names_out": (None, "one-to-one"),
    "memory": (None,),
    "callback": (None,),
}


def _code_parameter(obj, name: str) -> tuple[str, object] | None:
    """The first parameter of ``obj`` that names code, as (parameter, value), or None."""
    if not name.startswith("sklearn."):
        return None
    state = vars(obj) if hasattr(obj, "__dict__") else {}
    for param, allowed in _CODE_PARAMETERS.items():
        if param not in state:
            continue
        value = state[param]
        if not ((value is None and None in allowed)
                or (isinstance(value, str) and value in allowed)):
            return param, value
    return None


def _code_parameter_reason(name: str, param: str, value) -> str:
    why = ("a joblib cache, whose files are pickles" if param == "memory"
           else "code, which a model file cannot hold")
    allowed = " or ".join(repr(a) for a in _CODE_PARAMETERS[param])
    return f"{name}({param}={value!r}) names {why}; only {allowed} can be loaded"


# ----------------------------------------------------------------------------- writing


class _Writer:
    def __init__(self, path: str, user_trusted):
        self.path = path
        self.user_trusted = user_trusted
        self.arrays: list[np.ndarray] = []

    def refuse(self, reason: str):
        raise UntrustedTypeError(self.path, reason)

    def array(self, a: np.ndarray, where: str) -> dict:
        if a.dtype == object:
            values = a.ravel().tolist()
            if not all(isinstance(v, str) for v in values):
                kinds = sorted({type(v).__name__ for v in values})
                self.refuse(f"cannot save {where}: an object array holding "
                            f"{', '.join(kinds)} (only numbers and text)")
            return {"__kind__": "object_str_array", "shape": list(a.shape), "items": values}
        if a.dtype.kind not in _ARRAY_KINDS or a.dtype.fields is not None:
            self.refuse(f"cannot save {where}: array of dtype {a.dtype}")
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
                self.refuse(f"cannot save {where}: dtype {obj}")
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
        name = _name_for_class(type(obj), self.user_trusted)
        if name is None or not hasattr(obj, "__getstate__"):
            self.refuse(f"cannot save {where}: {_type_name(obj)} is not a trusted type; pass "
                        f"trusted=[...] to save() and load() to allow it")
        state = obj.__getstate__()
        if not isinstance(state, dict):
            self.refuse(f"cannot save {where}: the state of {name} is not a dict")
        node = {
            "__kind__": "object",
            "class": name,
            "state": {str(k): self.node(v, f"{where}.{k}") for k, v in state.items()},
        }
        code = _code_parameter(obj, name)  # data, but data load() refuses
        if code is not None:
            raise InvalidModelFileError(
                self.path, f"cannot save {where}: " + _code_parameter_reason(name, *code))
        return node


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
    InvalidModelFileError
        If a parameter names code or a pickle cache, which :func:`load` would
        refuse (``FunctionTransformer(func=...)``, ``Pipeline(memory=...)``).

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
    writer = _Writer(_display(path), _user_trusted(trusted))
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


# ----------------------------------------------------------------------------- the archive


def _open_regular_file(path, where: str):
    """Open ``path`` for reading if it is a regular file; never block on a FIFO or device."""
    kind = _file_kind(os.stat(path).st_mode)  # OSError (missing, no permission) as open()
    if kind is None:
        # O_NONBLOCK: if the path was swapped for a FIFO since stat, open still returns
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        f = os.fdopen(fd, "rb")
        kind = _file_kind(os.fstat(f.fileno()).st_mode)
        if kind is None:
            return f
        f.close()
    raise InvalidModelFileError(where, f"is {kind}, not a model file")


def _file_kind(mode: int) -> str | None:
    """What a non-regular file is, in words (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check_zip_directory(f, where: str) -> None:
    """Refuse an archive too big or with too many members, before zipfile parses it.

    Reads the end-of-central-directory record (the last 22 bytes, plus a comment of
    up to 64 kB), as zipfile does; ZIP64 is refused: no model file comes near its
    4 GB / 65,535-member thresholds.
    """
    size = f.seek(0, os.SEEK_END)
    if size > _MAX_FILE_BYTES:
        raise InvalidModelFileError(
            where, f"is {size:,} bytes, above the {_MAX_FILE_BYTES:,}-byte limit of a model file")
    tail_size = min(size, 22 + 0xFFFF)
    f.seek(size - tail_size)
    tail = f.read(tail_size)
    at = tail.rfind(b"PK\x05\x06", 0, max(len(tail) - 18, 0))  # a whole record
    if at < 0:
        raise InvalidModelFileError(where, "is a damaged zip archive (no end record)")
    n_members, directory_size, directory_offset = struct.unpack("<10xHLL", tail[at : at + 20])
    if n_members == 0xFFFF or 0xFFFFFFFF in (directory_size, directory_offset):
        raise InvalidModelFileError(where, "is a ZIP64 archive, far larger than a model file")
    if n_members > _MAX_MEMBERS or directory_size > _MAX_CENTRAL_DIRECTORY_BYTES:
        raise InvalidModelFileError(
            where, f"lists {n_members:,} members ({directory_size:,} bytes of directory), "
            f"above the limit of {_MAX_MEMBERS:,}")
    f.seek(0)


def _check_members(infos: list[zipfile.ZipInfo], where: str) -> None:
    """Names, encryption, compression and declared sizes of every member, before reading."""
    names = [info.filename for info in infos]
    if _SPEC not in names:
        raise InvalidModelFileError(where, f"not an sktimbre model file: no {_SPEC}")
    unexpected = [n for n in names if n != _SPEC and not _ARRAY_MEMBER.fullmatch(n)]
    if unexpected:
        raise InvalidModelFileError(where, f"holds unexpected members {unexpected[:10]}; "
                                           "refusing to load it")
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise InvalidModelFileError(where, f"holds more than one member named {twice[0]}")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise InvalidModelFileError(where, f"member {info.filename} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise InvalidModelFileError(
                where, f"member {info.filename} uses compression method {info.compress_type} "
                "(a model file's members are stored or deflated)")
        limit = _MAX_SPEC_BYTES if info.filename == _SPEC else _MAX_ARRAY_BYTES
        if info.file_size > limit:
            raise InvalidModelFileError(
                where, f"member {info.filename} inflates to {info.file_size:,} bytes, above "
                f"the limit of {limit:,}")
        total += info.file_size
    if total > _MAX_TOTAL_BYTES:
        raise InvalidModelFileError(
            where, f"its members inflate to {total:,} bytes in all, above the limit of "
            f"{_MAX_TOTAL_BYTES:,}")


def _corrupt(where: str, member: str, exc: BaseException) -> InvalidModelFileError:
    return InvalidModelFileError(
        where, f"member {member} is corrupt ({type(exc).__name__}: {exc})")


def _read_spec(archive: zipfile.ZipFile, where: str) -> dict:
    info = archive.getinfo(_SPEC)
    try:
        with archive.open(info) as f:
            data = f.read(info.file_size)  # zipfile never returns more than the header says
            f.read()  # to the end, so that the CRC is checked
    except Exception as exc:
        raise _corrupt(where, _SPEC, exc) from None

    def no_constants(name):
        raise ValueError(f"{name} is not JSON (save writes no NaN or infinity)")

    try:
        spec = json.loads(data.decode("utf-8"), parse_constant=no_constants)
    except RecursionError:
        raise InvalidModelFileError(
            where, f"{_SPEC} is nested too deeply (limit: {_MAX_DEPTH} levels)") from None
    except ValueError as exc:
        raise InvalidModelFileError(where, f"{_SPEC} is not valid JSON ({exc})") from None
    depth = _depth(spec)
    if depth > _MAX_DEPTH:
        raise InvalidModelFileError(
            where, f"{_SPEC} is nested {depth} levels deep, above the limit of {_MAX_DEPTH}")
    return spec


def _depth(node) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        children = node.values() if isinstance(node, dict) else node if isinstance(
            node, list) else ()
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list)))
    return deepest


def _check_header(spec, where: str) -> None:
    """The fields around the object tree: format, version, versions, metadata."""
    if not isinstance(spec, dict) or spec.get("format") != FORMAT_NAME:
        found = spec.get("format") if isinstance(spec, dict) else type(spec).__name__
        raise InvalidModelFileError(where, f"not an sktimbre model file (format {found!r})")
    version = spec.get("format_version")
    if type(version) is not int or version < 1:
        raise InvalidModelFileError(
            where, f"format_version must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise InvalidModelFileError(
            where, f"uses format version {version}, newer than this sktimbre reads "
            f"({FORMAT_VERSION}); upgrade sktimbre")
    versions = spec.get("versions", {})
    if not isinstance(versions, dict) or not all(
            isinstance(v, str) for v in versions.values()):
        raise InvalidModelFileError(
            where, f"versions must map package names to version strings, got {versions!r:.200}")
    if not isinstance(spec.get("metadata", {}), dict):
        raise InvalidModelFileError(where, "metadata must be a JSON object")
    if "root" not in spec:
        raise InvalidModelFileError(where, f"{_SPEC} holds no estimator (no 'root')")


@contextlib.contextmanager
def _opened(path):
    """The archive and its checked spec; the file is closed on leaving."""
    where = _display(path)
    f = _open_regular_file(path, where)
    try:
        try:
            f.seek(0)
            head = f.read(4)
            if not zipfile.is_zipfile(f):
                looks = (
                    "a pickle (e.g. joblib.dump); load it with joblib.load only if you trust "
                    "whoever made it, then sktimbre.save() it"
                    if head[:1] == b"\x80"
                    else "not a zip archive"
                )
                error = UntrustedTypeError if head[:1] == b"\x80" else InvalidModelFileError
                raise error(where, f"not an sktimbre model file: it is {looks}")
            _check_zip_directory(f, where)
            archive = zipfile.ZipFile(f)
            infos = archive.infolist()
            if len(infos) > _MAX_MEMBERS:
                raise InvalidModelFileError(where, f"lists {len(infos):,} members, above the "
                                                   f"limit of {_MAX_MEMBERS:,}")
            _check_members(infos, where)
            spec = _read_spec(archive, where)
            _check_header(spec, where)
        except InvalidModelFileError:
            raise
        except Exception as exc:  # zipfile's errors on a damaged archive, of many types
            raise InvalidModelFileError(
                where, f"is a damaged zip archive ({type(exc).__name__}: {exc})") from None
        yield archive, spec
    finally:
        f.close()


# ----------------------------------------------------------------------------- reading


class _Reader:
    def __init__(self, archive: zipfile.ZipFile, where: str, user_trusted):
        self.archive, self.where = archive, where
        self.user_trusted = user_trusted
        self.members = {info.filename: info for info in archive.infolist()}
        self.used: set[str] = set()
        self.objects: list[tuple[object, str, str]] = []  # (estimator, where, class name)

    def refuse(self, what: str, error=InvalidModelFileError):
        raise error(self.where, f"holds {what}; refusing to load it")

    def array(self, node: dict, where: str) -> np.ndarray:
        name = node.get("file")
        if not isinstance(name, str) or name not in self.members:
            self.refuse(f"a reference to a missing array {name!r} at {where}")
        if name in self.used:  # each array is read once: no amplification by references
            self.refuse(f"a second reference to {name} at {where}")
        self.used.add(name)
        return _read_array(self.archive, self.members[name], self.where)

    def node(self, node, where: str):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.node(v, f"{where}[{i}]") for i, v in enumerate(node)]
        if not isinstance(node, dict):
            self.refuse(f"an unknown value {node!r:.100} at {where}")
        kind = node.get("__kind__")
        if kind == "array":
            return self.array(node, where)
        if kind == "scalar":
            a = self.array(node, where)
            if a.ndim != 0:
                self.refuse(f"a scalar of shape {a.shape} at {where}")
            return a[()]
        if kind == "object_str_array":
            return self.text_array(node, where)
        if kind == "float":
            if node.get("value") not in ("nan", "inf", "-inf"):
                self.refuse(f"a float {node.get('value')!r:.100} at {where}")
            return float(node["value"])
        if kind == "dtype":
            dtype = np.dtype(str(node.get("name")))
            if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None:
                self.refuse(f"a dtype {dtype} at {where}")
            return dtype
        if kind == "tuple":
            return tuple(self.node(v, f"{where}[{i}]")
                         for i, v in enumerate(self.items(node, where)))
        if kind == "dict":
            pairs = self.items(node, where)
            if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
                self.refuse(f"a dict whose items are not key-value pairs at {where}")
            return {self.key(k, where): self.node(v, f"{where}[{k!r:.50}]") for k, v in pairs}
        if kind == "slice":
            items = [self.node(v, where) for v in self.items(node, where)]
            if len(items) != 3 or not all(v is None or type(v) is int for v in items):
                self.refuse(f"a slice that is not (start, stop, step) integers at {where}")
            return slice(*items)
        if kind == "pandas_index":
            import pandas as pd

            return pd.Index(self.node(node.get("values"), where),
                            name=self.node(node.get("name"), where))
        if kind == "random_state":
            rng = np.random.RandomState()
            rng.set_state(self.node(node.get("state"), where))
            return rng
        if kind == "object":
            return self.object(node, where)
        self.refuse(f"a node of unknown kind {kind!r:.100} at {where}")

    def items(self, node: dict, where: str) -> list:
        items = node.get("items", [])
        if not isinstance(items, list):
            self.refuse(f"a {node.get('__kind__')} without a list of items at {where}")
        return items

    def key(self, k, where: str):
        key = self.node(k, where)
        if not isinstance(key, (str, int, float, bool, tuple, type(None))):
            self.refuse(f"a dict key of type {type(key).__name__} at {where}")
        return key

    def text_array(self, node: dict, where: str) -> np.ndarray:
        items = self.items(node, where)
        shape = node.get("shape", [len(items)])
        if not all(isinstance(v, str) for v in items):
            self.refuse(f"an object array holding something other than text at {where}")
        if (not isinstance(shape, list) or len(shape) > _MAX_NDIM
                or not all(type(n) is int and n >= 0 for n in shape)
                or math.prod(shape) != len(items)):
            self.refuse(f"a text array of shape {shape!r:.100} for {len(items)} items at {where}")
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out.reshape(shape)

    def resolve(self, name, where: str) -> type:
        cls = _trusted_class(name) if isinstance(name, str) else None
        if cls is None and isinstance(name, str) and name in self.user_trusted:
            cls = self.user_trusted[name] or _resolve(name)
        if cls is None:
            self.refuse(
                f"an instance of {name!r:.200}, which is not a trusted type (trusted: "
                f"sktimbre.persistence.TRUSTED_TYPES and load(..., trusted=[...]))",
                error=UntrustedTypeError,
            )
        return cls

    def object(self, node: dict, where: str):
        name = node.get("class")
        cls = self.resolve(name, where)
        state = node.get("state")
        if not isinstance(state, dict):
            self.refuse(f"a {name} without a state at {where}")
        for key in state:
            # data only: a state entry may not stand in for a method or a dunder
            if (key.startswith("__") and key.endswith("__")) or callable(
                    inspect.getattr_static(cls, key, None)):
                self.refuse(f"a {name} whose state replaces its attribute {key!r} at {where}")
        values = {k: self.node(v, f"{where}.{k}") for k, v in state.items()}
        obj = cls.__new__(cls)
        if hasattr(obj, "__setstate__"):
            obj.__setstate__(values)
        else:
            obj.__dict__.update(values)
        self.objects.append((obj, where, _ALIASES.get(name, name)))
        return obj


def _read_array(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> np.ndarray:
    """One ``.npy`` member, its header checked against its size before allocating."""
    name = info.filename

    def refuse(what, error=InvalidModelFileError):
        raise error(where, f"holds an array {name} {what}; refusing to load it")

    try:
        with archive.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version not in ((1, 0), (2, 0)):
                refuse(f"in .npy format version {version[0]}.{version[1]} (save writes 1.0 "
                       "or 2.0)")
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran_order, dtype = read_header(f)
            if dtype.hasobject:
                refuse(f"of dtype {dtype}, which cannot be read without pickle",
                       error=UntrustedTypeError)
            if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None:
                refuse(f"of dtype {dtype}")
            if len(shape) > _MAX_NDIM or not all(type(n) is int and n >= 0 for n in shape):
                refuse(f"of shape {shape}")
            n_bytes = math.prod(shape) * dtype.itemsize
            stored = info.file_size - f.tell()
            if n_bytes != stored or (dtype.itemsize == 0 and math.prod(shape)):
                refuse(f"whose header claims shape {shape} of {dtype} ({n_bytes:,} bytes), "
                       f"but which holds {stored:,} bytes")
            buffer = np.empty(n_bytes, dtype=np.uint8)
            view, filled = memoryview(buffer), 0
            while filled < n_bytes:
                n = f.readinto(view[filled:])
                if not n:
                    refuse(f"cut short after {filled:,} of {n_bytes:,} bytes")
                filled += n
            f.read()  # to the end, so that the CRC is checked
    except InvalidModelFileError:
        raise
    except Exception as exc:  # a flipped bit: zlib.error, BadZipFile (CRC), EOFError, ...
        raise _corrupt(where, name, exc) from None
    if dtype.kind == "b":
        buffer = buffer != 0  # any nonzero byte is True, as numpy reads it
    array = buffer.view(dtype) if dtype.itemsize else np.empty(0, dtype)
    return array.reshape(shape, order="F" if fortran_order else "C")


# ----------------------------------------------------------------------------- validation

# Fitted arrays of scikit-learn estimators whose shapes follow from other fitted
# values: each axis names an int attribute (or an array, for its length), or None
# for any length. Attributes that are absent (they depend on the solver) are skipped.
_FITTED_SHAPES = {
    "sklearn.preprocessing.StandardScaler": {
        "mean_": ("n_features_in_",), "scale_": ("n_features_in_",), "var_": ("n_features_in_",),
    },
    "sklearn.decomposition.PCA": {
        "components_": ("n_components_", "n_features_in_"), "mean_": ("n_features_in_",),
        "explained_variance_": ("n_components_",),
        "explained_variance_ratio_": ("n_components_",),
        "singular_values_": ("n_components_",),
    },
    "sklearn.discriminant_analysis.LinearDiscriminantAnalysis": {
        "coef_": (None, "n_features_in_"), "intercept_": ("coef_",),
        "means_": ("classes_", "n_features_in_"), "priors_": ("classes_",),
        "xbar_": ("n_features_in_",), "scalings_": ("n_features_in_", None),
    },
    "sklearn.neighbors.NeighborhoodComponentsAnalysis": {
        "components_": (None, "n_features_in_"),
    },
}


def _axis_length(obj, attribute: str):
    value = getattr(obj, attribute, None)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, np.ndarray) and value.ndim:
        return len(value)
    return None


def _non_finite(value, where: str) -> str | None:
    """Where in a fitted value (array, scalar, or container of them) a NaN or inf sits."""
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "fc":
        if not np.isfinite(value).all():
            return where
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = _non_finite(item, f"{where}[{i}]")
            if found:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _non_finite(item, f"{where}[{key!r}]")
            if found:
                return found
    return None


def _check_estimator(obj, where: str, name: str, path: str) -> None:
    """Checks of one rebuilt estimator that need nothing but the estimator."""
    describe = f"{where} ({name})"

    def refuse(reason):
        raise InvalidModelFileError(path, f"{describe}: {reason}")

    code = _code_parameter(obj, name)
    if code is not None:
        raise InvalidModelFileError(path, f"{describe}: " + _code_parameter_reason(name, *code))
    if hasattr(obj, "get_params"):
        try:
            obj.get_params(deep=False)
        except AttributeError as exc:
            refuse(f"a parameter is missing ({exc})")
    if hasattr(obj, "_validate_params") and hasattr(obj, "_parameter_constraints"):
        # the estimator's own parameter validation (private scikit-learn API)
        try:
            validate_estimator_params(obj)
        except (TypeError, ValueError) as exc:
            refuse(f"invalid parameter ({exc})")
    state = vars(obj) if hasattr(obj, "__dict__") else {}
    for attribute, value in state.items():
        if attribute.startswith("_"):
            continue
        found = _non_finite(value, attribute)
        if found:
            refuse(f"{found} holds NaN or infinite values")
    n_features = state.get("n_features_in_")
    if n_features is not None and (not isinstance(n_features, (int, np.integer))
                                   or isinstance(n_features, bool) or n_features < 0):
        refuse(f"n_features_in_ must be a non-negative integer, got {n_features!r}")
    names = state.get("feature_names_in_")
    if n_features is not None and names is not None and np.shape(names) != (n_features,):
        refuse(f"feature_names_in_ has shape {np.shape(names)}, expected ({n_features},)")
    for attribute, axes in _FITTED_SHAPES.get(name, {}).items():
        value = state.get(attribute)
        if value is None:
            continue
        expected = tuple(None if axis is None else _axis_length(obj, axis) for axis in axes)
        shape = np.shape(value)
        if len(shape) != len(axes) or any(e is not None and s != e
                                           for s, e in zip(shape, expected, strict=True)):
            shown = ", ".join("any" if e is None else str(e) for e in expected)
            refuse(f"{attribute} has shape {shape}, expected ({shown}{',' * (len(axes) == 1)}) "
                   f"from {', '.join(a for a in axes if a)}")


def _is_composite(obj) -> bool:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import FeatureUnion, Pipeline

    return isinstance(obj, (Pipeline, FeatureUnion, ColumnTransformer))


def _probe(obj, n_features: int, describe: str, path: str) -> int | None:
    """Transform a finite random input; the output width, or None if it cannot be tried.

    Catches what no table lists: a fitted attribute that ``transform`` needs and the
    file lacks, arrays whose shapes do not fit together, weights that turn finite
    input into NaN.
    """
    if not hasattr(obj, "transform") or n_features > _MAX_PROBE_FEATURES:
        return None
    X = np.random.default_rng(0).standard_normal((2, n_features))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = np.asarray(obj.transform(X))
    except NotImplementedError:  # e.g. LDA(solver="lsqr") classifies but has no transform
        return None
    except Exception as exc:
        hint = " (a fitted attribute it needs is missing)" if isinstance(
            exc, AttributeError) else ""
        raise InvalidModelFileError(
            path, f"{describe} cannot transform {n_features} features{hint}: "
            f"{type(exc).__name__}: {exc}") from None
    if out.ndim != 2 or out.shape[0] != 2:
        raise InvalidModelFileError(
            path, f"{describe} transforms 2 rows into an array of shape {out.shape}")
    if out.dtype.kind in "fc" and not np.isfinite(out).all():
        raise InvalidModelFileError(
            path, f"{describe} turns finite input into NaN or infinite values")
    return out.shape[1]


def _output_width(step) -> int | None:
    """The number of columns a fitted step outputs, if it says (feature names)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            names = step.get_feature_names_out()
    except Exception:
        return None
    return None if names is None else len(names)


def _validate(objects: list[tuple[object, str, str]], path: str) -> None:
    """Load-time checks of every rebuilt estimator and of how pipeline steps fit together."""
    from sklearn.pipeline import Pipeline

    widths: dict[int, int | None] = {}  # id(estimator) -> output width found by probing
    names = {id(obj): name for obj, _, name in objects}
    for obj, where, name in objects:
        _check_estimator(obj, where, name, path)
        n_features = getattr(obj, "n_features_in_", None)
        if name.startswith("sklearn.") and not _is_composite(obj) and n_features is not None:
            widths[id(obj)] = _probe(obj, int(n_features), f"{where} ({name})", path)
    for obj, where, _ in objects:
        if not isinstance(obj, Pipeline) or not isinstance(obj.steps, list):
            continue
        width, previous = None, None  # the columns the previous step outputs, if known
        for i, step in enumerate(obj.steps):
            if not (isinstance(step, tuple) and len(step) == 2):
                raise InvalidModelFileError(path, f"{where}.steps[{i}] is not (name, estimator)")
            step_name, est = step
            if est is None or (isinstance(est, str) and est == "passthrough"):
                continue
            if not (hasattr(est, "fit") or hasattr(est, "transform")):
                raise InvalidModelFileError(
                    path, f"step {step_name!r} of {where} is {est!r:.100}, not an estimator")
            describe = f"step {step_name!r} of {where} ({names.get(id(est), _type_name(est))})"
            n_features = getattr(est, "n_features_in_", None)
            if width is not None and n_features is not None and n_features != width:
                raise InvalidModelFileError(
                    path, f"{describe} expects {n_features} input features, but step "
                    f"{previous!r} gives {width}")
            if id(est) not in widths and width is not None and n_features is not None \
                    and not _is_composite(est):
                widths[id(est)] = _probe(est, int(n_features), describe, path)
            width = widths.get(id(est)) or _output_width(est)
            previous = step_name


def load(path, *, trusted=None, check_versions: bool = True):
    """Load an estimator saved by :func:`save`, rebuilding only trusted classes.

    The file is checked as untrusted input: it must be a regular file within the
    size limits (``docs/persistence.md``), every class it names must be trusted,
    no parameter may name code or a pickle cache (``FunctionTransformer(func=...)``,
    ``Pipeline(memory=...)``), fitted arrays must be finite, and the fitted steps
    must fit together (each step transforms the width the previous one outputs).

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
    InvalidModelFileError
        If the file cannot be used, whatever the reason; the message names the
        file and the reason (:class:`UntrustedTypeError`, a subclass, for a class
        that is not trusted, an array that needs pickle, or a pickle file).
    OSError
        If the file is missing or cannot be read (no permission).

    See Also
    --------
    save : Write such a file.
    read_info : The versions and metadata of a file, without loading it.
    register_trusted_type : Trust a class of your own in every file.

    Examples
    --------
    >>> import os, tempfile
    >>> import sktimbre
    >>> path = os.path.join(tempfile.mkdtemp(), "frontend.skt")
    >>> sktimbre.save(sktimbre.AudioFrontEnd(trim_db=50.0), path)
    >>> sktimbre.load(path)
    AudioFrontEnd(trim_db=50.0)
    """
    where = _display(path)
    user_trusted = _user_trusted(trusted)
    with _opened(path) as (archive, spec):
        reader = _Reader(archive, where, user_trusted)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                estimator = reader.node(spec["root"], "the estimator")
                _validate(reader.objects, where)
            except InvalidModelFileError:
                raise
            except Exception as exc:  # anything else a hostile state provokes
                raise InvalidModelFileError(
                    where, f"is malformed ({type(exc).__name__}: {exc}); refusing to load it"
                ) from None
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
        (as given to :func:`save`) and ``classes`` (every class named in the file,
        by its public name).

    Raises
    ------
    InvalidModelFileError
        If the file is not a model file, is damaged or over a size limit (as
        :func:`load`; the classes it names are listed, not checked).

    Examples
    --------
    >>> import os, tempfile
    >>> import sktimbre
    >>> from sktimbre.persistence import read_info
    >>> path = os.path.join(tempfile.mkdtemp(), "frontend.skt")
    >>> sktimbre.save(sktimbre.AudioFrontEnd(), path, metadata={"note": "demo"})
    >>> info = read_info(path)
    >>> info["metadata"], info["classes"]
    ({'note': 'demo'}, ['sktimbre.AudioFrontEnd'])
    """
    with _opened(path) as (_, spec):
        _ensure_builtins()
        return {
            "format_version": spec["format_version"],
            "versions": spec.get("versions", {}),
            "metadata": spec.get("metadata", {}),
            "classes": sorted({_ALIASES.get(name, name) for name in _classes(spec["root"])}),
        }


def _classes(node) -> Iterable[str]:
    """Every class name in a spec tree (its depth is already bounded)."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("__kind__") == "object":
                yield str(node.get("class"))
            stack.extend(node.values())
