"""0.1's ways into the front end, kept working (with a FutureWarning) on top of 0.2's.

They are attached to :class:`ClipBatch` and :class:`ClipStream` here, above the
executor, so that the batch module -- which the executor imports -- never imports
the executor back.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._analyses import as_analysis
from ._batch import ClipBatch, ClipStream
from ._executor import analysis_groups, extract


def _analysis(self, key) -> list[tuple[np.ndarray, np.ndarray]]:
    """An analysis of every valid clip, computed once (deprecated since 0.2).

    Use :func:`sktimbre.frontend.analysis_groups`.

    Parameters
    ----------
    key : Analysis or 0.1 key tuple

    Returns
    -------
    groups : list of (indices, stack)
    """
    warnings.warn("ClipBatch.analysis is deprecated since 0.2; use "
                  "sktimbre.frontend.analysis_groups(batch, analysis)", FutureWarning,
                  stacklevel=2)
    return analysis_groups(self, as_analysis(key))


def _map_families(self, families) -> list[np.ndarray]:
    """Rows of every family for every clip (deprecated since 0.2).

    Use :func:`sktimbre.frontend.extract`.

    Parameters
    ----------
    families : list of DescriptorFamily

    Returns
    -------
    rows : list of ndarray
    """
    warnings.warn("ClipStream.map_families is deprecated since 0.2; use "
                  "sktimbre.frontend.extract(stream, families).rows", FutureWarning,
                  stacklevel=2)
    return extract(self, families).rows


ClipBatch.analysis = _analysis
ClipStream.map_families = _map_families
