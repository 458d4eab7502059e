"""A map of a sample library: one self-contained HTML page to look, listen and compare.

:func:`write_map` lays the vectors of a :class:`~sktimbre.TimbreIndex` out in two
dimensions (t-SNE or PCA from scikit-learn) and writes a single HTML file that
draws them on a canvas, coloured by a label (a manifest column) or by clusters of
the vectors, with the file name, label and pitch estimate on hover, playback on
click, a search box, and the nearest neighbours of the clicked sound -- computed
in the page from the embedded vectors, with the index's metric, exactly as
:meth:`TimbreIndex.query <sktimbre.TimbreIndex.query>` computes them.

The page loads nothing from the network: its script, styles and data are inline.
Audio is referenced by paths relative to the page's folder (keep the page next to
the library, or move both together), or, with ``embed_audio=True``, inlined as a
short MP3 preview of each clip.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import re
import urllib.request
import warnings
from collections import Counter
from importlib import resources

import numpy as np

__all__ = ["build_map_html", "write_map", "map_layout"]

# Above this many points, t-SNE is fitted on a random subset of this size and the
# other points are placed among their nearest fitted neighbours: t-SNE's cost grows
# faster than linearly (benchmarks/index.py --map, one busy core: 20 s for 2,000
# points, 81 s for 5,000), placing the rest costs a nearest-neighbour search.
MAX_TSNE_POINTS = 5000

_PALETTE = (  # distinguishable on a light background; then generated hues
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#17becf", "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173",
    "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#a55194",
)
_NO_LABEL = "(no label)"
_PREVIEW_SR = 22050


def map_layout(vectors, *, projection: str = "tsne", metric: str = "cosine",
               max_tsne_points: int | None = MAX_TSNE_POINTS, random_state=0) -> np.ndarray:
    """Two-dimensional positions for timbre vectors, near where they are similar.

    Parameters
    ----------
    vectors : array-like of shape (n_items, n_dims)
        The vectors (``TimbreIndex.vectors_``).
    projection : {"tsne", "pca"}, default="tsne"
        :class:`sklearn.manifold.TSNE` (initialised by PCA; keeps neighbourhoods,
        shows clusters) or :class:`sklearn.decomposition.PCA` (instant; keeps
        large distances, blurs clusters).
    metric : {"cosine", "euclidean"}, default="cosine"
        With ``"cosine"`` the vectors are scaled to unit length first, so that
        Euclidean distances between them rank as cosine distances do.
    max_tsne_points : int or None, default=5000
        t-SNE on more points is fitted on a random subset of this size; each
        other point is placed at the distance-weighted mean position of its three
        nearest fitted points. ``None``: t-SNE on every point, however many.
    random_state : int, default=0
        Seed of t-SNE and of the subset.

    Returns
    -------
    xy : ndarray of shape (n_items, 2), dtype float32

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.timbre_map import map_layout
    >>> rng = np.random.default_rng(0)
    >>> vectors = np.vstack([rng.normal(c, 0.1, size=(20, 5)) for c in (-1, 1)])
    >>> map_layout(vectors, projection="pca").shape
    (40, 2)
    """
    from .index import _exact_knn

    X = np.asarray(vectors, dtype=np.float64)
    if projection not in ("tsne", "pca"):
        raise ValueError(f"projection must be 'tsne' or 'pca', got {projection!r}")
    if metric == "cosine":
        X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-30)
    n = len(X)
    if n < 4 or np.ptp(X, axis=0).max(initial=0.0) == 0:  # too few, or all equal
        out = np.zeros((n, 2))
        if n > 1 and np.ptp(X, axis=0).max() > 0:
            from sklearn.decomposition import PCA

            out[:, :min(2, n - 1)] = PCA(min(2, n - 1)).fit_transform(X)
        return out.astype(np.float32)
    if projection == "pca":
        from sklearn.decomposition import PCA

        return PCA(2, random_state=random_state).fit_transform(X).astype(np.float32)
    from sklearn.manifold import TSNE

    fitted = np.arange(n)
    if max_tsne_points is not None and n > max_tsne_points:
        rng = np.random.default_rng(random_state)
        fitted = np.sort(rng.choice(n, size=max_tsne_points, replace=False))
    tsne = TSNE(2, perplexity=min(30.0, (len(fitted) - 1) / 3), init="pca",
                learning_rate="auto", random_state=random_state)
    xy = np.empty((n, 2))
    xy[fitted] = tsne.fit_transform(X[fitted])
    rest = np.setdiff1d(np.arange(n), fitted)
    if len(rest):
        distances, rows = _exact_knn(X[fitted].astype(np.float32), X[rest], 3, "euclidean")
        weights = 1.0 / np.maximum(distances, 1e-9)
        xy[rest] = np.einsum("rk,rkc->rc", weights, xy[fitted][rows]) / weights.sum(
            axis=1, keepdims=True)
    return xy.astype(np.float32)


def build_map_html(index, *, labels=None, label_name: str = "label", title: str | None = None,
                   base_dir=".", projection: str = "tsne",
                   max_tsne_points: int | None = MAX_TSNE_POINTS, n_clusters: int | None = None,
                   n_neighbors: int = 10, embed_audio: bool = False,
                   preview_seconds: float = 3.0, random_state=0) -> str:
    """The map page of an index, as HTML text (:func:`write_map` writes it to a file).

    Parameters
    ----------
    index : TimbreIndex
        A fitted index.
    labels : sequence or dict, optional
        A label per item (in the order of ``index.ids_``), or a mapping from ids
        (absolute paths) to labels; items it lacks are shown as "(no label)".
        ``None``: the points are coloured by KMeans clusters of the vectors.
    label_name : str, default="label"
        What the labels are (shown in the page: "coloured by instrument").
    title : str, optional
        The page's title. Default: "Timbre map" and the common folder of the files.
    base_dir : str or path-like, default="."
        The folder the page will be in: audio paths are written relative to it.
    projection : {"tsne", "pca"}, default="tsne"
        See :func:`map_layout`.
    max_tsne_points : int or None, default=5000
        See :func:`map_layout`.
    n_clusters : int, optional
        Clusters to colour by when there are no labels. Default: about
        ``sqrt(n_items / 10)``, from 2 to 12.
    n_neighbors : int, default=10
        Neighbours listed for the clicked sound.
    embed_audio : bool, default=False
        Put a preview of each file in the page (MP3, mono, 22.05 kHz, the first
        ``preview_seconds``: about 5 kB per second of preview), so that the page
        plays without the library next to it. Such a page is made to be passed on,
        so the file paths it shows are relative to ``base_dir`` as well, not the
        absolute paths of this machine.
    preview_seconds : float, default=3.0
        Length of the embedded previews.
    random_state : int, default=0
        Seed of the layout and the clusters.

    Returns
    -------
    page : str
        A complete HTML document that loads nothing from the network.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre import TimbreIndex
    >>> from sktimbre.timbre_map import build_map_html
    >>> rng = np.random.default_rng(0)
    >>> index = TimbreIndex(embedder=None).fit(rng.normal(size=(50, 8)))
    >>> page = build_map_html(index, projection="pca")
    >>> page.startswith("<!DOCTYPE html>"), "http" in page
    (True, False)
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(index)
    n = len(index.ids_)
    if n == 0:
        raise ValueError("the index is empty")
    if not isinstance(n_neighbors, int) or n_neighbors < 1:
        raise ValueError(f"n_neighbors must be a positive integer, got {n_neighbors!r}")
    ids = list(index.ids_)
    # files: items embedded from files, and vectors whose ids are absolute paths
    is_file = [isinstance(i, str) and (index.stamps_[row, 0] >= 0 or os.path.isabs(i))
               for row, i in enumerate(ids)]
    files = [i for i, f in zip(ids, is_file, strict=True) if f]
    root = _common_folder(files)
    names = [os.path.relpath(i, root) if f and root else str(i)
             for i, f in zip(ids, is_file, strict=True)]
    if title is None:
        title = "Timbre map" + (f" of {os.path.basename(root) or root}" if root else "")

    category, categories, colour_by = _colours(index, labels, label_name, n_clusters,
                                               random_state)
    xy = map_layout(index.vectors_, projection=projection, metric=index.metric,
                    max_tsne_points=max_tsne_points, random_state=random_state)
    if embed_audio:
        src = _previews(ids, is_file, preview_seconds)
        # a page that travels should not carry this machine's folder layout
        shown_paths = [_relative_path(i, base_dir) if f else str(i)
                       for i, f in zip(ids, is_file, strict=True)]
    else:
        shown_paths = [str(i) for i in ids]
        src = [_relative_url(i, base_dir) if f else None for i, f in zip(ids, is_file,
                                                                         strict=True)]
    pitch = [None if not np.isfinite(p) else round(float(p), 1) for p in index.pitch_hz_]
    data = {
        "title": title,
        "n": n,
        "dims": int(index.vectors_.shape[1]),
        "metric": index.metric,
        "k": int(n_neighbors),
        "colour_by": colour_by,
        "xy": _base64(xy),
        "vectors": _base64(index.vectors_),
        "names": names,
        "paths": shown_paths,
        "src": src,
        "label": category,
        "categories": categories,
        "pitch": pitch,
    }
    return _render(title, data)


def write_map(index, path, **kwargs) -> None:
    """Write the map page of an index to an HTML file.

    Parameters
    ----------
    index : TimbreIndex
        A fitted index.
    path : str or path-like
        The file to write (``map.html``); audio paths in it are relative to its
        folder.
    **kwargs
        As for :func:`build_map_html` (all but ``base_dir``).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sktimbre import TimbreIndex
    >>> from sktimbre.timbre_map import write_map
    >>> index = TimbreIndex(embedder=None).fit(np.random.default_rng(0).normal(size=(30, 4)))
    >>> path = os.path.join(tempfile.mkdtemp(), "map.html")
    >>> write_map(index, path, projection="pca", labels=["a", "b", "c"] * 10)
    >>> os.path.getsize(path) > 10_000
    True
    """
    if "base_dir" in kwargs:
        raise TypeError("write_map sets base_dir to the folder of path")
    folder = os.path.dirname(os.path.abspath(path))
    page = build_map_html(index, base_dir=folder, **kwargs)
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)


# ---------------------------------------------------------------------------- helpers


def _common_folder(paths: list[str]) -> str:
    if not paths:
        return ""
    try:
        root = os.path.commonpath([os.path.dirname(p) for p in paths])
    except ValueError:  # different drives
        return ""
    return root


def _relative_path(path: str, base_dir) -> str:
    """``path`` relative to the page's folder (the file name alone across drives)."""
    try:
        return os.path.relpath(path, os.path.abspath(base_dir))
    except ValueError:
        return os.path.basename(path)


def _relative_url(path: str, base_dir) -> str:
    """A URL for ``path`` relative to the page's folder (file URL across drives)."""
    try:
        relative = os.path.relpath(path, os.path.abspath(base_dir))
    except ValueError:
        from pathlib import Path

        return Path(path).as_uri()
    return urllib.request.pathname2url(relative)


def _colours(index, labels, label_name, n_clusters, random_state):
    """Per item a category number; the categories (name, colour, count); their kind."""
    n = len(index.ids_)
    if labels is None:
        names = _cluster_names(index, n_clusters, random_state)
        colour_by = "cluster"
    else:
        if isinstance(labels, dict):
            names = [str(labels[i]) if i in labels else _NO_LABEL for i in index.ids_]
        else:
            names = [str(v) for v in labels]
            if len(names) != n:
                raise ValueError(f"labels has {len(names)} entries for {n} items")
        colour_by = label_name
    counts = Counter(names)
    # big categories first (they get the clearest colours); "(no label)" last, grey
    order = sorted(counts, key=lambda c: (c == _NO_LABEL, -counts[c], _natural(c)))
    if colour_by == "cluster":
        order = sorted(counts, key=lambda c: int(c.split()[-1]))
    number = {name: i for i, name in enumerate(order)}
    categories = [{"name": name, "colour": "#b0b0b0" if name == _NO_LABEL else _colour(i),
                   "count": counts[name]} for i, name in enumerate(order)]
    return [number[name] for name in names], categories, colour_by


def _natural(text: str):
    """Sort key: "violin 2" before "violin 10"."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


def _colour(i: int) -> str:
    if i < len(_PALETTE):
        return _PALETTE[i]
    hue = (i * 137.508) % 360  # golden angle: successive hues far apart
    return f"hsl({hue:.0f}, 55%, {45 + 10 * (i % 2)}%)"


def _cluster_names(index, n_clusters, random_state) -> list[str]:
    """KMeans clusters of the vectors (unit-length for cosine), named by size."""
    from sklearn.cluster import KMeans

    X = index.vectors_.astype(np.float64)
    if index.metric == "cosine":
        X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-30)
    n = len(X)
    k = n_clusters if n_clusters is not None else int(np.clip(round(np.sqrt(n / 10)), 2, 12))
    k = max(1, min(k, n, len(np.unique(X, axis=0))))
    if k == 1:
        return ["cluster 1"] * n
    labels = KMeans(k, n_init=3, random_state=random_state).fit_predict(X)
    sizes = np.bincount(labels, minlength=k)
    rank = np.empty(k, dtype=int)
    rank[np.argsort(-sizes, kind="stable")] = np.arange(1, k + 1)
    return [f"cluster {rank[c]}" for c in labels]


def _previews(ids, is_file, seconds: float) -> list:
    """A data URL per file: its first seconds as MP3 (WAV where MP3 cannot be written)."""
    import soundfile as sf

    from .io import load_clip

    mp3 = "MP3" in sf.available_formats()
    out, failed = [], []
    fade = int(0.05 * _PREVIEW_SR)
    for item, f in zip(ids, is_file, strict=True):
        if not f:
            out.append(None)
            continue
        try:
            y = load_clip(item, sr=_PREVIEW_SR)[: int(seconds * _PREVIEW_SR)].copy()
        except ValueError as exc:
            failed.append(f"{item}: {exc}")
            out.append(None)
            continue
        if len(y) > fade:  # fade out, so that a cut note does not click
            y[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        y = np.clip(y, -1.0, 1.0)
        buffer = io.BytesIO()
        if mp3:
            sf.write(buffer, y, _PREVIEW_SR, format="MP3", subtype="MPEG_LAYER_III")
            mime = "audio/mpeg"
        else:
            sf.write(buffer, y[::2], _PREVIEW_SR // 2, format="WAV", subtype="PCM_16")
            mime = "audio/wav"
        out.append(f"data:{mime};base64," + base64.b64encode(buffer.getvalue()).decode())
    if failed:
        warnings.warn(f"{len(failed)} file(s) could not be read for previews and play nothing "
                      f"in the map: " + "; ".join(failed[:5]), stacklevel=3)
    return out


def _base64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode("ascii")


def _template(name: str) -> str:
    return resources.files("sktimbre").joinpath("_map", name).read_text(encoding="utf-8")


def _render(title: str, data: dict) -> str:
    from ._versions import __version__

    # JSON inside <script>: "</" and "<!--" must not appear, or the HTML parser
    # would end the element early; "\u003c" is the same text to JSON.parse.
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    page = _template("map.html")
    for key, value in (("{{STYLE}}", _template("map.css")),
                       ("{{SCRIPT}}", _template("map.js")),
                       ("{{VERSION}}", __version__),
                       ("{{TITLE}}", html.escape(title))):
        page = page.replace(key, value)
    return page.replace("{{DATA}}", payload)  # last: the data may hold "{{...}}"
