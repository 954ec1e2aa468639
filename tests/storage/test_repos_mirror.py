"""Each repository port (core.ports.repos) is mirrored one for one, in the same method order, by
its SQL module (storage.repos) and its fake (tests.support.fakes.repos)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any, cast

import pytest

import core.ports.repos
from core.ports.store import Tx
from storage.store import SqlTx
from tests.support.fakes.state import MemoryState
from tests.support.fakes.store import InMemoryTx
from tests.support.sealing import sealer_for_tests

# Appends the buffered entries right before commit: the store calls it, no use case does.
_STORE_ONLY = {"flush_ledger"}
REPOS = [m.name for m in pkgutil.iter_modules(core.ports.repos.__path__)]


def _methods(cls: type) -> list[str]:
    own = [n for n, v in vars(cls).items() if inspect.isfunction(v) and not n.startswith("_")]
    return [n for n in own if n not in _STORE_ONLY]


def _class(module: str, suffix: str) -> type:
    found = [
        v
        for v in vars(importlib.import_module(module)).values()
        if inspect.isclass(v) and v.__module__ == module and v.__name__.endswith(suffix)
    ]
    assert len(found) == 1, (module, found)
    return found[0]


@pytest.mark.parametrize("repo", REPOS)
def test_the_port_sql_and_fake_list_the_same_methods_in_the_same_order(repo: str) -> None:
    port = _methods(_class(f"core.ports.repos.{repo}", "Repo"))
    assert port
    assert _methods(_class(f"storage.repos.{repo}", "Sql")) == port
    fake = _class(f"tests.support.fakes.repos.{repo}", repo.title().replace("_", ""))
    assert _methods(fake) == port


def test_the_unit_of_work_exposes_every_repository_and_nothing_else() -> None:
    names = sorted(n for n, v in vars(Tx).items() if isinstance(v, property))
    assert names == sorted(REPOS)
    for tx in (SqlTx(cast(Any, None), sealer_for_tests()), InMemoryTx(MemoryState())):
        assert sorted(vars(tx)) == names
