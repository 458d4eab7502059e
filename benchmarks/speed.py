"""Extraction speed against the librosa snippet, every run under the same thread limits.

Usage::

    python benchmarks/speed.py ../shared/data/fluidr3 [--n-clips 300] [--rounds 3]
        [--threads 1] [--phrases ../shared/data/phrases/fluidr3] [--long-take 600]
        [--n-jobs 2] [--parallel-clips 900]

Every timed call runs inside ``threadpoolctl.threadpool_limits(limits=THREADS)``
(``--threads``, default 1), in this process, and is timed twice: CPU time
(``time.process_time``, all threads of the process) and wall time. Multi-threaded
BLAS can double a run's CPU time without changing its wall time, so a ratio is
only fair if both sides run under the same limit; the output states it.

One process, the same clips for every row:

* ``reference``: the librosa snippet users start from, clip by clip (decode with
  ``librosa.load``, then chroma-CENS, contrast, MFCC and deltas, each computing
  its own STFT/CQT);
* ``seed union``: the same 58 numbers from sktimbre (``make_timbre_embedder("seed")``
  without trimming, front end and families only);
* ``default union``: the default embedder's families (no chroma), clips untrimmed;
* ``note union``: the 0.1 default's families (one f0 and one attack per clip), what
  the phrase work of the default is measured against;
* ``family: NAME``: each family of the default embedder alone (front end with the
  embedder's trimming, and that family only);
* ``default embedder``: the pretrained default pipeline, ``transform`` only.

The runs are interleaved over ``--rounds`` rounds and the best round of each is
kept, so a busy shared machine distorts the ratios as little as possible. The
ratio columns (speed relative to the reference, measured in the same process) are
the numbers to compare across machines; absolute throughput is machine-dependent.

Options add:

* ``--phrases DIR``: the default embedder on a folder of longer clips (a
  ``manifest.csv`` with ``path`` and, ideally, ``duration_s``), timed in the same
  rounds, its cost per second of audio against the notes' (phrase work is asked
  to cost at most 1.5x per second of audio);
* ``--long-take SECONDS``: one take of that length, made by concatenating clips of
  ``data_dir`` and written to a FLAC file, embedded in a fresh process: CPU seconds
  per minute of audio and the growth of peak resident memory during ``transform``
  (capped by ``--long-take-max-mib``, half the RAM by default: a take that needs
  more is reported as a MemoryError, instead of waking the OOM killer);
* ``--n-jobs N`` (default 2; 1 skips it): the default embedder with ``n_jobs=N``
  against ``n_jobs=1`` in wall-clock time (the main process's CPU time would not
  count the workers' work) on ``--parallel-clips`` clips, and the fixed cost per
  call (1 and 16 clips). Worker processes are joblib's; sktimbre limits their
  threads to one each.

The reference's speed depends on librosa's on-disk cache: with ``LIBROSA_CACHE_DIR``
unset (librosa's default) chroma-CENS builds its CQT filters again for every clip;
set it (``LIBROSA_CACHE_DIR=/tmp/librosa-cache python benchmarks/speed.py ...``)
and the rounds after the first reuse them. The header line says which.

Only public API is used: ``make_timbre_embedder``, ``seed_feature_union``,
``sktimbre.embedder.default_feature_union``, ``load_pretrained_embedder`` and
Pipeline slicing, so the benchmark survives changes of the library's internals.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

SR = 22050


def _reference(paths):
    import librosa

    out = []
    for path in paths:
        y, sr = librosa.load(path, sr=SR)
        ce = librosa.feature.chroma_cens(y=y, sr=sr).mean(axis=1)
        spc = librosa.feature.spectral_contrast(y=y, sr=sr).mean(axis=1)
        m = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13)
        out.append(np.concatenate([ce, spc, m.mean(1), librosa.feature.delta(m).mean(1),
                                   librosa.feature.delta(m, order=2).mean(1)]))
    return np.array(out)


def _features_runner(families, *, trim_db):
    """Front end + families of an embedder (its first two steps), as a user builds them."""
    from sktimbre import make_timbre_embedder

    features = make_timbre_embedder(families, projection=None, trim_db=trim_db)[:2]
    return features.fit_transform


def _timed(run, paths, threads):
    """(CPU s, wall s) of ``run(paths)`` under the thread limit."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        cpu, wall = time.process_time(), time.perf_counter()
        run(paths)
        return time.process_time() - cpu, time.perf_counter() - wall


def _pick(data_dir, n_clips, rng, *, min_audio_s=None):
    """Random clips of a manifest folder: their paths and total duration in seconds.

    ``n_clips`` clips (at most all of them), or (``min_audio_s``) as many as make
    that much audio, going round the folder again if it has less.
    """
    import soundfile as sf

    with open(os.path.join(data_dir, "manifest.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    if min_audio_s is None:
        order = rng.permutation(len(rows))[:n_clips]
    else:
        order = itertools.chain.from_iterable(rng.permutation(len(rows))
                                              for _ in itertools.count())
    paths, audio_s = [], 0.0
    for i in order:
        if min_audio_s is not None and audio_s >= min_audio_s:
            break
        path = os.path.join(data_dir, rows[i]["path"])
        paths.append(path)
        duration = rows[i].get("duration_s")
        audio_s += float(duration) if duration else sf.info(path).duration
    return paths, audio_s


def _table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def _one_process(args, rng):
    """Interleaved rounds of every extraction on the same clips; returns the notes' cost."""
    from sklearn.base import clone

    from sktimbre import load_pretrained_embedder
    from sktimbre.embedder import default_feature_union

    paths, audio_s = _pick(args.data_dir, args.n_clips, rng)
    pretrained = load_pretrained_embedder()
    runners = {
        "reference (librosa snippet)": _reference,
        "seed union (same 58 numbers)": _features_runner("seed", trim_db=None),
        "default union (untrimmed clips)": _features_runner("default", trim_db=None),
        "note union (0.1 default's families, untrimmed)": _features_runner("note",
                                                                           trim_db=None),
        **{f"family: {name}": _features_runner([(name, clone(family))], trim_db=60.0)
           for name, family in default_feature_union().transformer_list},
        "default embedder (transform)": pretrained.transform,
    }
    jobs = {name: (run, paths) for name, run in runners.items()}
    if args.phrases:
        phrase_paths, phrase_s = _pick(args.phrases, None, rng, min_audio_s=audio_s)
        jobs["default embedder on phrases"] = (pretrained.transform, phrase_paths)
    for run, clips in jobs.values():  # warm-up: imports, numba compilation, caches
        _timed(run, clips[:4], args.threads)
    best = {name: [np.inf, np.inf] for name in jobs}
    for _ in range(args.rounds):
        for name, (run, clips) in jobs.items():
            cpu, wall = _timed(run, clips, args.threads)
            best[name] = [min(best[name][0], cpu), min(best[name][1], wall)]

    ref_cpu, ref_wall = best["reference (librosa snippet)"]
    print(f"## One process: {len(paths)} clips, {audio_s:.0f} s of audio, "
          f"best of {args.rounds} interleaved rounds\n")
    _table(["extraction", "CPU s", "wall s", "audio-s per CPU-s", "speed vs reference (CPU)",
            "speed vs reference (wall)"],
           [[name, f"{cpu:.2f}", f"{wall:.2f}", f"{audio_s / cpu:.0f}", f"{ref_cpu / cpu:.2f}x",
             f"{ref_wall / wall:.2f}x"]
            for name, (cpu, wall) in best.items() if name != "default embedder on phrases"])
    notes_cost = best["default embedder (transform)"][0] / audio_s  # CPU s per audio s
    if args.phrases:
        cpu, wall = best["default embedder on phrases"]
        print(f"\n## Phrases ({args.phrases}): {len(phrase_paths)} clips, {phrase_s:.0f} s of "
              "audio, default embedder transform, same rounds\n")
        _table(["clips", "audio s", "CPU s", "wall s", "CPU ms per audio-s",
                "cost per audio-s vs notes"],
               [["notes", f"{audio_s:.0f}", *[f"{v:.2f}" for v in
                                                best["default embedder (transform)"]],
                 f"{1000 * notes_cost:.2f}", "1.00x"],
                ["phrases", f"{phrase_s:.0f}", f"{cpu:.2f}", f"{wall:.2f}",
                 f"{1000 * cpu / phrase_s:.2f}", f"{cpu / phrase_s / notes_cost:.2f}x"]])
    return notes_cost


def _limit_address_space(extra_mib: float) -> None:
    """Let this process map at most ``extra_mib`` more: a MemoryError, not the OOM killer."""
    try:
        with open("/proc/self/statm") as f:  # Linux: virtual size in pages
            vm = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return
    limit = vm + int(extra_mib * 2**20)
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))


def _half_the_ram_mib() -> float:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**21
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows)
        return 4096.0


def _long_take_child(wav: str, threads: int, max_mib: float) -> dict:
    """In a fresh process: embed one long file, report CPU, wall and peak RSS growth."""
    import soundfile as sf
    from threadpoolctl import threadpool_limits

    from sktimbre import load_pretrained_embedder

    embedder = load_pretrained_embedder().set_params(frontend__max_duration=None)
    start, _ = sf.read(wav, frames=2 * SR, dtype="float32")
    embedder.transform([start])  # imports, numba compilation, caches
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _limit_address_space(max_mib)
    result = {"audio_s": sf.info(wav).duration, "peak_before_mib": before}
    with threadpool_limits(limits=threads):
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            embedder.transform([wav])
        except Exception as exc:  # MemoryError, or the library's error naming the clip
            return {**result, "error": f"{type(exc).__name__}: {exc}"[:300]}
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {**result, "cpu_s": cpu, "wall_s": wall, "peak_growth_mib": after - before}


def _long_take(args, rng, notes_cost):
    """Concatenate clips into one take of ``args.long_take`` seconds; embed it in a child."""
    import soundfile as sf

    from sktimbre.io import load_clip

    paths, _ = _pick(args.data_dir, None, rng, min_audio_s=args.long_take)
    take = np.concatenate([load_clip(p, sr=SR) for p in paths])[:int(args.long_take * SR)]
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "long_take.flac")
        sf.write(wav, take, SR)
        child = subprocess.run([sys.executable, os.path.abspath(__file__), args.data_dir,
                                "--threads", str(args.threads), "--long-take-child", wav,
                                "--long-take-max-mib", str(args.long_take_max_mib)],
                               capture_output=True, text=True)
    print(f"\n## Long take: {len(paths)} clips of {os.path.basename(args.data_dir)} "
          f"concatenated, {len(take) / SR:.0f} s, one FLAC file, default embedder transform "
          f"in a fresh process (max_duration=None), allowed {args.long_take_max_mib:.0f} MiB "
          "more memory\n")
    if child.returncode:
        print(f"The process failed (exit status {child.returncode}): "
              f"{child.stderr.strip()[-500:]}")
        return
    r = json.loads(child.stdout.strip().splitlines()[-1])
    if "error" in r:
        print(f"transform failed: {r['error']}")
        return
    minutes = r["audio_s"] / 60
    _table(["audio min", "CPU s", "wall s", "CPU s per audio-min", "notes: CPU s per audio-min",
            "peak RSS before MiB", "peak RSS growth MiB", "decoded take MiB"],
           [[f"{minutes:.2f}", f"{r['cpu_s']:.2f}", f"{r['wall_s']:.2f}",
             f"{r['cpu_s'] / minutes:.2f}", f"{60 * notes_cost:.2f}",
             f"{r['peak_before_mib']:.0f}", f"{r['peak_growth_mib']:.0f}",
             f"{take.nbytes / 2**20:.0f}"]])


def _parallel(args, rng):
    """Wall clock of n_jobs=N against n_jobs=1: a large call, and the fixed cost per call."""
    from sktimbre import load_pretrained_embedder

    par_paths, audio_s = _pick(args.data_dir, args.parallel_clips, rng)
    serial = load_pretrained_embedder()
    parallel = load_pretrained_embedder().set_params(frontend__n_jobs=args.n_jobs)
    serial.transform(par_paths[:8])
    _, startup = _timed(parallel.transform, par_paths[:8], args.threads)  # starts the workers
    sizes = [1, 16, len(par_paths)]
    wall = {(n, j): np.inf for n in sizes for j in (1, args.n_jobs)}
    for _ in range(args.rounds):
        for n in sizes:
            # short calls vary more from one to the next: repeat them within a round
            for _ in range(5 if n < len(par_paths) else 1):
                for n_jobs, emb in [(1, serial), (args.n_jobs, parallel)]:
                    _, sec = _timed(emb.transform, par_paths[:n], args.threads)
                    wall[n, n_jobs] = min(wall[n, n_jobs], sec)
    print(f"\n## Parallel: default embedder, wall clock, best of {args.rounds} rounds, "
          f"{os.cpu_count()} CPUs (the speed-up needs {args.n_jobs} otherwise idle cores)\n")
    rows = []
    for n in sizes:
        one, many = wall[n, 1], wall[n, args.n_jobs]
        audio = audio_s * n / len(par_paths)
        rows.append([str(n), f"{one:.3f}", f"{many:.3f}", f"{audio / one:.0f}",
                     f"{audio / many:.0f}", f"{one / many:.2f}x"])
    _table(["clips per call", "n_jobs=1 wall s", f"n_jobs={args.n_jobs} wall s",
            "n_jobs=1 audio-s per s", f"n_jobs={args.n_jobs} audio-s per s", "speed-up"], rows)
    big = len(par_paths)
    fixed = {j: wall[16, j] - 16 * wall[big, j] / big for j in (1, args.n_jobs)}
    print(f"\nFixed cost per call (workers already running), the wall time of a 16-clip call "
          f"beyond 16 clips' share of the {big}-clip call: n_jobs=1 {fixed[1]:.3f} s, "
          f"n_jobs={args.n_jobs} {fixed[args.n_jobs]:.3f} s. The first call of the process, "
          f"which starts the workers, took {startup:.2f} s (8 clips).")


def _librosa_cache_state(librosa) -> str:
    """Whether librosa caches its filters on disk, which the reference's speed depends on."""
    location = librosa.cache.memory.location
    if location is None:
        return ("librosa's filter cache is off (LIBROSA_CACHE_DIR unset, librosa's default): "
                "the reference builds its CQT filters again for every clip.")
    return (f"librosa's filter cache is on ({location}, filled by the first round): the "
            "reference reuses its CQT filters.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", help="folder with manifest.csv and the audio it lists")
    parser.add_argument("--n-clips", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1,
                        help="threadpoolctl limit (BLAS, OpenMP) around every timed call")
    parser.add_argument("--phrases", metavar="DIR",
                        help="also time the default embedder on this folder of longer clips")
    parser.add_argument("--long-take", type=float, metavar="SECONDS",
                        help="also embed one take this long, made of concatenated clips")
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="workers for the parallel comparison (1: skip it)")
    parser.add_argument("--parallel-clips", type=int, default=900,
                        help="clips for the parallel comparison (default 900: each call "
                        "has a fixed worker overhead, which a real corpus amortises)")
    parser.add_argument("--long-take-max-mib", type=float,
                        default=_half_the_ram_mib(),
                        help="memory the long take's transform may add (default: half the "
                        "RAM); beyond it the run reports a MemoryError instead of "
                        "inviting the OOM killer")
    parser.add_argument("--long-take-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    warnings.simplefilter("ignore")  # librosa's notes about short CQT octaves
    if args.long_take_child:
        print(json.dumps(_long_take_child(args.long_take_child, args.threads,
                                          args.long_take_max_mib)))
        return 0

    import librosa

    import sktimbre

    load = os.getloadavg()[0]
    print(f"Thread limit: threadpool_limits(limits={args.threads}) around every timed call "
          f"(reference and sktimbre alike). {os.cpu_count()} CPUs, load average "
          f"{load:.1f} at start; Python {platform.python_version()}, numpy {np.__version__}, "
          f"librosa {librosa.__version__}, sktimbre {sktimbre.__version__}. "
          f"{_librosa_cache_state(librosa)}\n")
    rng = np.random.default_rng(0)
    notes_cost = _one_process(args, rng)
    if args.long_take:
        _long_take(args, rng, notes_cost)
    if args.n_jobs > 1:
        _parallel(args, rng)
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
