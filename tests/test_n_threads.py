"""How n_threads is resolved: automatic choice, -1, and the OpenMP limits."""

import numpy as np
import pytest

import fastloss
from fastloss import losses
from fastloss._kernels import kernels


def test_automatic_uses_one_thread_below_the_threshold():
    assert losses._resolve_n_threads(None, losses.AUTO_THREADS_MIN_WORK - 1) == 1


def test_automatic_uses_the_openmp_maximum_above_the_threshold():
    assert losses._resolve_n_threads(None, losses.AUTO_THREADS_MIN_WORK) == max(
        1, kernels.openmp_max_threads()
    )


@pytest.mark.parametrize("n_threads", [1, 2, 5])
def test_explicit_counts_are_obeyed(n_threads):
    assert losses._resolve_n_threads(n_threads, 10) == n_threads


def test_threadpoolctl_limits_automatic_and_all():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not kernels.openmp_enabled():
        pytest.skip("serial build")
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert kernels.openmp_max_threads() == 1
        assert losses._resolve_n_threads(None, 10**7) == 1
        assert losses._resolve_n_threads(-1, 10**7) == 1
        # and the result is still right
        y = np.zeros(10)
        assert fastloss.HalfPoissonLoss().loss(y, np.zeros(10), reduction="sum") == 10.0
