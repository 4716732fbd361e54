"""`python -m bench`'s options: `--reuse-network` belongs to the scale bench, which otherwise regenerates."""
from __future__ import annotations

import pytest

from bench.__main__ import _arguments


def test_the_scale_bench_regenerates_the_network_unless_told_to_reuse_it():
    assert _arguments(["--scale"]).reuse_network is False
    assert _arguments(["--scale", "--reuse-network"]).reuse_network is True


def test_reusing_the_network_without_the_scale_bench_is_refused(capsys):
    with pytest.raises(SystemExit) as exited:
        _arguments(["--reuse-network"])
    assert exited.value.code == 2
    assert "--reuse-network is a --scale option" in capsys.readouterr().err
