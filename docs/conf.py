"""Sphinx configuration of the sktimbre documentation.

Build (warnings are errors)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Needs the ``docs`` extra (``pip install -e ".[docs]"``). The gallery scripts in
``examples/plot_*.py`` run at build time on synthetic notes; no data is downloaded.
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# The sktimbre of this checkout, not another installed copy.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS / "_ext"))
# The gallery scripts import sktimbre in the same process; their subprocesses
# (joblib workers, Dask) find it through PYTHONPATH.
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])

import sktimbre  # noqa: E402

project = "sktimbre"
author = "sktimbre developers"
copyright = "2026, sktimbre developers"
version = release = sktimbre.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
    "sphinx_design",
    "sktimbre_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip"]
templates_path = ["_templates"]

# Offline previews (docs/screenshot.sh) point this at a local MathJax 2, e.g. Debian's
# libjs-mathjax; the published site loads MathJax from its CDN (Sphinx's default).
if os.environ.get("SKTIMBRE_DOCS_MATHJAX"):
    mathjax_path = os.environ["SKTIMBRE_DOCS_MATHJAX"]
    myst_update_mathjax = False  # MyST's MathJax 3 options would stop MathJax 2

# -- MyST -------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- autodoc / autosummary / numpydoc ------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False


# -- sphinx-gallery -------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # Only plot_*.py are gallery examples; helper scripts (make_demo_audio.py)
    # are neither executed nor listed.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"^(?!plot_).*\.py$",
    "within_subsection_order": "sktimbre_docs.GalleryOrder",
    "doc_module": ("sktimbre",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sktimbre": None},
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "matplotlib_animations": False,
}

# -- plot directive (figures of the narrative pages) ----------------------------
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.autolayout": False}

# -- HTML -------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sktimbre {version}"
html_static_path = ["_static"]
html_css_files = ["sktimbre.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 7,
    "secondary_sidebar_items": ["page-toc", "sg_download_links", "sg_launcher_links"],
}
html_show_sourcelink = False
# A left sidebar only where there is something to navigate (the gallery, the API
# pages); elsewhere it would be empty and narrow the text.
html_sidebars = {page: [] for page in ("index", "getting_started", "user_guide", "api",
                                        "benchmark", "changelog", "explore")}


# sklearn's metadata-routing plumbing (set_fit_request, ...) is generated on every
# estimator; its docstrings point into sklearn's glossary. Not sktimbre API.
def _skip_routing(app, what, name, obj, skip, options):
    if name == "get_metadata_routing" or (name.startswith("set_") and name.endswith("_request")):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_routing)
