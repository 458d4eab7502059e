"""The API reference (docs/api.rst) lists every public name, so none can be forgotten."""

import importlib
import os
import pkgutil
import re

import sktimbre

API_PAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs",
                        "api.rst")


def _documented() -> set[str]:
    """Fully qualified names in the autosummary blocks of the API page."""
    names, module = set(), None
    with open(API_PAGE, encoding="utf-8") as f:
        lines = f.read().splitlines()
    in_autosummary = False
    for line in lines:
        if match := re.match(r"\.\. currentmodule:: (\S+)", line):
            module = match.group(1)
        elif line.startswith(".. autosummary::"):
            in_autosummary = True
        elif in_autosummary and (match := re.match(r"   (\w[\w.]*)$", line)):
            names.add(f"{module}.{match.group(1)}")
        elif in_autosummary and line and not line.startswith(" "):
            in_autosummary = False
    return names


def _public_names() -> dict[str, object]:
    """``module.name`` -> object for every name in the ``__all__`` of sktimbre and of
    its public (non-underscore) modules."""
    modules = [sktimbre] + [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(sktimbre.__path__, "sktimbre.")
        if not any(part.startswith("_") for part in info.name.split("."))
    ]
    public = {}
    for module in modules:
        for name in getattr(module, "__all__", []):
            if not name.startswith("__"):
                public[f"{module.__name__}.{name}"] = getattr(module, name)
    return public


def test_every_public_name_is_in_the_api_reference():
    documented = _documented()
    documented_objects = []
    for qualified in documented:
        module, _, name = qualified.rpartition(".")
        documented_objects.append(getattr(importlib.import_module(module), name))
    missing = [
        qualified for qualified, obj in _public_names().items()
        # re-exported names (sktimbre.embedder.make_timbre_embedder is
        # sktimbre.make_timbre_embedder) count once, wherever they are listed
        if qualified not in documented
        and not any(obj is other for other in documented_objects
                    if not isinstance(obj, (str, int, tuple)))
    ]
    assert not missing, f"add these to docs/api.rst: {missing}"


def test_api_page_lists_only_existing_names():
    for qualified in _documented():
        module, _, name = qualified.rpartition(".")
        assert hasattr(importlib.import_module(module), name), qualified
