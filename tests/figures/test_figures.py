"""The training-run figures of parametricSN.figures (architecture §6): they accept the documented
shapes, write valid PNG/GIF files, leave no pyplot state behind and draw what they claim (filter
images, frame count)."""
import math
import sys

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from parametricSN.figures import canvas, curves, filters

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(8) == PNG_MAGIC


def _gaussian_bank(n=6, size=16):
    """(n, size, size) real Fourier filters: Gaussian bumps at frequencies on a circle."""
    w = torch.fft.fftfreq(size, dtype=torch.float64) * 2 * math.pi
    w0, w1 = torch.meshgrid(w, w, indexing="ij")
    angles = torch.arange(n) * math.pi / n
    return torch.stack([torch.exp(-((w0 - 1.2 * torch.cos(a)) ** 2 + (w1 - 1.2 * torch.sin(a)) ** 2) * 4)
                        for a in angles])


def test_filter_images_fourier_is_centred_modulus_and_spatial_parts_have_morlet_symmetry():
    bank = _gaussian_bank()
    fourier = filters.filter_images(bank, "fourier")
    assert fourier.shape == bank.shape
    np.testing.assert_allclose(fourier, np.fft.fftshift(np.abs(bank.numpy()), axes=(-2, -1)))
    # A real Fourier filter has an even real part and an odd imaginary part in space.
    real = np.fft.ifftshift(filters.filter_images(bank, "real"), axes=(-2, -1))
    imag = np.fft.ifftshift(filters.filter_images(bank, "imag"), axes=(-2, -1))
    flip = lambda a: np.roll(a[:, ::-1, ::-1], 1, axis=(1, 2))  # u -> -u on the periodic grid
    np.testing.assert_allclose(real, flip(real), atol=1e-12)
    np.testing.assert_allclose(imag, -flip(imag), atol=1e-12)
    assert np.abs(imag).max() > 1e-3


def test_filter_images_rejects_unknown_kind_and_bad_shape():
    with pytest.raises(ValueError, match="kind"):
        filters.filter_images(_gaussian_bank(), "phase")
    with pytest.raises(ValueError, match="shape"):
        filters.filter_images(torch.zeros(16, 16), "fourier")


@pytest.mark.parametrize("kind", filters.FILTER_KINDS)
def test_plot_filters_has_one_image_per_filter(tmp_path, kind):
    fig = filters.plot_filters(_gaussian_bank(6), kind, ncols=4, title="bank")
    assert isinstance(fig, Figure)
    assert sum(len(ax.images) for ax in fig.axes) == 6
    assert len(fig.axes) == 8  # 2 rows × 4 columns, 2 left empty
    path = canvas.save_figure(fig, tmp_path / "sub" / f"{kind}.png")
    assert path.is_file() and _is_png(path)


def test_save_figure_releases_pyplot_figures(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    fig = plt.figure()
    canvas.save_figure(fig, tmp_path / "p.png")
    assert set(plt.get_fignums()) == before
    canvas.save_figure(filters.plot_littlewood_paley(torch.ones(8, 8)), tmp_path / "lp.png")
    assert set(plt.get_fignums()) == before


def test_the_figures_do_not_import_pyplot():
    # pyplot would pick a GUI backend and register figures globally; the figures must not need it.
    code = ("import sys, torch; "
            "from parametricSN.figures import canvas, curves, deformation, filters; "
            "filters.plot_filters(torch.ones(2, 4, 4), 'fourier'); "
            "curves.plot_learning_curves({'train_loss': [(1, 0.5)]}); "
            "deformation.plot_image_pair(torch.rand(1, 4, 4), torch.rand(1, 4, 4)); "
            "sys.exit(int('matplotlib.pyplot' in sys.modules))")
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert result.returncode == 0, result.stderr


def test_littlewood_paley_title_reports_range(tmp_path):
    lp = (_gaussian_bank() ** 2).sum(0)
    fig = filters.plot_littlewood_paley(lp)
    title = fig.axes[0].get_title()
    assert f"{lp.max().item():.3g}" in title
    assert _is_png(canvas.save_figure(fig, tmp_path / "lp.png"))


def test_learning_curves_draw_the_given_series(tmp_path):
    history = {"train_loss": [(e, 2.0 / (e + 1)) for e in range(5)], "test_loss": [(0, 2.0), (4, 1.0)],
               "train_acc": [(e, 10.0 * e) for e in range(5)], "test_acc": [(4, 35.0)], "lr_head": [(0, 1.0)]}
    fig = curves.plot_learning_curves(history)
    loss_ax, acc_ax = fig.axes[:2]
    assert [line.get_label() for line in loss_ax.get_lines()] == ["train", "test"]
    np.testing.assert_allclose(acc_ax.get_lines()[1].get_ydata(), [35.0])
    assert _is_png(canvas.save_figure(fig, tmp_path / "lc.png"))


def test_parameter_trajectories_one_panel_per_parameter_one_line_per_wavelet(tmp_path):
    T, P = 7, 5
    trajectory = {name: np.random.default_rng(i).normal(size=(T, P))
                  for i, name in enumerate(["gamma", "theta", "xi", "sigma"])}
    trajectory["steps"] = np.arange(T)
    trajectory["fourier_filters"] = np.zeros((T, P, 4, 4))  # pixelwise arrays are skipped
    fig = curves.plot_parameter_trajectories(trajectory, np.arange(T) / 2)
    panels = [ax for ax in fig.axes if ax.get_lines()]
    assert [ax.get_title() for ax in panels] == ["θ", "ξ", "σ", "γ"]
    assert all(len(ax.get_lines()) == P for ax in panels)
    np.testing.assert_allclose(panels[0].get_lines()[2].get_ydata(), trajectory["theta"][:, 2])
    assert _is_png(canvas.save_figure(fig, tmp_path / "traj.png"))
    with pytest.raises(ValueError, match="steps"):
        curves.plot_parameter_trajectories({"theta": np.zeros((3, 2))}, np.arange(4))


def test_parameter_trajectories_without_parameters_still_draws(tmp_path):
    fig = curves.plot_parameter_trajectories({"fourier_filters": np.zeros((2, 3, 4, 4))}, np.arange(2))
    assert _is_png(canvas.save_figure(fig, tmp_path / "empty.png"))


def test_parameter_distance_one_line_per_series(tmp_path):
    fig = curves.plot_parameter_distance([0, 1, 2], {"param_distance": [0.0, 0.1, 0.3],
                                                      "param_distance_tight_frame": [1.0, 0.9, 0.8]})
    assert len(fig.axes[0].get_lines()) == 2
    assert _is_png(canvas.save_figure(fig, tmp_path / "d.png"))
    with pytest.raises(ValueError):
        curves.plot_parameter_distance([0, 1], {"a": [0.0]})


@pytest.mark.parametrize("kind", filters.FILTER_KINDS)
def test_progression_gif_has_one_frame_per_step_and_frames_differ(tmp_path, kind):
    import imageio.v3 as iio

    bank = _gaussian_bank(4)
    frames = [bank * (1.0 + 0.1 * t) for t in range(5)]
    path = filters.write_filter_progression_gif(frames, [0, 10, 20, 30, 40], tmp_path / "g" / "p.gif",
                                                kind, ncols=2)
    images = iio.imread(path, index=None)
    assert images.shape[0] == 5
    assert not np.array_equal(images[0], images[-1])  # the step label (and amplitude) change


def test_progression_gif_rejects_mismatched_steps(tmp_path):
    with pytest.raises(ValueError, match="steps"):
        filters.write_filter_progression_gif([_gaussian_bank(2)], [0, 1], tmp_path / "x.gif", "real")
