"""YAML templates of ``pytorch_config.yaml`` sections, with placeholders.

A template value may be a placeholder string ``"{expression}"`` whose
expression uses integer names given by the caller (``num_bodyparts``,
``num_unique_bodyparts``, ``max_individuals``, ``width``...) combined with
``+ - * //`` and integer literals, e.g. ``"{num_bodyparts + 1}"`` or
``"{15 * width}"``. A whole-string placeholder becomes an integer; one inside
a longer string is replaced by its decimal text (``"hrnet_w{width}"``).
"""

from __future__ import annotations

import ast
import copy
import operator
import re
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

TEMPLATE_PACKAGE = __name__
_PLACEHOLDER = re.compile(r"\{(?P<expr>[^{}]+)\}")
_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
}


def load_template(name: str) -> dict[str, Any]:
    """Load ``templates/<name>.yaml`` shipped with the package as plain Python data."""
    text = resources.files(TEMPLATE_PACKAGE).joinpath(f"{name}.yaml").read_text("utf-8")
    data = YAML(typ="safe").load(text)
    return data if data is not None else {}


def evaluate_placeholder(expression: str, values: dict[str, int]) -> int:
    """Evaluate one placeholder expression with integer ``values``.

    Raises:
        KeyError: the expression names a value that was not given.
        ValueError: the expression uses anything but names, integers and ``+ - * //``.
    """

    def _eval(node: ast.AST) -> int:
        if isinstance(node, ast.Expression):
            return _eval(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise KeyError(f"template placeholder names unknown value '{node.id}'")
            return values[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](_eval(node.left), _eval(node.right))
        raise ValueError(f"unsupported template placeholder expression '{expression}'")

    return _eval(ast.parse(expression.strip(), mode="eval"))


def fill_placeholders(data: Any, values: dict[str, int]) -> Any:
    """Return a deep copy of ``data`` with every ``"{expression}"`` string evaluated."""
    if isinstance(data, dict):
        return {key: fill_placeholders(value, values) for key, value in data.items()}
    if isinstance(data, list):
        return [fill_placeholders(value, values) for value in data]
    if isinstance(data, str):
        whole = _PLACEHOLDER.fullmatch(data)
        if whole:
            return evaluate_placeholder(whole.group("expr"), values)
        return _PLACEHOLDER.sub(
            lambda match: str(evaluate_placeholder(match.group("expr"), values)), data
        )
    return copy.deepcopy(data)


def deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Merge ``update`` into a copy of ``base``: dicts recursively, other values replaced."""
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged
