"""The docs' Sphinx helpers (docs/_ext/sktimbre_docs.py): optional pages and inline markup."""

import importlib.util
import os
from types import SimpleNamespace

import pytest

pytest.importorskip("numpydoc", reason="the docs helpers need the docs extra")
pytest.importorskip("docutils", reason="the docs helpers need the docs extra")

_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs",
                     "_ext", "sktimbre_docs.py")
_spec = importlib.util.spec_from_file_location("sktimbre_docs", _PATH)
ext = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ext)


def _rewrite(tmp_path, text, present=()):
    for page in present:
        (tmp_path / f"{page}.md").write_text("# page\n")
    app = SimpleNamespace(srcdir=str(tmp_path), env=SimpleNamespace())
    source = [text]
    ext._rewrite_optional_pages(app, "user_guide", source)
    return source[0], app.env


def test_present_optional_pages_go_into_the_toctree_and_keep_their_links(tmp_path):
    text = "See [Saving](persistence.md#format).\n```{toctree}\n<!-- optional-pages -->\n```"
    out, env = _rewrite(tmp_path, text, present=["persistence", "neural"])
    assert "[Saving](persistence.md#format)" in out
    assert "```{toctree}\npersistence\nneural\n```" in out
    assert env.sktimbre_optional_docs == {"user_guide"}


def test_links_to_missing_optional_pages_become_text(tmp_path):
    out, _ = _rewrite(tmp_path, "See [Bad input](bad_input.md) and [x](user_guide.md).")
    assert out == "See Bad input (`bad_input.md`) and [x](user_guide.md)."


def test_inline_docstring_markup_becomes_literals():
    nodes = ext._inline("see :func:`~sktimbre.pooling.pool_frames`, ``None`` or `sr`.")
    literals = [n.astext() for n in nodes if n.tagname == "literal"]
    assert literals == ["pool_frames", "None", "sr"]
