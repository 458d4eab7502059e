"""Cross-validation splitters for pitch-invariant timbre models."""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import check_array

from ._sklearn_compat import GroupsConsumerMixin, num_samples

__all__ = ["PitchBlockSplit"]


class PitchBlockSplit(GroupsConsumerMixin, BaseCrossValidator):
    """Cross-validator holding out interleaved blocks of pitches.

    Each clip is assigned to the pitch block ``pitch // block_size``, where
    the pitch is the integer MIDI note number passed as `groups`, and block
    ``b`` belongs to fold ``b % n_splits``. Every fold is used once as test
    set while the other folds form the training set, so that train and test
    never contain notes of the same pitch range: a model scoring well has to
    generalise its notion of timbre to pitches it has not seen.

    With the defaults (``n_splits=2, block_size=6``), half-octave blocks are
    split into even and odd blocks, and the two splits test on the even blocks
    and on the odd blocks respectively.

    Parameters
    ----------
    n_splits : int, default=2
        Number of folds. Must be at least 2.

    block_size : int, default=6
        Number of consecutive MIDI pitches per block (6 = half an octave).

    See Also
    --------
    sklearn.model_selection.GroupKFold : K-fold with non-overlapping groups.
    sklearn.model_selection.LeaveOneGroupOut : Holds out one group at a time.

    Notes
    -----
    The splits are ordered by fold: split ``i`` has as test set the clips of
    the blocks ``b`` with ``b % n_splits == i``. Every clip is in exactly one
    test set. A :class:`ValueError` is raised if a fold would be empty, i.e.
    if the pitches do not span enough blocks.

    Examples
    --------
    >>> import numpy as np
    >>> from sktimbre.model_selection import PitchBlockSplit
    >>> pitch = np.array([48, 50, 52, 54, 56, 58, 60, 62])
    >>> X = np.zeros((8, 3))
    >>> cv = PitchBlockSplit(n_splits=2, block_size=4)
    >>> cv
    PitchBlockSplit(block_size=4, n_splits=2)
    >>> cv.get_n_splits(X, groups=pitch)
    2
    >>> for i, (train_index, test_index) in enumerate(cv.split(X, groups=pitch)):
    ...     print(f"Fold {i}:")
    ...     print(f"  Train: index={train_index}, pitch={pitch[train_index]}")
    ...     print(f"  Test:  index={test_index}, pitch={pitch[test_index]}")
    Fold 0:
      Train: index=[2 3 6 7], pitch=[52 54 60 62]
      Test:  index=[0 1 4 5], pitch=[48 50 56 58]
    Fold 1:
      Train: index=[0 1 4 5], pitch=[48 50 56 58]
      Test:  index=[2 3 6 7], pitch=[52 54 60 62]

    The pitches are passed as `groups`, also through
    :class:`~sklearn.model_selection.GridSearchCV`:

    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> X, y = make_classification(n_samples=40, random_state=0)
    >>> pitch = np.arange(40) + 48
    >>> search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=PitchBlockSplit())
    >>> search.fit(X, y, groups=pitch).n_splits_
    2
    """

    def __init__(self, n_splits: int = 2, *, block_size: int = 6):
        if isinstance(n_splits, bool) or not isinstance(n_splits, Integral):
            raise ValueError(
                f"The number of folds must be of Integral type. {n_splits!r} of type "
                f"{type(n_splits)} was passed."
            )
        if n_splits < 2:
            raise ValueError(
                f"PitchBlockSplit requires at least two folds, got n_splits={n_splits}."
            )
        if isinstance(block_size, bool) or not isinstance(block_size, Integral):
            raise ValueError(
                f"block_size must be of Integral type. {block_size!r} of type "
                f"{type(block_size)} was passed."
            )
        if block_size < 1:
            raise ValueError(f"block_size must be at least 1, got block_size={block_size}.")
        self.n_splits = int(n_splits)
        self.block_size = int(block_size)

    def _fold_of_samples(self, groups, n_samples):
        """Return the fold index of every sample, validating `groups`."""
        if groups is None:
            raise ValueError(
                "The 'groups' parameter should not be None: PitchBlockSplit needs the "
                "integer MIDI pitch of every sample as groups."
            )
        groups = check_array(groups, input_name="groups", ensure_2d=False, dtype=None)
        if groups.ndim != 1:
            raise ValueError(f"groups must be 1-dimensional, got shape {groups.shape}.")
        if groups.shape[0] != n_samples:
            raise ValueError(
                f"groups has {groups.shape[0]} elements but X has {n_samples} samples."
            )
        if groups.dtype.kind in "iu":
            pitch = groups.astype(np.int64)
        elif groups.dtype.kind == "f" and np.all(groups == np.round(groups)):
            pitch = groups.astype(np.int64)
        else:
            raise ValueError(
                "groups must contain integer MIDI pitches, got values of dtype "
                f"{groups.dtype} such as {groups[0]!r}."
            )
        folds = (pitch // self.block_size) % self.n_splits
        empty = np.setdiff1d(np.arange(self.n_splits), folds)
        if empty.size:
            blocks = np.unique(pitch // self.block_size)
            raise ValueError(
                f"Fold(s) {empty.tolist()} of PitchBlockSplit(n_splits={self.n_splits}, "
                f"block_size={self.block_size}) would be empty: the pitches only cover "
                f"block(s) {blocks.tolist()}. Use fewer splits or a smaller block_size."
            )
        return folds

    def _iter_test_masks(self, X, y=None, groups=None):
        folds = self._fold_of_samples(groups, num_samples(X))
        for fold in range(self.n_splits):
            yield folds == fold

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of splitting iterations in the cross-validator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), default=None
            Always ignored, exists for API compatibility.

        y : array-like of shape (n_samples,), default=None
            Always ignored, exists for API compatibility.

        groups : array-like of shape (n_samples,), default=None
            Always ignored, exists for API compatibility.

        Returns
        -------
        n_splits : int
            Returns the number of splitting iterations in the cross-validator.
        """
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, where `n_samples` is the number of samples
            and `n_features` is the number of features.

        y : array-like of shape (n_samples,), default=None
            The target variable for supervised learning problems.

        groups : array-like of shape (n_samples,)
            Integer MIDI pitch of every sample. Required.

        Yields
        ------
        train : ndarray
            The training set indices for that split.

        test : ndarray
            The testing set indices for that split.
        """
        return super().split(X, y, groups)
