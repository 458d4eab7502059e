"""Peak memory of embedding a corpus, against a corpus ten times smaller.

Usage::

    python benchmarks/memory.py ../shared/data/fluidr3 [--sizes 2000 20000] [--batch-size 256]

Each size runs in a fresh process (the corpus is the data set's clips repeated
until it has that many paths), which embeds it with the pretrained default
embedder -- an ordinary ``embedder.transform(paths)`` -- and reports its peak
resident memory (``ru_maxrss``). Streaming makes the peak depend on the batch
size, not on the number of clips: the ratio of the two peaks is the number to
look at (the issue asks for at most 1.5x). Then, also in a fresh process, one long
take of ``--long-take`` seconds (default 599: just inside the front end's
``max_duration=600``), made of the data set's clips end to end, is embedded: its
peak resident memory beside that of the same process after embedding one short
clip is the memory budget of the longest clip the default accepts. Finally a
30-minute clip is offered to the embedder, which refuses it before analysing it,
naming the limit.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time


def _child(data_dir: str, n_clips: int, batch_size: int) -> dict:
    from sktimbre import load_pretrained_embedder
    from sktimbre.io import read_manifest

    paths, _ = read_manifest(os.path.join(data_dir, "manifest.csv"))
    corpus = [paths[i % len(paths)] for i in range(n_clips)]
    embedder = load_pretrained_embedder().set_params(frontend__batch_size=batch_size)
    embedder.transform(corpus[:8])  # imports and caches, so they are in both sizes
    start = time.perf_counter()
    E = embedder.transform(corpus)
    return {"n_clips": n_clips, "shape": list(E.shape), "wall_s": time.perf_counter() - start,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _long_take_child(data_dir: str, seconds: float) -> dict:
    import numpy as np

    from sktimbre import load_pretrained_embedder
    from sktimbre.io import load_clip, read_manifest

    paths, _ = read_manifest(os.path.join(data_dir, "manifest.csv"))
    embedder = load_pretrained_embedder()
    embedder.transform([paths[0]])  # imports, kernels and tables, as a user's first call
    base_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    parts, total, i = [], 0, 0
    while total < seconds * 22050:
        parts.append(load_clip(paths[i % len(paths)], sr=22050))
        total += len(parts[-1])
        i += 1
    take = np.concatenate(parts)[: int(seconds * 22050)].astype(np.float32)
    del parts
    start = time.perf_counter()
    E = embedder.transform([take])
    return {"seconds": len(take) / 22050, "finite": bool(np.isfinite(E).all()),
            "wall_s": time.perf_counter() - start, "base_mib": base_mib,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "take_mib": take.nbytes / 2**20}


def _long_clip_message(minutes: float = 30.0) -> str:
    import numpy as np

    from sktimbre import load_pretrained_embedder
    from sktimbre.io import InvalidClipError

    y = np.zeros(int(minutes * 60 * 22050), dtype=np.float32)
    y[::50] = 0.1
    try:
        load_pretrained_embedder().transform([y])
    except InvalidClipError as exc:
        return str(exc)
    return "accepted (no limit)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", help="folder with manifest.csv and the audio it lists")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--long-take", type=float, default=599.0, metavar="SECONDS",
                        help="length of the long take (0: skip it)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--long-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.data_dir, args.child, args.batch_size)))
        return 0
    if args.long_child:
        print(json.dumps(_long_take_child(args.data_dir, args.long_take)))
        return 0
    rows = []
    for n in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, args.data_dir, "--child", str(n),
             "--batch-size", str(args.batch_size)],
            check=True, capture_output=True, text=True,
        ).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    base = rows[0]["peak_mib"]
    print(f"pretrained default embedder, transform(paths), batch_size={args.batch_size}\n")
    print("| clips | peak RSS MiB | vs smallest | wall s |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['n_clips']} | {r['peak_mib']:.0f} | {r['peak_mib'] / base:.2f}x "
              f"| {r['wall_s']:.0f} |")
    if args.long_take:
        out = subprocess.run(
            [sys.executable, __file__, args.data_dir, "--long-child",
             "--long-take", str(args.long_take)],
            check=True, capture_output=True, text=True,
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"\none take of {r['seconds']:.0f} s ({r['take_mib']:.0f} MiB of float32 audio): "
              f"peak RSS {r['peak_mib']:.0f} MiB, {r['peak_mib'] - r['base_mib']:.0f} MiB "
              f"above the process after one short clip ({r['base_mib']:.0f} MiB); "
              f"{r['wall_s']:.1f} s; embedding finite: {r['finite']}")
    print(f"\n30-minute clip: {_long_clip_message()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
