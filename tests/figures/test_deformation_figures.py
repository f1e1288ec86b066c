"""The deformation-stability figures (parametricSN.figures.deformation) draw what they claim."""
import numpy as np
import torch

from parametricSN.figures import canvas, deformation

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(8) == PNG_MAGIC


def test_deformation_figure_curves_and_dashed_baselines_share_colours(tmp_path):
    strengths = np.linspace(0, 10, 20)
    distances = {"model a": np.linspace(0, 0.3, 20), "model b": np.linspace(0, 0.2, 20)}
    baselines = {"model a": 0.8, "model b": 0.6}
    image = torch.rand(3, 12, 10)
    fig = deformation.plot_deformation("rotation", strengths, distances, baselines, xlabel="degrees",
                                       before=image, after=image.flip(-1))
    curve_ax = fig.axes[-1]
    lines = curve_ax.get_lines()
    solid = [l for l in lines if l.get_linestyle() == "-"]
    dashed = [l for l in lines if l.get_linestyle() == "--"]
    assert len(solid) == 2 and len(dashed) == 2
    for curve, base, value in zip(solid, dashed, (0.8, 0.6)):
        assert curve.get_color() == base.get_color()
        np.testing.assert_allclose(base.get_ydata(), [value, value])
    assert sum(len(ax.images) for ax in fig.axes) == 2
    assert _is_png(canvas.save_figure(fig, tmp_path / "deformation_rotation.png"))
    pair = deformation.plot_image_pair(torch.rand(1, 8, 8), torch.rand(1, 8, 8))
    assert _is_png(canvas.save_figure(pair, tmp_path / "pair.png"))
