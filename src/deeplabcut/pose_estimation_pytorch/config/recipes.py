"""The from-scratch recipe: settings a net type trains with when its backbone starts from random weights.

DeepLabCut's template settings (AdamW at 5e-4 for DEKR, scale augmentation
[0.5, 1.25]) are tuned for backbones that start from ImageNet weights. When no
such weights are loaded (offline, ``pretrained: false``, or widths such as 16
that have none), a template may declare other values in a ``from_scratch:``
mapping of dotted keys (relative to the model's section of
``pytorch_config.yaml``) to values, e.g. in ``templates/dekr.yaml``::

    from_scratch:
      runner.optimizer.params.lr: 0.001
      data.train.affine.scaling: [0.8, 1.2]

The mapping is declared once, in the template; it is not written into
``pytorch_config.yaml`` (DeepLabCut 3 would refuse an unknown key there). The
training builder decides whether the backbone starts from scratch and calls
:func:`choose_recipe`; a value the user set (one that differs from the
template's default) is never replaced, and
``train_settings.from_scratch_recipe: false`` (kept in
``pytorch_config_extras.yaml``) turns the recipe off.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.make_config import merged_templates, resolve_net_type
from deeplabcut.pose_estimation_pytorch.config.templates import load_template

#: The switch, a key of ``train_settings`` (default true).
SWITCH_KEY = "train_settings.from_scratch_recipe"
#: Where the recipe of a model's section is declared: ``from_scratch`` of the net type's template
#: (the pose model) or of ``detector.yaml`` (a top-down model's detector).
RECIPE_KEY = "from_scratch"


@dataclass(frozen=True)
class RecipeChoice:
    """What the from-scratch recipe did to one model's settings.

    Attributes:
        net_type: the net type whose template declares the recipe.
        applied: ``{dotted key: value}`` the run trains with instead of the config's value.
        replaced: ``{dotted key: value}`` the config held (the template's defaults) for the applied keys.
        kept: ``{dotted key: value}`` the user set (different from the template's default): left alone.
    """

    net_type: str
    applied: dict[str, Any] = field(default_factory=dict)
    replaced: dict[str, Any] = field(default_factory=dict)
    kept: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """One line: each value applied, the values kept, and how to turn the recipe off."""
        changes = ", ".join(f"{key} {self.replaced.get(key)!r} -> {value!r}" for key, value in self.applied.items())
        text = f"From-scratch recipe of {self.net_type} (the backbone was not pretrained): {changes}"
        if self.kept:
            text += "; kept your " + ", ".join(f"{key} {value!r}" for key, value in self.kept.items())
        return text + (
            f". To train with pytorch_config.yaml's values instead, set {SWITCH_KEY}: false "
            "(pytorch_config_extras.yaml) or pass train_settings__from_scratch_recipe=False to train_network."
        )


def declared_recipe(net_type: str, detector: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(recipe, template defaults of its keys)`` declared for ``net_type`` (its detector with ``detector``).

    Net types without a template of ours (a DeepLabCut-only name) have no recipe: ``({}, {})``.

    Raises:
        ConfigError: a recipe key the template has no concrete default for (a template bug).
    """
    try:
        template, _ = resolve_net_type(net_type)
    except ConfigError:
        return {}, {}
    if detector:
        declared = load_template("detector").get(RECIPE_KEY) or {}
        defaults = {key: value for key, value in load_template("detector").items() if key != RECIPE_KEY}
    else:
        declared = load_template(template).get(RECIPE_KEY) or {}
        defaults = merged_templates(template)
    recipe, template_values = {}, {}
    for key, value in declared.items():
        default = _get(defaults, key)
        if default is _MISSING or isinstance(default, str) and "{" in default:
            raise ConfigError(
                f"templates/{'detector' if detector else template}.yaml: from_scratch key '{key}' has no concrete "
                "default in the templates; a recipe may only replace a fixed template value."
            )
        recipe[key], template_values[key] = copy.deepcopy(value), default
    return recipe, template_values


def choose_recipe(section: dict[str, Any], net_type: str, recipe: dict[str, Any], defaults: dict[str, Any]) -> RecipeChoice:
    """Which values of ``recipe`` apply to a model's ``section`` (``model``/``data``/``runner``/``train_settings``).

    A key whose value in ``section`` differs from the template's default (``defaults``) was set
    by the user and is kept; an absent key counts as the default. Nothing applies when
    ``train_settings.from_scratch_recipe`` is false.

    Raises:
        ConfigError: the switch is not true or false.
    """
    switch = _get(section, SWITCH_KEY)
    if switch is _MISSING or switch is None:
        switch = True
    if not isinstance(switch, bool):
        raise ConfigError(f"{SWITCH_KEY} must be true or false, not {switch!r}.")
    if not switch:
        return RecipeChoice(net_type)
    applied, replaced, kept = {}, {}, {}
    for key, value in recipe.items():
        current = _get(section, key)
        if current is _MISSING or _same(current, defaults.get(key)):
            if not _same(current, value):
                applied[key], replaced[key] = copy.deepcopy(value), copy.deepcopy(defaults.get(key))
        else:
            kept[key] = copy.deepcopy(current)
    return RecipeChoice(net_type, applied, replaced, kept)


def apply_recipe(section: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``section`` with each dotted key of ``values`` set (missing mappings are created)."""
    updated = copy.deepcopy(section)
    for key, value in values.items():
        *parents, last = key.split(".")
        node = updated
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[last] = copy.deepcopy(value)
    return updated


_MISSING = object()


def _get(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return _MISSING
        data = data[part]
    return data


def _same(a: Any, b: Any) -> bool:
    """Equal as YAML values (a tuple equals the list of its items)."""
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)
