"""fastloss.plotting.plot_loss_curve (matplotlib is an optional extra)."""

import subprocess
import sys

import numpy as np
import pytest

from fastloss.plotting import plot_loss_curve


class FakeEstimator:
    """Stands in for a fitted fastloss estimator."""

    def __init__(self, curve):
        self.loss_curve_ = list(curve)

    def get_params(self, deep=True):
        return {}

    def fit(self, X, y):
        return self


class Unfitted(FakeEstimator):
    def __init__(self):
        pass


@pytest.fixture
def plt():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def _lines(ax):
    return [(line.get_label(), line.get_ydata()) for line in ax.get_lines()]


def test_import_does_not_need_matplotlib():
    code = (
        "import sys, fastloss.plotting; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_one_estimator(plt):
    ax = plot_loss_curve(FakeEstimator([3.0, 2.0, 1.5]))
    ((label, y),) = _lines(ax)
    assert label == "FakeEstimator"
    np.testing.assert_array_equal(y, [3.0, 2.0, 1.5])
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2, 3])
    assert ax.get_xlabel() == "iteration"


def test_curves_list_dict_and_given_ax(plt):
    _, ax = plt.subplots()
    out = plot_loss_curve([[1.0, 0.5], FakeEstimator([2.0, 1.0, 0.9])], ax=ax)
    assert out is ax
    labels = [label for label, _ in _lines(ax)]
    assert labels == ["curve 0", "FakeEstimator"]

    curves = {"lbfgs": [1.0, 0.5, 0.25], "newton": FakeEstimator([1.0, 0.2])}
    ax = plot_loss_curve(curves)
    lines = _lines(ax)
    assert [label for label, _ in lines] == ["lbfgs", "newton"]
    np.testing.assert_array_equal(lines[1][1], [1.0, 0.2])

    ax = plot_loss_curve(np.array([[1.0, 0.5], [2.0, 1.0]]))  # 2-D: one per row
    assert len(ax.get_lines()) == 2

    ax = plot_loss_curve(np.array([4.0, 3.0]))  # a single curve
    assert len(ax.get_lines()) == 1


def test_real_estimator_curve(plt):
    pytest.importorskip("sklearn")
    pytest.importorskip("scipy")
    from fastloss.linear_model import PoissonRegressor

    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    y = rng.poisson(np.exp(X @ [0.3, -0.2, 0.1]))
    est = PoissonRegressor(alpha=1e-3).fit(X, y)
    ax = plot_loss_curve(est)
    ((label, values),) = _lines(ax)
    assert label == "PoissonRegressor"
    np.testing.assert_allclose(values, est.loss_curve_)


def test_bad_input(plt):
    with pytest.raises(ValueError, match="no loss_curve_"):
        plot_loss_curve(Unfitted())
    with pytest.raises(ValueError, match="no loss curve"):
        plot_loss_curve([])
    with pytest.raises(ValueError, match="shape"):
        plot_loss_curve(np.zeros((2, 2, 2)))
    with pytest.raises(TypeError, match="sequence of numbers"):
        plot_loss_curve([object()])


def test_clear_error_without_matplotlib(monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_loss_curve([1.0, 0.5])
