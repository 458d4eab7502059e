"""
Scaling out with Dask
=====================

The expensive part of an embedder is the front end's signal analysis (STFTs,
f0 estimates), and it runs in parallel over clips: ``n_jobs`` on
:class:`~sktimbre.AudioFrontEnd` (or on :func:`~sktimbre.make_timbre_embedder`)
splits the clips into chunks analysed by joblib workers. Joblib's backend is
pluggable, so the same code runs on a `Dask <https://distributed.dask.org>`_
cluster: open a :class:`distributed.Client` and wrap the call in
``joblib.parallel_config(backend="dask")``.

This example keeps it tiny: a :class:`~distributed.LocalCluster` of two
workers inside this process (``processes=False``, so that the script also runs
where new processes cannot be spawned, e.g. while the docs are built). On a real
cluster you would connect the :class:`~distributed.Client` to its scheduler
address instead (``Client("tcp://scheduler:8786")``); nothing else changes. The
results do not depend on where the work ran.
"""

# %%
import tempfile
import time
import warnings
from pathlib import Path

import joblib
import matplotlib.pyplot as plt
import numpy as np
import soundfile as sf
from distributed import Client, LocalCluster

from sktimbre import load_pretrained_embedder
from sktimbre.datasets import make_notes

# %%
# Give the workers file paths, not arrays: each worker then reads its own clips,
# and only paths and embeddings travel. Here, a folder of synthetic notes.
notes, _ = make_notes(n_instruments=8, pitches=range(48, 72, 4), velocities=(1.0,),
                      duration=1.0, random_state=0)
folder = Path(tempfile.mkdtemp())
X = []
for i, clip in enumerate(notes):
    X.append(str(folder / f"note{i:03d}.flac"))
    sf.write(X[-1], clip, 22050)
print(f"{len(X)} files of 1 s")

# %%
# In this process, then in two joblib worker processes
# ----------------------------------------------------
# The pretrained default embedder needs no fitting; ``n_jobs`` sets its front
# end's workers.
timings = {}
start = time.perf_counter()
E_serial = load_pretrained_embedder(n_jobs=1).transform(X)
timings["n_jobs=1"] = time.perf_counter() - start

start = time.perf_counter()
E_loky = load_pretrained_embedder(n_jobs=2).transform(X)
timings["n_jobs=2\n(loky processes)"] = time.perf_counter() - start

# %%
# On a Dask cluster
# -----------------
# The same ``n_jobs=2``, with joblib's Dask backend: the chunks become Dask tasks,
# scheduled on the cluster's workers (which must be able to import sktimbre).
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                       dashboard_address=None)
client = Client(cluster)
# Dask warns when the tasks it is sent are large ("Sending large graph"); harmless
# at this size.
warnings.filterwarnings("ignore", message="Sending large graph")
embedder = load_pretrained_embedder(n_jobs=2)
embedder.transform(X[:2])  # warm-up: the workers import sktimbre once
start = time.perf_counter()
with joblib.parallel_config(backend="dask"):
    E_dask = embedder.transform(X)
timings["n_jobs=2\n(Dask, 2 thread workers)"] = time.perf_counter() - start
client.close()
cluster.close()

print("same embeddings everywhere:",
      np.allclose(E_serial, E_loky) and np.allclose(E_serial, E_dask))

# %%
# Wall-clock time
# ---------------
# Measured while this page was built, on a small shared machine, so only a rough
# picture: on a tiny batch, starting workers and shipping audio cost as much as
# they save. Parallelism pays off on thousands of clips; see the scaling guide for
# throughput measured properly (``benchmarks/speed.py``).
fig, ax = plt.subplots(figsize=(6, 2.8), layout="constrained")
ax.barh(list(timings), list(timings.values()), color=["tab:gray", "tab:blue", "tab:orange"])
ax.invert_yaxis()
ax.set_xlabel(f"seconds to embed {len(X)} clips")
plt.show()
