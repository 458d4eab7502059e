"""``sktimbre info``: what a saved embedder is, what it was fitted on, with which versions."""

from __future__ import annotations

import numpy as np

from ._exit import display
from ._models import DEFAULT, load_model, model_file
from ._options import RawHelp, fill

NAME = "info"

EPILOG = "examples:\n  sktimbre info my_model.skt\n  sktimbre info default\n"


def add_parser(commands, parents):
    """Add ``info`` to the ``sktimbre`` parser's subcommands."""
    parser = commands.add_parser(
        NAME, parents=parents, help="describe a saved embedder", formatter_class=RawHelp,
        epilog=EPILOG,
        description=fill("Families, dimensions, versions and what a saved embedder was "
                         "fitted on (and which clips were skipped)."))
    parser.add_argument("model", metavar="MODEL", help=f"a saved embedder, or '{DEFAULT}'")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    """Print the description."""
    from .._versions import current_versions
    from ..persistence import read_info

    path = model_file(args.model)
    embedder = load_model(args.model)
    info = read_info(path)
    print(f"model:      {display(args.model)}"
          + (f" ({display(path)})" if path != args.model else ""))
    print(f"format:     sktimbre safe format, version {info['format_version']}")
    for line in _describe(embedder):
        print(line)
    print(f"fitted on:  {_fitted_on(embedder, info['metadata'])}")
    skipped = info["metadata"].get("skipped") or []
    if skipped:
        print(f"skipped:    {len(skipped)} clip(s) of the manifest could not be used:")
        for row in skipped[:10]:
            print(f"  line {row.get('line')}: {display(row.get('path') or '(no path)')}: "
                  f"{row.get('reason')}")
        if len(skipped) > 10:
            print(f"  ... and {len(skipped) - 10} more (all in the file's metadata: "
                  f"sktimbre.persistence.read_info)")
    now = current_versions()
    saved = {k: info["versions"][k] for k in now if k in info["versions"]}
    print("saved with: " + ", ".join(f"{k} {v}" for k, v in saved.items()))
    if any(now.get(k) != v for k, v in saved.items()):
        print("running:    " + ", ".join(f"{k} {v}" for k, v in now.items()))
    return 0


def _output_dims(embedder) -> int | None:
    """Width of the embedding, found by embedding one synthetic note."""
    t = np.arange(22050) / 22050.0
    note = (np.sin(2 * np.pi * 220.0 * t) * np.exp(-3 * t)).astype(np.float32)
    try:
        return int(np.asarray(embedder.transform([note])).shape[1])
    except Exception:
        return None


def _describe(embedder) -> list[str]:
    from sklearn.pipeline import FeatureUnion, Pipeline

    lines = []
    if isinstance(embedder, Pipeline):
        steps = [type(s).__name__.lstrip("_") for _, s in embedder.steps if s != "passthrough"]
        lines.append("pipeline:   " + " -> ".join(steps))
        frontend = embedder.steps[0][1]
        if hasattr(frontend, "trim_db"):
            trim = ("no silence trimming" if frontend.trim_db is None
                    else f"trims silence {frontend.trim_db:g} dB below the peak")
            lines.append(f"front end:  {frontend.sr} Hz, {trim}")
        union = embedder.named_steps.get("features")
        if isinstance(union, FeatureUnion):
            parts = []
            for name, family in union.transformer_list:
                try:
                    width = len(family.get_feature_names_out())
                except Exception:
                    width = "?"
                parts.append((name, type(family).__name__, width))
            total = sum(w for *_, w in parts if isinstance(w, int))
            lines.append(f"families:   {len(parts)}, {total} descriptors")
            name_width = max(12, *(len(n) + 2 for n, _, _ in parts))
            lines += [f"  {n:<{name_width}}{c:<22}{w:>4}" for n, c, w in parts]
    else:
        lines.append(f"embedder:   {type(embedder).__name__}")
    dims = _output_dims(embedder)
    lines.append(f"output:     {dims if dims is not None else '?'} dimensions")
    return lines


def _fitted_on(embedder, metadata: dict) -> str:
    if metadata.get("n_clips"):
        text = f"{metadata['n_clips']} clips"
        if metadata.get("n_augmented_copies"):
            text += f" + {metadata['n_augmented_copies']} augmented copies of each"
        if metadata.get("n_synthesized_phrases"):
            text += f" + {metadata['n_synthesized_phrases']} phrases synthesised from them"
        if metadata.get("n_recorded_phrases"):
            text += f" + {metadata['n_recorded_phrases']} recorded phrases"
        if metadata.get("fitted_on"):
            text += f", from {', '.join(metadata['fitted_on'])}"
        if metadata.get("projection"):
            text += f", projection {metadata['projection']}"
        labels = metadata.get("labels") or {}
        if all(k.lstrip("-").isdigit() for k in labels):  # JSON sorted them as text
            labels = dict(sorted(labels.items(), key=lambda kv: int(kv[0])))
        names = metadata.get("label_names") or {}
        if labels:
            shown = ", ".join(f"{names.get(k, k)} ({v})" for k, v in list(labels.items())[:12])
            more = f", ... ({len(labels)} in all)" if len(labels) > 12 else ""
            text += f"\n            {len(labels)} labels"
            if metadata.get("label_column"):
                text += f" (column {metadata['label_column']})"
            text += f": {shown}{more}"
        return text
    # saved from Python without metadata: what the fitted steps know
    steps = [s for _, s in getattr(embedder, "steps", [])] or [embedder]
    n = next((int(s.n_samples_seen_) for s in steps if hasattr(s, "n_samples_seen_")), None)
    classes = next((list(s.classes_) for s in reversed(steps) if hasattr(s, "classes_")), None)
    if n is None and classes is None:
        return "not recorded"
    text = f"{n} clips" if n is not None else "? clips"
    if classes is not None:
        text += f", {len(classes)} labels: {', '.join(map(str, classes[:12]))}"
    return text
