"""Sphinx helpers of the sktimbre docs: tables generated from the code, so they cannot drift.

Directives (usable from MyST as ```` ```{sktimbre-feature-names} MFCC(deltas=2) ````):

``sktimbre-feature-names EXPR``
    The output column names of ``EXPR`` (an estimator built from names in
    ``sktimbre``), fitted on one synthetic note, as a list of literals.
``sktimbre-parameters NAME``
    A table of the constructor parameters of ``sktimbre.NAME``: name, default and the
    first sentence of its numpydoc description.

Optional pages
    ``persistence``, ``scaling``, ``bad_input`` and ``neural`` are written on other
    branches. Each is put in the toctree at the ``<!-- optional-pages -->`` marker
    of ``index.md`` when its file exists, and a Markdown link to a missing one is
    rendered as plain text, so the site builds with ``-W`` whichever have been merged.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from numpydoc.docscrape import ClassDoc

OPTIONAL_PAGES = ("persistence", "scaling", "bad_input", "neural")
_MARKER = "<!-- optional-pages -->"


def _estimator(expr: str):
    import sktimbre

    namespace = {name: getattr(sktimbre, name) for name in sktimbre.__all__
                 if not name.startswith("_")}
    return eval(expr, {"__builtins__": {}}, namespace)  # docs source is trusted


class FeatureNamesDirective(Directive):
    required_arguments = 1
    final_argument_whitespace = True

    def run(self):
        from sktimbre.datasets import make_notes

        estimator = _estimator(self.arguments[0])
        X, _ = make_notes(n_instruments=1, pitches=[60], velocities=[1.0], duration=0.5,
                          random_state=0)
        names = list(estimator.fit(X).get_feature_names_out())
        para = nodes.paragraph()
        para += nodes.Text(f"{len(names)} columns for ")
        para += nodes.literal(text=self.arguments[0])
        para += nodes.Text(": ")
        for i, name in enumerate(names):
            if i:
                para += nodes.Text(", ")
            para += nodes.literal(text=name)
        para += nodes.Text(".")
        return [para]


def _first_sentence(lines: list[str]) -> str:
    text = " ".join(line.strip() for line in lines).strip()
    match = re.match(r"(.+?\.)(\s|$)", text)
    return match.group(1) if match else text


def _inline(text: str) -> list[nodes.Node]:
    """Docstring reST to nodes, parser-independent (the page may be MyST): ``x``, `x`
    and :role:`~x` become literals, the rest text."""
    out = []
    pattern = r"(?::[\w:]+:)?`{1,2}~?([^`]+?)`{1,2}"
    pos = 0
    for match in re.finditer(pattern, text):
        if match.start() > pos:
            out.append(nodes.Text(text[pos:match.start()]))
        out.append(nodes.literal(text=match.group(1).split(".")[-1]
                                 if match.group(0).startswith(":") and "~" in match.group(0)
                                 else match.group(1)))
        pos = match.end()
    if pos < len(text):
        out.append(nodes.Text(text[pos:]))
    return out


class ParametersDirective(Directive):
    required_arguments = 1

    def run(self):
        import sktimbre

        cls = getattr(sktimbre, self.arguments[0])
        signature = inspect.signature(cls.__init__)
        described = {p.name: p.desc for p in ClassDoc(cls)["Parameters"]}
        rows = []
        for name, param in signature.parameters.items():
            if name == "self":
                continue
            default = "" if param.default is param.empty else repr(param.default)
            rows.append((name, default, _first_sentence(described.get(name, []))))

        table = nodes.table(classes=["sktimbre-parameters"])
        group = nodes.tgroup(cols=3)
        table += group
        for width in (20, 15, 65):
            group += nodes.colspec(colwidth=width)
        head, body = nodes.thead(), nodes.tbody()
        group += head
        group += body
        header = nodes.row()
        for title in ("parameter", "default", "meaning"):
            header += nodes.entry("", nodes.paragraph(text=title))
        head += header
        for name, default, desc in rows:
            row = nodes.row()
            row += nodes.entry("", nodes.paragraph("", "", nodes.literal(text=name)))
            row += nodes.entry("", nodes.paragraph("", "", nodes.literal(text=default)))
            row += nodes.entry("", nodes.paragraph("", "", *_inline(desc)))
            body += row
        return [table]


def _present(app) -> list[str]:
    return [p for p in OPTIONAL_PAGES if (Path(app.srcdir) / f"{p}.md").exists()]


def _rewrite_optional_pages(app, docname, source):
    present = _present(app)
    text = source[0]
    if _MARKER in text or any(f"]({page}.md" in text for page in OPTIONAL_PAGES):
        # remembered, so that the page is re-read when an optional page appears
        app.env.sktimbre_optional_docs = getattr(app.env, "sktimbre_optional_docs", set())
        app.env.sktimbre_optional_docs.add(docname)
    if _MARKER in text:
        text = text.replace(_MARKER, "\n".join(present))
    for page in OPTIONAL_PAGES:
        if page not in present:
            # [label](page.md) or [label](page.md#anchor) -> label (page.md)
            text = re.sub(rf"\[([^\]]+)\]\({page}\.md(#[^)]*)?\)", rf"\1 (`{page}.md`)", text)
    source[0] = text


def _outdated(app, env, added, changed, removed):
    """Re-read the pages that refer to optional pages when the set of those changes."""
    present = _present(app)
    if getattr(env, "sktimbre_optional_pages", None) != present:
        env.sktimbre_optional_pages = present
        return sorted(getattr(env, "sktimbre_optional_docs", set()))
    return []


def _merge_info(app, env, docnames, other):
    env.sktimbre_optional_docs = (getattr(env, "sktimbre_optional_docs", set())
                                  | getattr(other, "sktimbre_optional_docs", set()))


def setup(app):
    app.connect("env-get-outdated", _outdated)
    app.connect("env-merge-info", _merge_info)
    app.add_directive("sktimbre-feature-names", FeatureNamesDirective)
    app.add_directive("sktimbre-parameters", ParametersDirective)
    app.connect("source-read", _rewrite_optional_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


GALLERY_ORDER = (
    "plot_migrate_librosa_snippet.py",
    "plot_unseen_pitch_retrieval.py",
    "plot_embedding_map.py",
    "plot_grid_search_features.py",
    "plot_nearest_centroid_confusion.py",
    "plot_save_load_pretrained.py",
    "plot_dask_scaling.py",
)


class GalleryOrder:
    """Sort key of the gallery (``within_subsection_order``): a reading order, from
    migrating to scaling out; examples not listed come last, by name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        if filename in GALLERY_ORDER:
            return (GALLERY_ORDER.index(filename), filename)
        return (len(GALLERY_ORDER), filename)

    def __repr__(self):
        return f"<{type(self).__name__}>"
