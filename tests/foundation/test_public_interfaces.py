"""The app and the workers use libraries through their public interfaces only (STYLE.md, habit 12).

A library's private name (`connection._sock`, `apihelper._get_req_session()`) can change in any release
without a word in its changelog; a public one changes with a deprecation. The scan reads the syntax tree:
a `_name` is ours when our own class (or one of our classes it derives from) defines it, or when it is
reached through one of our modules; anything else reaching a `_name` is a library's private internal.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUR_PACKAGES = ("medsync", "workers")

# Underscore names that their libraries document as the way to use them, with where it is documented.
DOCUMENTED = {
    "_serialize": "marshmallow, 'Creating a field class': a custom Field implements _serialize/_deserialize",
    "_deserialize": "marshmallow, 'Creating a field class': a custom Field implements _serialize/_deserialize",
    "_get_current_object": "Werkzeug's LocalProxy and Flask's docs ('Notes on proxies'): the object behind a proxy",
}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


class _ClassNames(ast.NodeVisitor):
    """Every underscore name each of our classes defines (methods, class attributes, `self._x = ...`), and its bases."""

    def __init__(self) -> None:
        self.defined: dict[str, set[str]] = {}
        self.bases: dict[str, list[str]] = {}

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        names = self.defined.setdefault(node.name, set())
        self.bases.setdefault(node.name, []).extend(base.id for base in node.bases if isinstance(base, ast.Name))
        for child in ast.walk(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and child is not node:
                names.add(child.name)
            elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                names.add(child.id)
            elif (isinstance(child, ast.Attribute) and isinstance(child.ctx, ast.Store)
                  and isinstance(child.value, ast.Name) and child.value.id in ("self", "cls")):
                names.add(child.attr)
        self.generic_visit(node)

    def of(self, class_name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        """What this class and the classes of ours it derives from define."""
        names = set(self.defined.get(class_name, ()))
        for base in self.bases.get(class_name, ()):
            if base in self.defined and base not in seen:
                names |= self.of(base, seen | {class_name})
        return names


class _PrivateUses(ast.NodeVisitor):
    """Where one module reaches a `_name` that is not ours."""

    def __init__(self, classes: _ClassNames) -> None:
        self.classes = classes
        self.our_modules: set[str] = set()  # local names bound to one of our modules
        self.enclosing: list[str] = []
        self.found: list[tuple[int, str]] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] in OUR_PACKAGES:
                self.our_modules.add((alias.asname or alias.name).split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        ours = node.level > 0 or (node.module or "").split(".")[0] in OUR_PACKAGES
        for alias in node.names:
            if ours:
                self.our_modules.add(alias.asname or alias.name)
            elif _is_private(alias.name):
                self.found.append((node.lineno, f"from {node.module} import {alias.name}"))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.enclosing.append(node.name)
        self.generic_visit(node)
        self.enclosing.pop()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if _is_private(node.attr) and node.attr not in DOCUMENTED and not self._ours(node):
            self.found.append((node.lineno, ast.unparse(node)))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if (isinstance(node.func, ast.Name) and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
                and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str) and _is_private(node.args[1].value)):
            self.found.append((node.lineno, ast.unparse(node)))
        self.generic_visit(node)

    def _ours(self, node: ast.Attribute) -> bool:
        value = node.value
        if isinstance(value, ast.Name) and value.id in self.our_modules:
            return True
        reaches_own_class = (isinstance(value, ast.Name) and value.id in ("self", "cls")) or (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super")
        return reaches_own_class and bool(self.enclosing) and node.attr in self.classes.of(self.enclosing[-1])


def private_uses(sources: dict[str, str]) -> list[str]:
    """'path:line: expression' for every library-private name these modules reach."""
    trees = {path: ast.parse(source, path) for path, source in sources.items()}
    classes = _ClassNames()
    for tree in trees.values():
        classes.visit(tree)
    found = []
    for path, tree in trees.items():
        uses = _PrivateUses(classes)
        uses.visit(tree)
        found += [f"{path}:{line}: {expression}" for line, expression in uses.found]
    return found


def _our_sources() -> Iterator[tuple[str, str]]:
    for package in OUR_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield str(path.relative_to(ROOT)), path.read_text()


def test_the_app_and_the_workers_reach_no_librarys_private_names():
    assert private_uses(dict(_our_sources())) == []


@pytest.mark.parametrize("source", [
    "def drain(pubsub):\n    return pubsub.connection._sock\n",
    "from telebot import apihelper\nsession = apihelper._get_req_session()\n",
    "from requests.models import RequestEncodingMixin\nquery = RequestEncodingMixin._encode_params({})\n",
    "from redis._parsers.hiredis import _socket_can_read\n",
    "def peek(connection):\n    return getattr(connection, '_sock')\n",
    "import redis\nclass Connection(redis.Connection):\n    def peek(self):\n        return self._sock\n",
    "import redis\nclass Connection(redis.Connection):\n    def peek(self):\n        return super()._host_error()\n",
], ids=["attribute", "module function", "class method", "import", "getattr", "inherited", "super"])
def test_the_scan_finds_a_librarys_private_name(source):
    assert len(private_uses({"example.py": source})) == 1


def test_the_scan_leaves_our_own_underscore_names_and_documented_hooks_alone():
    source = '''
from flask import current_app
from marshmallow import fields
from medsync.services import changes

class Feed:
    def __init__(self):
        self._pools = {}

    def _forget(self):
        self._pools = {}

class Subscription(Feed):
    def drop(self):
        self._forget()
        return changes._mget, current_app._get_current_object()

class Trimmed(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()
'''
    assert private_uses({"example.py": source}) == []
