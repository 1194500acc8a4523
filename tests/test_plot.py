"""The pictures show what they should: read the PNG back and look at its pixels."""

import random

import pytest

from micrograd.classifier import Classifier
from micrograd.nn import MLP
from micrograd.plot import plot_decision_boundary, plot_history

pytest.importorskip("matplotlib")
from matplotlib.image import imread  # noqa: E402


def blend(hex_colour: str, alpha: float = 0.35) -> list[float]:
    """A colour painted with ``alpha`` over white, as contourf's region fill appears."""
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return [alpha * c + (1 - alpha) for c in rgb]


def test_decision_boundary_paints_each_side_in_its_class_colour(tmp_path):
    mlp = MLP(2, [1], rng=random.Random(0))
    mlp.layers[0].neurons[0].w[0].data, mlp.layers[0].neurons[0].w[1].data = 1.0, 0.0  # score = x0
    clf = Classifier(mlp, ["left", "right"], ["a", "b"])
    path = tmp_path / "db.png"
    plot_decision_boundary(clf, [[-1.0, -1.0], [1.0, 1.0]], [0, 1], path)  # plane: x0, x1 in [-2, 2]
    img = imread(path)
    h, w = img.shape[:2]
    left, right = img[h // 2, int(w * 0.3), :3].tolist(), img[h // 2, int(w * 0.75), :3].tolist()
    assert left == pytest.approx(blend("#d7191c"), abs=0.03)  # class 0's colour where x0 < 0
    assert right == pytest.approx(blend("#2b83ba"), abs=0.03)  # class 1's colour where x0 > 0


def test_decision_boundary_needs_two_features(tmp_path):
    clf = Classifier(MLP(3, [1], rng=random.Random(0)), ["a", "b"])
    with pytest.raises(ValueError, match="2 features"):
        plot_decision_boundary(clf, [[0.0, 0.0, 0.0]], [0], tmp_path / "x.png")


def test_history_plot_draws_both_curves(tmp_path):
    path = tmp_path / "loss.png"
    steps = list(range(50))
    plot_history(steps, [1.0 / (k + 1) for k in steps], [min(1.0, 0.5 + k / 50) for k in steps], path)
    img = imread(path)[:, :, :3]
    blue = (
        (abs(img[:, :, 0] - 0.12) < 0.05)
        & (abs(img[:, :, 1] - 0.47) < 0.05)
        & (abs(img[:, :, 2] - 0.71) < 0.05)
    )
    green = (
        (abs(img[:, :, 0] - 0.17) < 0.05)
        & (abs(img[:, :, 1] - 0.63) < 0.05)
        & (abs(img[:, :, 2] - 0.17) < 0.05)
    )
    w = img.shape[1]
    assert blue[:, : w // 2].sum() > 100 and blue[:, w // 2 :].sum() == 0  # the loss curve, on the left
    assert green[:, w // 2 :].sum() > 100 and green[:, : w // 2].sum() == 0  # accuracy, on the right


def _pixels(fig):
    """The figure rendered as a PNG, read back as an RGBA array."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    buf.seek(0)
    return imread(buf)


def test_plots_return_their_figure_and_write_a_file_only_when_given_a_path(tmp_path, monkeypatch):
    """A notebook shows the returned Figure inline; the file, when asked for, is that same picture."""
    from matplotlib.figure import Figure

    monkeypatch.chdir(tmp_path)
    steps = list(range(10))
    history = (steps, [1.0 / (k + 1) for k in steps], [k / 10 for k in steps])
    clf = Classifier(MLP(2, [1], rng=random.Random(0)), ["left", "right"], ["a", "b"])
    data = ([[-1.0, -1.0], [1.0, 1.0]], [0, 1])

    inline = [plot_history(*history), plot_decision_boundary(clf, *data, resolution=20)]
    assert all(type(fig) is Figure for fig in inline)
    assert list(tmp_path.iterdir()) == []  # no path, no file

    saved = [
        plot_history(*history, tmp_path / "loss.png"),
        plot_decision_boundary(clf, *data, tmp_path / "db.png", resolution=20),
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db.png", "loss.png"]
    for fig, saved_fig, name in zip(inline, saved, ["loss.png", "db.png"]):
        assert type(saved_fig) is Figure
        from_file = imread(tmp_path / name)
        assert from_file.shape == _pixels(fig).shape and (from_file == _pixels(fig)).all()
        assert (from_file == _pixels(saved_fig)).all()
