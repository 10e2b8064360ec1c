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

A ``from_scratch_cpu:`` mapping of the same form adds the values of runs on the
CPU, where a step's time grows with the batch: e.g. a smaller batch, for more
optimizer steps in the same minutes. ``from_scratch_cpu_batch: {min_steps_per_epoch: N}``
keeps the configured batch instead when it already makes ``N`` steps per epoch
(:func:`keep_large_batch`): a large training set needs no more steps, and pays for
them in time.

The mappings are declared once, in the template; they are not written into
``pytorch_config.yaml`` (DeepLabCut 3 would refuse an unknown key there). The
training builder decides whether the backbone starts from scratch and calls
:func:`choose_recipe`; a value the user set (one that differs from the
template's default, or one passed to ``train_network``) is never replaced, and
``train_settings.from_scratch_recipe: false`` (kept in
``pytorch_config_extras.yaml``) turns the recipe off.

A template may also declare where the learning rate drops in a from-scratch run,
as fractions of its epochs (``from_scratch_schedule: {at, factors}``,
:func:`choose_schedule`): DeepLabCut's step schedule drops it at fixed epochs
(DEKR: 90 and 120, for 200 epochs), which a shorter run never reaches. The
drops are computed again for every run, a resumed one included, from the
epochs it trains to.

A template may also declare a frame downscale for from-scratch runs on a CPU
(``from_scratch_downscale: {min_animal_px, factors, crop_animals}``, :func:`choose_downscale`):
when the labeled animals are large, frames are trained on and predicted at a
smaller size, which buys several times the epochs of a CPU budget; with
``crop_animals``, the training crop of those frames also shrinks to that many
times the animal's size. Unlike the
values above, the sizes it sets (``data.train.resize``, ``data.inference.resize``
and the crop) are DeepLabCut keys and are written into ``pytorch_config.yaml``:
evaluation and video analysis must see the pixels the model learned on.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from deeplabcut.errors import ConfigError
from deeplabcut.pose_estimation_pytorch.config.make_config import (
    CROP_MULTIPLE,
    TEMPLATE_ONLY_KEYS,
    merged_templates,
    resolve_net_type,
)
from deeplabcut.pose_estimation_pytorch.config.templates import load_template

#: The switch, a key of ``train_settings`` (default true).
SWITCH_KEY = "train_settings.from_scratch_recipe"
#: Where the recipe of a model's section is declared: ``from_scratch`` of the net type's template
#: (the pose model) or of ``detector.yaml`` (a top-down model's detector).
RECIPE_KEY = "from_scratch"
#: The recipe's further values for runs on the CPU (same form, same rules).
CPU_RECIPE_KEY = "from_scratch_cpu"
#: A template's bound on the CPU batch: ``{min_steps_per_epoch: N}`` (:func:`keep_large_batch`).
CPU_BATCH_KEY = "from_scratch_cpu_batch"
#: The batch size, relative to a model's section.
BATCH_KEY = "train_settings.batch_size"
#: A template's downscale of from-scratch CPU runs: ``{min_animal_px: P, factors: [f, ...], crop_animals: C}``.
DOWNSCALE_KEY = "from_scratch_downscale"
#: A template's learning-rate drops of from-scratch runs: ``{at: [fraction of the epochs, ...], factors: [...]}``.
SCHEDULE_KEY = "from_scratch_schedule"
#: The keys of ``LRListScheduler`` that :func:`choose_schedule` sets (relative to a model's section).
SCHEDULE_KEYS = ("runner.scheduler.params.milestones", "runner.scheduler.params.lr_list")


@dataclass(frozen=True)
class RecipeChoice:
    """What the from-scratch recipe did to one model's settings.

    Attributes:
        net_type: the net type whose template declares the recipe.
        applied: ``{dotted key: value}`` the run trains with instead of the config's value.
        replaced: ``{dotted key: value}`` the config held (the template's defaults) for the applied keys.
        kept: ``{dotted key: value}`` the user set (different from the template's default): left alone.
        downscale: the frames' downscale (:func:`choose_downscale`), None when they keep their size.
        notes: why a declared value did not apply (:func:`keep_large_batch`), a clause each.
    """

    net_type: str
    applied: dict[str, Any] = field(default_factory=dict)
    replaced: dict[str, Any] = field(default_factory=dict)
    kept: dict[str, Any] = field(default_factory=dict)
    downscale: Downscale | None = None
    notes: tuple[str, ...] = ()

    @property
    def written(self) -> dict[str, Any]:
        """``{dotted key: value}`` of :attr:`applied` that go into ``pytorch_config.yaml`` (the downscale's sizes)."""
        return dict(self.downscale.values) if self.downscale is not None else {}

    def describe(self) -> str:
        """One line: each value applied, the values kept, and how to turn the recipe off."""
        changes = ", ".join(f"{key} {self.replaced.get(key)!r} -> {value!r}" for key, value in self.applied.items())
        text = f"From-scratch recipe of {self.net_type} (the backbone was not pretrained): {changes}"
        if self.downscale is not None:
            text += f" ({self.downscale.describe()})"
        if self.kept:
            text += "; kept your " + ", ".join(f"{key} {value!r}" for key, value in self.kept.items())
        if self.notes:
            text += "; " + "; ".join(self.notes)
        return text + (
            f". To train with pytorch_config.yaml's values instead, set {SWITCH_KEY}: false "
            "(pytorch_config_extras.yaml) or pass train_settings__from_scratch_recipe=False to train_network."
        )


def declared_recipe(net_type: str, detector: bool = False, cpu: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(recipe, template defaults of its keys)`` declared for ``net_type`` (its detector with ``detector``).

    With ``cpu``, the recipe also holds the template's ``from_scratch_cpu`` values.
    Net types without a template of ours (a DeepLabCut-only name) have no recipe: ``({}, {})``.

    Raises:
        ConfigError: a recipe key the template has no concrete default for (a template bug).
    """
    try:
        template, _ = resolve_net_type(net_type)
    except ConfigError:
        return {}, {}
    name = "detector" if detector else template
    loaded = load_template(name)
    if detector:
        defaults = {key: value for key, value in loaded.items() if key not in TEMPLATE_ONLY_KEYS}
    else:
        defaults = merged_templates(template)
    recipe, template_values = {}, {}
    for mapping in (RECIPE_KEY, CPU_RECIPE_KEY) if cpu else (RECIPE_KEY,):
        for key, value in (loaded.get(mapping) or {}).items():
            default = _get(defaults, key)
            if default is _MISSING or isinstance(default, str) and "{" in default:
                raise ConfigError(
                    f"templates/{name}.yaml: {mapping} key '{key}' has no concrete default in the templates; "
                    "a recipe may only replace a fixed template value."
                )
            recipe[key], template_values[key] = copy.deepcopy(value), default
    return recipe, template_values


def choose_recipe(
    section: dict[str, Any],
    net_type: str,
    recipe: dict[str, Any],
    defaults: dict[str, Any],
    chosen: Collection[str] = (),
) -> RecipeChoice:
    """Which values of ``recipe`` apply to a model's ``section`` (``model``/``data``/``runner``/``train_settings``).

    A key whose value in ``section`` differs from the template's default (``defaults``), or
    one of ``chosen`` (keys the caller's arguments set), was set by the user and is kept; an
    absent key counts as the default. Nothing applies when ``train_settings.from_scratch_recipe``
    is false.

    Raises:
        ConfigError: the switch is not true or false.
    """
    if not recipe_enabled(section):
        return RecipeChoice(net_type)
    applied, replaced, kept = {}, {}, {}
    for key, value in recipe.items():
        current = _get(section, key)
        if key not in chosen and (current is _MISSING or _same(current, defaults.get(key))):
            if not _same(current, value):
                applied[key], replaced[key] = copy.deepcopy(value), copy.deepcopy(defaults.get(key))
        elif not _same(current, value):
            kept[key] = copy.deepcopy(current)
    return RecipeChoice(net_type, applied, replaced, kept)


def recipe_enabled(section: dict[str, Any]) -> bool:
    """``train_settings.from_scratch_recipe`` of a model's section (absent: true).

    Raises:
        ConfigError: it is neither true nor false.
    """
    switch = _get(section, SWITCH_KEY)
    if switch is _MISSING or switch is None:
        return True
    if not isinstance(switch, bool):
        raise ConfigError(f"{SWITCH_KEY} must be true or false, not {switch!r}.")
    return switch


def declared_schedule(net_type: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """``(from_scratch_schedule, template defaults of SCHEDULE_KEYS)`` of ``net_type``'s template.

    ``(None, {})`` when the template declares no schedule or the net type has no template of ours.
    """
    template, declared = _template_entry(net_type, SCHEDULE_KEY)
    if not declared:
        return None, {}
    defaults = merged_templates(template)
    return dict(declared), {key: copy.deepcopy(_get(defaults, key)) for key in SCHEDULE_KEYS}


def choose_schedule(
    section: dict[str, Any],
    net_type: str,
    declared: dict[str, Any],
    defaults: dict[str, Any],
    chosen: Collection[str] = (),
) -> RecipeChoice:
    """The learning-rate drops of a from-scratch run of ``section`` (the recipe's other values applied).

    The rate becomes ``lr * factors[i]`` after epoch ``round(at[i] * epochs)``
    (``train_settings.epochs``; ``runner.optimizer.params.lr``); drops that fall
    before the first epoch or at the last are left out, so a short run may have none.
    Nothing applies unless the section's schedule is DeepLabCut's ``LRListScheduler``
    with the template's milestones and ``lr_list`` (else they are the user's, and kept)
    and its optimizer has an ``lr``; nor when ``train_settings.from_scratch_recipe`` is false.

    Raises:
        ConfigError: ``at`` and ``factors`` differ in length, or a fraction is not in (0, 1)
            (a template bug), or the switch is not true or false.
    """
    at, factors = list(declared.get("at", [])), list(declared.get("factors", []))
    if len(at) != len(factors) or not all(0 < float(f) < 1 for f in at):
        raise ConfigError(
            f"{SCHEDULE_KEY} of {net_type}: 'at' needs one fraction in (0, 1) of the epochs per factor; "
            f"got at {at} and factors {factors}."
        )
    if not recipe_enabled(section) or _get(section, "runner.scheduler.type") != "LRListScheduler":
        return RecipeChoice(net_type)
    current = {key: _get(section, key) for key in SCHEDULE_KEYS}
    yours = {key: value for key, value in current.items() if key in chosen or not _same(value, defaults.get(key))}
    if yours:
        return RecipeChoice(net_type, kept=copy.deepcopy(yours))
    epochs, lr = int(_get(section, "train_settings.epochs") or 200), _get(section, "runner.optimizer.params.lr")
    if not isinstance(lr, int | float):  # no rate in the file: the optimizer's own default, nothing to scale
        return RecipeChoice(net_type)
    drops = sorted({round(float(f) * epochs): float(factor) for f, factor in zip(at, factors)}.items())
    drops = [(epoch, factor) for epoch, factor in drops if 1 <= epoch < epochs]
    values = {
        SCHEDULE_KEYS[0]: [epoch for epoch, _ in drops],
        SCHEDULE_KEYS[1]: [[float(f"{lr * factor:.6g}")] for _, factor in drops],
    }
    if all(_same(values[key], current[key]) for key in SCHEDULE_KEYS):
        return RecipeChoice(net_type)
    return RecipeChoice(net_type, applied=values, replaced=copy.deepcopy(current))


def with_values(choice: RecipeChoice, more: RecipeChoice) -> RecipeChoice:
    """``choice`` with ``more``'s applied, replaced and kept values as well."""
    return RecipeChoice(
        choice.net_type,
        applied={**choice.applied, **more.applied},
        replaced={**choice.replaced, **more.replaced},
        kept={**choice.kept, **more.kept},
        downscale=choice.downscale,
        notes=choice.notes + more.notes,
    )


def declared_cpu_batch(net_type: str) -> dict[str, Any] | None:
    """The ``from_scratch_cpu_batch`` of ``net_type``'s template (None: the template declares none)."""
    return _declared_mapping(net_type, CPU_BATCH_KEY)


def keep_large_batch(choice: RecipeChoice, declared: dict[str, Any] | None, train_images: int) -> RecipeChoice:
    """``choice`` without its smaller CPU batch when the batch it replaces makes enough optimizer steps per epoch.

    The recipe's batch (``from_scratch_cpu``) buys more steps per epoch at some more time per
    epoch; a training set of ``train_images`` (per process) that already makes
    ``declared["min_steps_per_epoch"]`` steps at the configured batch keeps that batch, and
    the returned choice says so in a note. A batch the user set is never applied by the
    recipe, so it is not in ``choice.applied`` and stays as it is.

    Raises:
        ConfigError: ``min_steps_per_epoch`` is not a positive integer (a template bug).
    """
    if not declared or BATCH_KEY not in choice.applied:
        return choice
    min_steps = declared.get("min_steps_per_epoch")
    if not isinstance(min_steps, int) or isinstance(min_steps, bool) or min_steps < 1:
        raise ConfigError(
            f"{CPU_BATCH_KEY} of {choice.net_type}: min_steps_per_epoch must be a positive integer, not {min_steps!r}."
        )
    batch = choice.replaced.get(BATCH_KEY)
    if not isinstance(batch, int) or batch < 1 or train_images // batch < min_steps:
        return choice
    note = (
        f"{BATCH_KEY} {batch} kept: {train_images} training images make {train_images // batch} optimizer steps "
        f"per epoch (the CPU's smaller batch {choice.applied[BATCH_KEY]!r} is for fewer than {min_steps})"
    )
    return replace(
        choice,
        applied={key: value for key, value in choice.applied.items() if key != BATCH_KEY},
        replaced={key: value for key, value in choice.replaced.items() if key != BATCH_KEY},
        notes=choice.notes + (note,),
    )


@dataclass(frozen=True)
class Downscale:
    """Frames trained on and predicted at ``factor`` times their size (:func:`choose_downscale`).

    Attributes:
        factor: the scale of the frames (< 1).
        animal_px: the median animal's size in the original frames (its keypoints' box diagonal).
        values: ``{dotted key: value}`` of the model's section: both resizes and the crop.
        replaced: the section's values of those keys before (None where absent).
        crop_animals: the template's ``crop_animals`` when it set the crop, else None.
    """

    factor: float
    animal_px: float
    values: dict[str, Any]
    replaced: dict[str, Any]
    crop_animals: float | None = None

    def describe(self) -> str:
        text = (
            f"frames at {self.factor:.3g} of their size: the median animal spans {self.animal_px:.0f} px, "
            f"{self.animal_px * self.factor:.0f} px after"
        )
        if self.crop_animals is not None:
            crop = self.values[CROP_KEYS[0]]
            text += f", and training crops of {crop} px, {self.crop_animals:g} times that rounded up to 32"
        return text + (
            "; the sizes are written into pytorch_config.yaml, so that evaluation and video analysis see the same pixels"
        )


#: The training crop's keys (relative to a model's section).
CROP_KEYS = ("data.train.crop_sampling.width", "data.train.crop_sampling.height")
#: The keys a user sets to choose the training and inference size themselves (the downscale then stays off).
SIZE_KEYS = ("data.train.resize", "data.train.longest_max_size", "data.inference.resize", "data.inference.longest_max_size")


def declared_downscale(net_type: str) -> dict[str, Any] | None:
    """The ``from_scratch_downscale`` of ``net_type``'s template (None: the template declares none)."""
    return _declared_mapping(net_type, DOWNSCALE_KEY)


def _declared_mapping(net_type: str, key: str) -> dict[str, Any] | None:
    """A copy of the mapping under ``key`` in ``net_type``'s template (None: absent, empty, or no template of ours)."""
    _, declared = _template_entry(net_type, key)
    return dict(declared) if declared else None


def _template_entry(net_type: str, key: str) -> tuple[str, Any]:
    """``(template name, its top-level key)`` of ``net_type``; ``("", None)`` for a net type without a template of ours."""
    try:
        template, _ = resolve_net_type(net_type)
    except ConfigError:
        return "", None
    return template, load_template(template).get(key)


def animal_size(keypoints: np.ndarray) -> float | None:
    """Median size of the labeled animals: the diagonal of each animal's keypoint box (pixels).

    Args:
        keypoints: ``(images, individuals, bodyparts, 2)``, NaN where unlabeled.

    Returns:
        None when no animal has two labeled keypoints.
    """
    points = np.asarray(keypoints, dtype=np.float64).reshape(-1, keypoints.shape[-2], 2)
    labeled = np.isfinite(points).all(-1)
    usable = labeled.sum(-1) >= 2
    if not usable.any():
        return None
    points = points[usable]
    extent = np.nanmax(points, axis=1) - np.nanmin(points, axis=1)
    return float(np.median(np.hypot(extent[:, 0], extent[:, 1])))


def choose_downscale(
    section: dict[str, Any],
    declared: dict[str, Any],
    keypoints: np.ndarray,
    frame_sizes: Sequence[tuple[int, int]],
    crop_rule: Callable[[int], int],
) -> Downscale | None:
    """The downscale of a from-scratch CPU run, or None.

    The factor is the smallest of ``declared["factors"]`` that keeps the median
    labeled animal at least ``declared["min_animal_px"]`` pixels. Nothing is
    downscaled when the user chose a size (:data:`SIZE_KEYS`), when the videos
    differ in size (one size must fit all frames), or when the animals are
    too small for any factor. The training crop becomes the crop rule's for the
    smaller frames, or, with ``declared["crop_animals"]``, that many times the
    animal's size in them rounded up to 32 pixels when that is smaller; unless
    the user chose the crop (it differs from the rule's for the full frames).

    Args:
        section: the model's section of ``pytorch_config`` (the recipe's switch on).
        declared: the template's ``from_scratch_downscale``.
        keypoints: the training labels, ``(images, individuals, bodyparts, 2)``.
        frame_sizes: ``(width, height)`` of every video's frames.
        crop_rule: ``side -> crop side``, the crop the project's config would get for frames of that smaller side.

    Raises:
        ConfigError: ``crop_animals`` is not a number above 1 (a template bug).
    """
    per_animal = declared.get("crop_animals")
    if per_animal is not None and (
        isinstance(per_animal, bool) or not isinstance(per_animal, int | float) or not per_animal > 1
    ):
        raise ConfigError(f"{DOWNSCALE_KEY}: crop_animals must be a number above 1, not {per_animal!r}.")
    if any(_get(section, key) not in (_MISSING, None) for key in SIZE_KEYS):
        return None
    if not frame_sizes or len(set(frame_sizes)) != 1:
        return None
    size = animal_size(keypoints)
    if size is None:
        return None
    minimum = float(declared["min_animal_px"])
    fitting = [float(f) for f in declared["factors"] if 0 < float(f) < 1 and size * float(f) >= minimum]
    if not fitting:
        return None
    factor = min(fitting)
    width, height = frame_sizes[0]
    box = {"height": max(1, round(height * factor)), "width": max(1, round(width * factor)), "keep_ratio": True}
    values: dict[str, Any] = {"data.train.resize": box, "data.inference.resize": dict(box)}
    crop, full_crop = crop_rule(min(box["height"], box["width"])), crop_rule(min(width, height))
    animal_crop = CROP_MULTIPLE * math.ceil(per_animal * size * factor / CROP_MULTIPLE) if per_animal is not None else crop
    by_animal = float(per_animal) if animal_crop < crop else None
    crop = min(crop, animal_crop)
    for key in CROP_KEYS:
        if _get(section, key) == full_crop and crop != full_crop:
            values[key] = crop
    replaced = {key: (None if _get(section, key) is _MISSING else copy.deepcopy(_get(section, key))) for key in values}
    return Downscale(factor, size, values, replaced, by_animal if CROP_KEYS[0] in values else None)


def with_downscale(choice: RecipeChoice, downscale: Downscale | None) -> RecipeChoice:
    """``choice`` with the downscale's sizes applied as well."""
    if downscale is None:
        return choice
    sizes = RecipeChoice(choice.net_type, copy.deepcopy(downscale.values), copy.deepcopy(downscale.replaced))
    return replace(with_values(choice, sizes), downscale=downscale)


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
