"""Optional PCM non-idealities of a crossbar (off by default): programming noise, drift and
read noise, with the formulas of IBM aihwkit's PCMLikeNoiseModel (Nandakumar et al., ICECS
2019) (docs/ima.md, "PCM noise model").

A weight w in [-7, 7] is a pair of devices (G+, G-): G+ = max(w, 0)/7 * g_max,
G- = max(-w, 0)/7 * g_max (aihwkit SinglePairConductanceConverter); the cell's value in
weight units is 7 (G+ - G-)/g_max. A code of -8 (representable in a nibble, outside the
device range) is programmed as -7.

  programming  g_prog = max(0, g_t + s_prog * sigma_p(x) * N),  x = g_t/g_max,
               sigma_p = (0.26348 + 1.9650 x - 1.1731 x^2) * g_max/25 uS
  drift        nu = s_drift * |mu_nu(x) + sigma_nu(x) * N|,
               mu_nu = clamp(-0.0155 ln x + 0.0244, 0.049, 0.1),
               sigma_nu = clamp(-0.0125 ln x - 0.0059, 0.008, 0.045)   (x >= 1e-7)
               g(t) = g_prog ((t + t0)/t0)^-nu,  t = time since programming, t0 = 20 s
  read noise   sigma_r = s_read * |g(t)| * Q * sqrt(ln((t + t0 + t_read)/(2 t_read))),
               Q = min(0.0088 / max((g_prog/g_max)^0.65, 1e-3), 0.2),  t_read = 250 ns
The programming noise and nu are drawn once per device when it is programmed; read noise
is drawn afresh for every MVM (aihwkit draws it once per evaluation), summed per column.
"""
from __future__ import annotations

import numpy as np

G_MAX_US = 25.0                          # aihwkit default g_max (aihwkit PCMLikeNoiseModel)
PROG_COEFF = (0.26348, 1.9650, -1.1731)  # uS at g_max = 25 uS (aihwkit prog_coeff)
PROG_COEFF_G_MAX = 25.0                  # the g_max the coefficients were fitted at
T0 = 20.0                                # s, drift reference (aihwkit t_0)
T_READ = 250e-9                          # s, 1/f fit parameter (aihwkit t_read)
X_MIN = 1e-7                             # aihwkit _ZERO_CLIP for ln(x)
W_MAX = 7                                # largest |weight| (GVSoC range [-7, 7])


def prog_sigma(g, g_max=G_MAX_US):
    """Programming-noise standard deviation (uS) at target conductance g (uS)."""
    x = np.asarray(g, dtype=np.float64) / g_max
    c0, c1, c2 = PROG_COEFF
    return (c0 + c1 * x + c2 * x * x) * (g_max / PROG_COEFF_G_MAX)


def drift_mu_sigma(g, g_max=G_MAX_US):
    """Mean and standard deviation of the drift exponent nu at target conductance g."""
    lx = np.log(np.maximum(np.abs(np.asarray(g, dtype=np.float64)) / g_max, X_MIN))
    return (np.clip(-0.0155 * lx + 0.0244, 0.049, 0.1),
            np.clip(-0.0125 * lx - 0.0059, 0.008, 0.045))


def read_q(g_prog, g_max=G_MAX_US):
    """1/f read-noise coefficient Q at programmed conductance g_prog."""
    x = np.abs(np.asarray(g_prog, dtype=np.float64)) / g_max
    return np.minimum(0.0088 / np.maximum(x ** 0.65, 1e-3), 0.2)


class PcmArray:
    """Device state of one crossbar. Conductances are kept in weight units (g_max/7 = one
    weight step, so a noiseless device holds its integer code exactly and the noisy path
    with every scale at 0 reproduces the ideal results); the formulas see uS. Per device:
    target and programmed conductance, drift exponent; per cell: programming time (seconds
    of simulated time; weights of the firmware image are programmed `age` s before t = 0)."""

    def __init__(self, rows, cols, rng: np.random.Generator, g_max=G_MAX_US,
                 prog_scale=1.0, drift_scale=1.0, read_scale=1.0):
        self.rng, self.g_max, self.unit = rng, float(g_max), float(g_max) / W_MAX
        self.prog_scale, self.drift_scale, self.read_scale = prog_scale, drift_scale, read_scale
        shape = (2, rows, cols)                   # [0]: G+, [1]: G-, in weight units
        self.g_target = np.zeros(shape)
        self.g_prog = np.zeros(shape)
        self.nu = np.zeros(shape)
        self.t_prog = np.zeros((rows, cols))

    def program(self, rows, cols, w, t):
        """Program the cells [rows, cols] (slices) to codes w at time t (s)."""
        w = np.clip(np.asarray(w, dtype=np.float64), -W_MAX, W_MAX)
        g_t = np.stack([np.maximum(w, 0), np.maximum(-w, 0)])
        n1 = self.rng.standard_normal(g_t.shape)
        n2 = self.rng.standard_normal(g_t.shape)
        g_us = g_t * self.unit
        g_p = g_t + self.prog_scale * (prog_sigma(g_us, self.g_max) / self.unit) * n1
        mu, sig = drift_mu_sigma(g_us, self.g_max)
        self.g_target[:, rows, cols] = g_t
        self.g_prog[:, rows, cols] = np.maximum(g_p, 0.0)
        self.nu[:, rows, cols] = self.drift_scale * np.abs(mu + sig * n2)
        self.t_prog[rows, cols] = t

    def effective(self, rows, cols, t):
        """(weff, var) of the cells [rows, cols] read at time t: the drifted G+ - G- and the
        read-noise variance of the pair, in weight units."""
        g_p, nu = self.g_prog[:, rows, cols], self.nu[:, rows, cols]
        tt = np.maximum(t - self.t_prog[rows, cols], 0.0) + T0
        g_d = g_p * (tt / T0) ** -nu
        sig = (self.read_scale * np.abs(g_d) * read_q(g_p * self.unit, self.g_max)
               * np.sqrt(np.log((tt + T_READ) / (2 * T_READ))))
        return (np.ascontiguousarray(g_d[0] - g_d[1]),
                np.ascontiguousarray(sig[0] ** 2 + sig[1] ** 2))
