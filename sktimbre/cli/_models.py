"""The model named by ``--model``: loaded safely and checked before any audio is decoded."""

from __future__ import annotations

import os

from ._exit import UsageError, display

DEFAULT = "default"


def model_file(spec: str) -> str:
    """The file behind ``--model``: ``default`` is the pretrained embedder's."""
    if spec == DEFAULT:
        from ..pretrained import PRETRAINED_PATH

        return PRETRAINED_PATH
    return spec


def load_model(spec: str):
    """The pretrained default, or any estimator saved in sktimbre's safe format.

    Raises
    ------
    UsageError
        No such file, or a file that cannot be loaded (a pickle, an untrusted
        class, a damaged archive): the reason, in one line.
    """
    from ..persistence import load
    from ..pretrained import load_pretrained_embedder

    if spec == DEFAULT:
        return load_pretrained_embedder()
    if not os.path.isfile(spec):
        what = "a folder" if os.path.isdir(spec) else "no such file"
        raise UsageError(f"no model file {display(spec)} ({what}): give a file written by "
                         f"`sktimbre fit` or sktimbre.save(), or '{DEFAULT}'")
    try:
        return load(spec)
    except Exception as exc:  # every unusable file, whatever the loader raises
        reason = str(exc) or type(exc).__name__
        prefix = "" if display(spec) in reason else f"cannot load {display(spec)}: "
        raise UsageError(prefix + reason) from exc


def load_embedder(spec: str):
    """:func:`load_model`, checked to be a fitted embedder of audio.

    The commands that embed audio need the library's bad-clip machinery
    (``on_error="nan"`` and ``failures_``), which lives in the front end: so an
    embedder here is a :class:`~sklearn.pipeline.Pipeline` whose first step is an
    :class:`~sktimbre.AudioFrontEnd` -- what ``sktimbre fit``,
    :func:`~sktimbre.make_timbre_embedder` and :func:`~sktimbre.load_pretrained_embedder`
    give -- and it must be fitted.

    Raises
    ------
    UsageError
        Anything else (e.g. a saved bare ``StandardScaler``), said up front.
    """
    from sklearn.exceptions import NotFittedError
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import check_is_fitted

    from ..frontend import AudioFrontEnd

    model = load_model(spec)
    name = "the pretrained embedder" if spec == DEFAULT else display(spec)
    if not (isinstance(model, Pipeline) and isinstance(model.steps[0][1], AudioFrontEnd)):
        kind = type(model).__name__
        if isinstance(model, Pipeline):
            kind = f"Pipeline starting with {type(model.steps[0][1]).__name__}"
        raise UsageError(
            f"{name} holds a {kind}, not an embedder of audio: --model needs a Pipeline "
            f"whose first step is an sktimbre.AudioFrontEnd (what `sktimbre fit`, "
            f"make_timbre_embedder() and load_pretrained_embedder() give)")
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise UsageError(f"{name} is not fitted: fit it (e.g. `sktimbre fit`) before "
                         f"saving it") from None
    return model


def column_names(embedder) -> list[str] | None:
    """The names of the embedder's output columns (``timbre_00``, ...), if it has them."""
    try:
        return [str(name) for name in embedder.get_feature_names_out()]
    except Exception:  # a projection without names: the writer numbers the columns
        return None
