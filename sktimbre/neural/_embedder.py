"""GMVAEEmbedder: a timbre/pitch-disentangling GMVAE as a scikit-learn transformer."""

from __future__ import annotations

import sys
import time
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import Interval, check_feature_names_in, fit_context
from ..frontend import AudioFrontEnd, ClipBatch, ClipStream
from ..persistence import register_trusted_type
from ._lazy import import_torch, torch_session
from ._logmel import model_inputs

__all__ = ["GMVAEEmbedder"]

_N_FFT, _HOP = 2048, 512  # the paper's analysis; the STFT is the front end's shared one
_CHUNK = 256  # clips per forward pass at transform time


def _is_unlabelled(value) -> bool:
    if value is None:
        return True
    if isinstance(value, (Real, np.number)) and not isinstance(value, (bool, np.bool_)):
        return bool(np.isnan(value)) or value == -1
    return False


def _encode_labels(values, n_clips: int, name: str):
    """Classes of the labelled entries and a code per clip (-1: unlabelled)."""
    arr = np.empty(n_clips, dtype=object)
    values = list(values) if not isinstance(values, np.ndarray) else values
    if np.ndim(values) != 1 or len(values) != n_clips:
        raise ValueError(f"{name} must be 1-D with one entry per clip ({n_clips} clips), got "
                         f"shape {np.shape(values)}")
    arr[:] = list(values)
    unlabelled = np.array([_is_unlabelled(v) for v in arr], dtype=bool)
    codes = np.full(n_clips, -1, dtype=np.int64)
    if unlabelled.all():
        return np.array([]), codes
    classes = np.unique(np.asarray(arr[~unlabelled].tolist()))
    codes[~unlabelled] = np.searchsorted(classes, np.asarray(arr[~unlabelled].tolist()))
    return classes, codes


def _midi_of_f0(f0: np.ndarray) -> np.ndarray:
    """Nearest MIDI note of each f0 in Hz; NaN (no pitch found) stays NaN."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.round(69.0 + 12.0 * np.log2(f0 / 440.0))


@register_trusted_type(name="sktimbre.neural.GMVAEEmbedder")
class GMVAEEmbedder(TransformerMixin, BaseEstimator):
    """Timbre vectors from a GMVAE that disentangles timbre from pitch (needs PyTorch).

    After Luo, Agres & Herremans (ISMIR 2019): each clip's log-mel spectrogram
    (``n_mels`` bands from 27 Hz to 11 kHz, ``n_fft=2048``, hop 512, the first
    ``n_frames`` frames after the onset) goes through two convolutional encoders, one for
    timbre and one for pitch. Each latent space (``latent_dim`` dimensions) has a
    Gaussian-mixture prior with one component per instrument, resp. per pitch; one
    decoder reconstructs the spectrogram from both latents. Training minimises the
    negative ELBO (reconstruction, the mixture KL and the categorical KL of each
    branch) plus the classification terms of the labelled clips, so clips without an
    instrument label still train the model (semi-supervised). :meth:`transform` returns
    the mean of the timbre posterior; :meth:`transform_pitch` that of the pitch one.

    Install the extra first: ``pip install "sktimbre[neural]"``.

    Parameters
    ----------
    latent_dim : int, default=16
        Dimensions of each latent space (timbre, pitch).
    n_mels : int, default=256
        Mel bands of the input.
    n_frames : int, default=43
        STFT frames of the input, from the start of the (trimmed) clip: 43 frames of hop
        512 at 22,050 Hz are 1.0 s, the paper's input shape ``256 x 43``.
    n_hidden : int, default=64
        Channels of the convolutions and units of the dense layers (the paper: 512;
        smaller trains in minutes on a CPU).
    max_epochs : int, default=100
        Maximum passes over the training clips.
    batch_size : int, default=64
        Clips per gradient step.
    learning_rate : float, default=1e-3
        Adam step size.
    beta_kl : float, default=1.0
        Weight of the KL terms (1 is the ELBO).
    beta_class : float, default=100.0
        Weight of the classification terms of labelled clips (instrument and pitch).
    validation_fraction : float, default=0.1
        Share of the clips held out to stop early; 0 trains for ``max_epochs``.
    patience : int, default=10
        Epochs without a better validation loss before training stops; the weights of
        the best epoch are kept.
    trim_db : float or None, default=60.0
        Silence trimming of raw audio before analysis (see
        :class:`~sktimbre.AudioFrontEnd`), so that the frames start at the note's onset.
    sr : int, default=22050
        Sample rate in Hz of raw-audio input.
    n_threads : int or None, default=1
        Torch CPU threads during fit and transform (``None``: torch's setting). Results
        are deterministic for a given number of threads. More threads pay only on an
        otherwise idle machine: on a busy one, torch's waiting threads made epochs up to
        a hundred times slower in our runs.
    n_jobs : int, default=None
        Processes decoding and analysing audio (see :class:`~sktimbre.AudioFrontEnd`).
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the validation split, the batches and the latent samples.
    verbose : int, default=0
        1 prints one line per epoch to stderr.

    Attributes
    ----------
    classes_ : ndarray
        Instrument labels, one mixture component of the timbre prior each.
    pitch_classes_ : ndarray of int
        MIDI pitches, one mixture component of the pitch prior each.
    state_dict_ : dict of str to ndarray
        The network's weights as float32 arrays (the torch module is rebuilt from them).
    architecture_ : dict of str to int
        Sizes the network is rebuilt with.
    mel_mean_, mel_std_ : ndarray of shape (n_mels,)
        Per-band standardisation of the log-mel input, from the training clips.
    n_epochs_ : int
        Epochs trained.
    best_epoch_ : int
        Epoch whose weights were kept (1-based).
    loss_curve_ : list of float
        Mean training loss per epoch.
    validation_loss_curve_ : list of float
        Validation loss per epoch (empty without a validation split).
    n_features_in_ : int
        Clip length in samples, only set when fitted on a 2-D array.

    See Also
    --------
    sktimbre.make_timbre_embedder : The handcrafted embedder.

    References
    ----------
    Y.-J. Luo, K. Agres and D. Herremans, "Learning disentangled representations of
    timbre and pitch for musical instrument sounds using Gaussian mixture variational
    autoencoders", ISMIR 2019.

    Examples
    --------
    >>> from sktimbre.neural import GMVAEEmbedder
    >>> embedder = GMVAEEmbedder(max_epochs=20, random_state=0)
    >>> embedder.get_params()["latent_dim"]
    16

    With PyTorch installed, ``embedder.fit(X, y)`` trains on clips ``X`` with instrument
    labels ``y`` (``-1`` or ``None`` for unlabelled clips), optionally
    ``fit(X, y, pitch=midi_pitches)``; ``embedder.transform(X)`` gives one 16-dim timbre
    vector per clip.
    """

    _parameter_constraints: dict = {
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "n_frames": [Interval(Integral, 5, None, closed="left")],
        "n_hidden": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "beta_kl": [Interval(Real, 0, None, closed="left")],
        "beta_class": [Interval(Real, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "trim_db": [Interval(Real, 0, None, closed="neither"), None],
        "sr": [Interval(Integral, 1, None, closed="left")],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, *, latent_dim=16, n_mels=256, n_frames=43, n_hidden=64, max_epochs=100,
                 batch_size=64, learning_rate=1e-3, beta_kl=1.0, beta_class=100.0,
                 validation_fraction=0.1, patience=10, trim_db=60.0, sr=22050, n_threads=1,
                 n_jobs=None, random_state=None, verbose=0):
        self.latent_dim = latent_dim
        self.n_mels = n_mels
        self.n_frames = n_frames
        self.n_hidden = n_hidden
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.beta_kl = beta_kl
        self.beta_class = beta_class
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.trim_db = trim_db
        self.sr = sr
        self.n_threads = n_threads
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # -- input ------------------------------------------------------------------------

    def _inputs(self, X, *, with_f0: bool = False):
        """Log-mel frames of every clip (and its f0 in Hz), decoded and analysed once."""
        if not isinstance(X, ClipBatch | ClipStream):
            X = AudioFrontEnd(sr=self.sr, trim_db=self.trim_db, n_jobs=self.n_jobs).transform(X)
        return model_inputs(X, n_mels=self.n_mels, n_frames=self.n_frames, n_fft=_N_FFT,
                            hop_length=_HOP, with_f0=with_f0)

    @staticmethod
    def _pitch_targets(pitch, n_clips: int) -> tuple[np.ndarray, np.ndarray]:
        classes, codes = _encode_labels(pitch, n_clips, "pitch")
        return classes.astype(np.int64) if classes.size else np.array([-1]), codes

    # -- fit --------------------------------------------------------------------------

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, pitch=None):
        """Train the GMVAE on clips with (some) instrument labels.

        Parameters
        ----------
        X : clips or ClipBatch
            Paths, 1-D arrays, a 2-D array ``(n_clips, n_samples)``, or the output of
            :class:`~sktimbre.AudioFrontEnd`.
        y : array-like of shape (n_clips,)
            Instrument label of each clip; ``-1``, ``None`` or NaN marks an unlabelled
            clip, which trains only the unsupervised terms. At least one clip must be
            labelled.
        pitch : array-like of shape (n_clips,), default=None
            MIDI pitch of each clip (``-1``/``None``/NaN: unknown). ``None``: the
            nearest semitone of the package's f0 estimate
            (:class:`sktimbre.frontend.F0`).

        Returns
        -------
        self : GMVAEEmbedder
        """
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                             "y is None")
        if isinstance(X, np.ndarray) and X.ndim == 2:
            self.n_features_in_ = X.shape[1]
        elif hasattr(self, "n_features_in_"):
            del self.n_features_in_
        import_torch()  # a missing extra is reported before any decoding
        M, f0 = self._inputs(X, with_f0=pitch is None)
        return self._fit_inputs(M, y, _midi_of_f0(f0) if pitch is None else pitch)

    def _fit_inputs(self, M, y, pitch):
        torch = import_torch()
        n_clips = len(M)
        classes, y_codes = _encode_labels(y, n_clips, "y")
        if classes.size == 0:
            raise ValueError("y has no labelled clip: at least one clip needs an instrument "
                             "label (-1, None and NaN mark unlabelled clips)")
        pitch_classes, p_codes = self._pitch_targets(pitch, n_clips)

        # clips that failed to load (front end with on_error="nan") cannot train
        usable = np.flatnonzero(np.isfinite(M).all(axis=(1, 2)))
        if usable.size == 0:
            raise ValueError("no clip of X could be used for training")
        M, y_codes, p_codes = M[usable], y_codes[usable], p_codes[usable]
        n_clips = len(usable)
        mean = M.mean(axis=(0, 2))
        std = M.std(axis=(0, 2))
        std = np.where(std > 1e-6, std, 1.0)  # a constant band carries nothing to scale
        M = ((M - mean[:, None]) / std[:, None]).astype(np.float32)

        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        order = rng.permutation(n_clips)
        n_val = int(self.validation_fraction * n_clips)
        val, train = order[:n_val], order[n_val:]
        architecture = dict(n_mels=int(self.n_mels), n_frames=int(self.n_frames),
                            n_hidden=int(self.n_hidden), latent_dim=int(self.latent_dim),
                            n_instruments=len(classes), n_pitches=len(pitch_classes))

        with torch_session(torch, n_threads=self.n_threads, seed=seed):
            from ._model import GMVAE

            model = GMVAE(**architecture)
            history = self._train(torch, model, M, y_codes, p_codes, train, val)

        self.classes_ = classes
        self.pitch_classes_ = pitch_classes
        self.architecture_ = architecture
        self.mel_mean_, self.mel_std_ = mean.astype(np.float32), std.astype(np.float32)
        self.state_dict_ = {k: v.detach().cpu().numpy().astype(np.float32, copy=True)
                            for k, v in model.state_dict().items()}
        self.n_epochs_, self.best_epoch_, self.loss_curve_, self.validation_loss_curve_ = history
        self._module = self._inference_module(model)
        return self

    @fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, **fit_params) -> np.ndarray:
        """Fit, then embed the same clips, decoding and analysing them only once.

        Parameters
        ----------
        X : clips or ClipBatch
            As in :meth:`fit`.
        y : array-like of shape (n_clips,)
            As in :meth:`fit`.
        **fit_params : dict
            ``pitch``, as in :meth:`fit`.

        Returns
        -------
        X_new : ndarray of shape (n_clips, latent_dim)
        """
        pitch = fit_params.get("pitch")
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                             "y is None")
        import_torch()
        M, f0 = self._inputs(X, with_f0=pitch is None)
        self._fit_inputs(M, y, _midi_of_f0(f0) if pitch is None else pitch)
        if isinstance(X, np.ndarray) and X.ndim == 2:
            self.n_features_in_ = X.shape[1]
        elif hasattr(self, "n_features_in_"):
            del self.n_features_in_
        return self._encode_inputs(M, 0)

    def _train(self, torch, model, M, y_codes, p_codes, train, val):
        from ._model import gmvae_loss

        x_all = torch.from_numpy(M)
        yi_all, yp_all = torch.from_numpy(y_codes), torch.from_numpy(p_codes)
        opt = torch.optim.Adam(model.parameters(), lr=self.learning_rate)
        betas = dict(beta_kl=self.beta_kl, beta_class=self.beta_class)
        train_t = torch.from_numpy(train)
        losses, val_losses = [], []
        best, best_epoch, best_state, stale = np.inf, 0, None, 0
        for epoch in range(1, self.max_epochs + 1):
            t0 = time.perf_counter()
            model.train()
            perm = train_t[torch.randperm(len(train))]
            total = 0.0
            for start in range(0, len(perm), self.batch_size):
                idx = perm[start:start + self.batch_size]
                loss, _ = gmvae_loss(model, x_all[idx], yi_all[idx], yp_all[idx], **betas)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            losses.append(total / max(len(perm), 1))
            message = f"epoch {epoch:3d}: train loss {losses[-1]:.1f}"
            if len(val):
                model.eval()
                with torch.no_grad():
                    idx = torch.from_numpy(val)
                    # the posterior means, so that the criterion is not noisy
                    loss, parts = gmvae_loss(model, x_all[idx], yi_all[idx], yp_all[idx],
                                             sample=False, **betas)
                val_losses.append(loss.item())
                message += (f", validation loss {val_losses[-1]:.1f} (recon {parts['recon']:.0f}"
                            f", timbre CE {parts['ce_timbre']:.2f}, pitch CE "
                            f"{parts['ce_pitch']:.2f})")
                if val_losses[-1] < best:
                    best, best_epoch, stale = val_losses[-1], epoch, 0
                    best_state = {k: v.clone() for k, v in model.state_dict().items()}
                else:
                    stale += 1
            if self.verbose:
                print(f"{message} [{time.perf_counter() - t0:.1f} s]", file=sys.stderr,
                      flush=True)
            if len(val) and stale >= self.patience:
                if self.verbose:
                    print(f"stopping: no better validation loss for {self.patience} epochs; "
                          f"keeping epoch {best_epoch}", file=sys.stderr, flush=True)
                break
        if best_state is not None:
            model.load_state_dict(best_state)
        else:
            best_epoch = epoch
        return epoch, best_epoch, losses, val_losses

    # -- transform --------------------------------------------------------------------

    @staticmethod
    def _inference_module(model):
        # float64 at inference: float32 matrix products round differently with the
        # number of clips in a batch, and a clip's vector must not depend on its batch.
        return model.double().eval()

    def _module_for_transform(self, torch):
        module = self.__dict__.get("_module")
        if module is None:  # after unpickling or loading: rebuild from the arrays
            from ._model import GMVAE

            module = GMVAE(**self.architecture_)
            module.load_state_dict({k: torch.from_numpy(np.array(v, dtype=np.float32))
                                    for k, v in self.state_dict_.items()})
            self._module = module = self._inference_module(module)
        return module

    def _encode(self, X, which: int) -> np.ndarray:
        check_is_fitted(self, "state_dict_")
        import_torch()
        return self._encode_inputs(self._inputs(X)[0], which)

    def _encode_inputs(self, M, which: int) -> np.ndarray:
        torch = import_torch()
        M = M.astype(np.float64)
        M = (M - self.mel_mean_[:, None]) / self.mel_std_[:, None]
        with torch_session(torch, n_threads=self.n_threads):
            module = self._module_for_transform(torch)
            with torch.no_grad():
                parts = [module.encode(torch.from_numpy(M[i:i + _CHUNK]))[which].numpy()
                         for i in range(0, len(M), _CHUNK)]
        return np.concatenate(parts)

    def transform(self, X) -> np.ndarray:
        """Mean of the timbre posterior ``q(z_t|x)`` of each clip.

        Parameters
        ----------
        X : clips or ClipBatch
            Paths, 1-D arrays, a 2-D array ``(n_clips, n_samples)``, or the output of
            :class:`~sktimbre.AudioFrontEnd`.

        Returns
        -------
        X_new : ndarray of shape (n_clips, latent_dim)
        """
        return self._encode(X, 0)

    def transform_pitch(self, X) -> np.ndarray:
        """Mean of the pitch posterior ``q(z_p|x)`` of each clip.

        Parameters
        ----------
        X : clips or ClipBatch
            As in :meth:`transform`.

        Returns
        -------
        Z_pitch : ndarray of shape (n_clips, latent_dim)
        """
        return self._encode(X, 2)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output columns: ``timbre_00``, ``timbre_01``, ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored (the input is audio), except that its length is checked against
            the clip length when fitted on a 2-D array.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "state_dict_")
        if hasattr(self, "n_features_in_") and input_features is not None:
            check_feature_names_in(self, input_features)
        return np.asarray([f"timbre_{i:02d}" for i in range(self.architecture_["latent_dim"])],
                          dtype=object)

    def __getstate__(self):
        # Pickles hold the weights as arrays only, never a torch object.
        state = super().__getstate__()
        state.pop("_module", None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.two_d_array = True
        tags.transformer_tags.preserves_dtype = []
        tags.non_deterministic = False
        return tags
