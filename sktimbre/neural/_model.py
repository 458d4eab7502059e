"""The GMVAE of Luo, Agres & Herremans (ISMIR 2019) in PyTorch (imported only with torch).

Two convolutional encoders map a log-mel patch ``(n_mels, n_frames)`` to Gaussian
posteriors ``q(z_t|x)`` (timbre) and ``q(z_p|x)`` (pitch); one decoder reconstructs the
patch from ``[z_t, z_p]``. Each latent space has a Gaussian-mixture prior with one
component per instrument (resp. pitch): learnable means, fixed diagonal variances.
Convolutions over time treat mel bands as channels, as the paper's code does; layer
normalisation replaces its batch normalisation so that a clip's embedding never depends
on the other clips of its batch.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# Fixed log-variances of the prior components, as in the paper's code: unit variance
# for instruments, sigma = exp(-2) for pitches.
TIMBRE_PRIOR_LOGVAR = 0.0
PITCH_PRIOR_LOGVAR = -4.0
_LOG_2PI = math.log(2 * math.pi)


class _Encoder(nn.Module):
    def __init__(self, n_mels: int, n_frames: int, n_hidden: int, latent_dim: int):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(n_mels, n_hidden, 3), nn.GroupNorm(1, n_hidden), nn.ReLU(),
            nn.Conv1d(n_hidden, n_hidden, 3), nn.GroupNorm(1, n_hidden), nn.ReLU(),
        )
        self.fc = nn.Sequential(nn.Linear(n_hidden * (n_frames - 4), n_hidden),
                                nn.LayerNorm(n_hidden), nn.ReLU())
        self.mu = nn.Linear(n_hidden, latent_dim)
        self.logvar = nn.Linear(n_hidden, latent_dim)

    def forward(self, x):
        h = self.fc(self.conv(x).flatten(1))
        return self.mu(h), self.logvar(h)


class _Decoder(nn.Module):
    def __init__(self, n_mels: int, n_frames: int, n_hidden: int, latent_dim: int):
        super().__init__()
        self.shape = (n_hidden, n_frames - 4)
        self.fc = nn.Sequential(
            nn.Linear(latent_dim, n_hidden), nn.LayerNorm(n_hidden), nn.ReLU(),
            nn.Linear(n_hidden, n_hidden * (n_frames - 4)), nn.ReLU(),
        )
        self.deconv = nn.Sequential(
            nn.ConvTranspose1d(n_hidden, n_hidden, 3), nn.GroupNorm(1, n_hidden), nn.ReLU(),
            nn.ConvTranspose1d(n_hidden, n_mels, 3),
        )

    def forward(self, z):
        return self.deconv(self.fc(z).view(-1, *self.shape))


class GMVAE(nn.Module):
    """Timbre and pitch encoders, a shared decoder, and the two mixture priors."""

    def __init__(self, *, n_mels: int, n_frames: int, n_hidden: int, latent_dim: int,
                 n_instruments: int, n_pitches: int):
        super().__init__()
        self.timbre_encoder = _Encoder(n_mels, n_frames, n_hidden, latent_dim)
        self.pitch_encoder = _Encoder(n_mels, n_frames, n_hidden, latent_dim)
        self.decoder = _Decoder(n_mels, n_frames, n_hidden, 2 * latent_dim)
        # Instrument means start a unit apart per dimension (the paper's Xavier start,
        # ~0.4, leaves unit-variance components overlapping for many epochs); pitch
        # components are narrow (sigma = exp(-2)), so Xavier spacing separates them.
        self.timbre_means = nn.Parameter(torch.randn(n_instruments, latent_dim))
        self.pitch_means = nn.Parameter(nn.init.xavier_uniform_(
            torch.empty(n_pitches, latent_dim)))
        self.register_buffer("timbre_logvars",
                             torch.full((n_instruments, latent_dim), TIMBRE_PRIOR_LOGVAR))
        self.register_buffer("pitch_logvars",
                             torch.full((n_pitches, latent_dim), PITCH_PRIOR_LOGVAR))

    def encode(self, x):
        """Posterior means and log-variances ``(mu_t, logvar_t, mu_p, logvar_p)``."""
        return (*self.timbre_encoder(x), *self.pitch_encoder(x))

    def forward(self, x, *, sample: bool = True):
        mu_t, logvar_t, mu_p, logvar_p = self.encode(x)
        z_t, z_p = (_reparametrize(mu_t, logvar_t), _reparametrize(mu_p, logvar_p)) \
            if sample else (mu_t, mu_p)
        return self.decoder(torch.cat([z_t, z_p], dim=1)), (mu_t, logvar_t, z_t), \
            (mu_p, logvar_p, z_p)


def _reparametrize(mu, logvar):
    return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)


def _log_gauss(z, means, logvars):
    """``log N(z; means_k, diag(exp(logvars_k)))`` for every sample and component: (B, K)."""
    d = z[:, None, :] - means[None]
    return -0.5 * (d.square() / logvars.exp() + logvars + _LOG_2PI).sum(-1)


def _kl_gauss(mu, logvar, means, logvars):
    """``KL(N(mu, exp(logvar)) || N(means_k, exp(logvars_k)))`` per sample and component."""
    d = mu[:, None, :] - means[None]
    return 0.5 * (logvars - logvar[:, None] + (logvar.exp()[:, None] + d.square())
                  / logvars.exp() - 1).sum(-1)


def mixture_terms(mu, logvar, z, means, logvars, labels, *, conditional: bool):
    """The latent terms of one GMVAE branch, per sample.

    ``q(y|x)`` is approximated by the posterior of the mixture component given the
    sampled ``z`` (the paper's eq. 13, uniform ``p(y)``). Unlabelled samples
    (``labels < 0``) get the mixture KL ``sum_k q(y_k|x) KL(q(z|x) || p(z|y_k))`` plus the
    categorical KL ``KL(q(y|x) || p(y))``. Labelled samples get the cross-entropy of
    ``q(y|x)`` against their label (the classification term) and, with
    ``conditional=True`` (the pitch branch), the KL to their own component instead of
    the mixture terms; with ``conditional=False`` (the timbre branch) they keep the
    mixture terms, as in the paper's code.

    Returns
    -------
    kl : tensor (B,)
    ce : tensor (B,), zero for unlabelled samples
    logits : tensor (B, K)
    """
    logits = _log_gauss(z, means, logvars)
    log_q_y = F.log_softmax(logits, dim=1)
    q_y = log_q_y.exp()
    kl_each = _kl_gauss(mu, logvar, means, logvars)
    k = means.shape[0]
    kl_mixture = (q_y * kl_each).sum(1) + (q_y * log_q_y).sum(1) + math.log(k)
    labelled = labels >= 0
    safe = labels.clamp(min=0)
    ce = torch.where(labelled, F.nll_loss(log_q_y, safe, reduction="none"), 0.0)
    if conditional:
        own = kl_each.gather(1, safe[:, None])[:, 0]
        kl = torch.where(labelled, own, kl_mixture)
    else:
        kl = kl_mixture
    return kl, ce, logits


def gmvae_loss(model: GMVAE, x, y_instrument, y_pitch, *, beta_kl: float, beta_class: float,
               sample: bool = True):
    """Negative ELBO plus weighted classification terms, averaged over the batch.

    Reconstruction is the squared error summed over the patch (a unit-variance
    Gaussian likelihood up to constants), as in the paper.

    Returns
    -------
    loss : scalar tensor
    parts : dict of float
    """
    x_hat, (mu_t, logvar_t, z_t), (mu_p, logvar_p, z_p) = model(x, sample=sample)
    recon = (x_hat - x).square().sum(dim=(1, 2))
    kl_t, ce_t, _ = mixture_terms(mu_t, logvar_t, z_t, model.timbre_means,
                                  model.timbre_logvars, y_instrument, conditional=False)
    kl_p, ce_p, _ = mixture_terms(mu_p, logvar_p, z_p, model.pitch_means,
                                  model.pitch_logvars, y_pitch, conditional=True)
    loss = (recon + beta_kl * (kl_t + kl_p) + beta_class * (ce_t + ce_p)).mean()
    parts = {"recon": recon.mean().item(), "kl_timbre": kl_t.mean().item(),
             "kl_pitch": kl_p.mean().item(), "ce_timbre": ce_t.mean().item(),
             "ce_pitch": ce_p.mean().item()}
    return loss, parts
