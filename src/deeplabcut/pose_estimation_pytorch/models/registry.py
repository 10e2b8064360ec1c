"""Registries that turn the ``type:`` of a ``pytorch_config.yaml`` section into an object.

Every model part (backbone, neck, head, codec, loss) and every detector is built from a dict such
as ``{"type": "HRNet", "model_name": "hrnet_w32", ...}``: the registry looks up
the builder registered under ``type`` and calls it with the other keys as
keyword arguments. Adding a variant is registering one more name (or writing
one more YAML template), never editing the code that builds models.

Example::

    @BACKBONES.register("HRNet")
    class HRNet(nn.Module): ...

    backbone = BACKBONES.build({"type": "HRNet", "model_name": "hrnet_w32"})
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from deeplabcut.errors import ConfigError, ConfigValueError

BuilderT = TypeVar("BuilderT", bound=Callable[..., Any])


class Registry:
    """A mapping from ``type`` names to builders (classes or functions) of one kind of part.

    Args:
        kind: what the registry builds, used in error messages (``"backbone"``, ``"head"``...).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._builders: dict[str, Callable[..., Any]] = {}

    def register(self, *names: str) -> Callable[[BuilderT], BuilderT]:
        """Decorator registering a builder under ``names`` (default: its ``__name__``)."""

        def decorator(builder: BuilderT) -> BuilderT:
            for name in names or (builder.__name__,):
                if name in self._builders and self._builders[name] is not builder:
                    raise ValueError(f"{self.kind} type '{name}' is registered twice")
                self._builders[name] = builder
            return builder

        return decorator

    def names(self) -> list[str]:
        """The registered type names, sorted."""
        return sorted(self._builders)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._builders

    def get(self, name: str) -> Callable[..., Any]:
        """The builder registered under ``name``.

        Raises:
            ConfigError: no builder has that name.
        """
        try:
            return self._builders[name]
        except KeyError:
            raise ConfigError(
                f"unknown {self.kind} type '{name}' in the model section of pytorch_config.yaml; "
                f"known {self.kind} types: {', '.join(self.names())}"
            ) from None

    def build(self, config: Mapping[str, Any], **extra: Any) -> Any:
        """Build the part described by ``config`` (a dict with a ``type`` key).

        ``extra`` keyword arguments (e.g. the input channels a head reads from the
        backbone) are passed along with the config values.

        Raises:
            ConfigError: ``type`` is missing or unknown, or the builder rejects a key.
        """
        if not isinstance(config, Mapping) or "type" not in config:
            raise ConfigError(
                f"a {self.kind} section of pytorch_config.yaml must be a mapping with a "
                f"'type' key, got {config!r}"
            )
        builder = self.get(config["type"])
        kwargs = {key: value for key, value in config.items() if key != "type"}
        kwargs.update(extra)
        _check_arguments(builder, kwargs, f"{self.kind} '{config['type']}'")
        return builder(**kwargs)


def _check_arguments(builder: Callable[..., Any], kwargs: dict[str, Any], what: str) -> None:
    """Raise a ConfigError naming unknown or missing keys before calling ``builder``."""
    signature = inspect.signature(builder)
    parameters = signature.parameters
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    known = {name for name, p in parameters.items() if p.kind is not inspect.Parameter.VAR_POSITIONAL}
    unknown = sorted(set(kwargs) - known)
    if unknown and not accepts_any:
        raise ConfigError(
            f"{what} does not accept the key(s) {unknown}; accepted keys: "
            f"{sorted(known - {'self'})}"
        )
    missing = sorted(
        name
        for name, p in parameters.items()
        if p.default is inspect.Parameter.empty
        and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        and name not in kwargs
        and name != "self"
    )
    if missing:
        raise ConfigError(f"{what} needs the key(s) {missing} in its config section")


def import_submodules(package_name: str, package_path: list[str]) -> None:
    """Import every module of a part package so that its ``@REGISTRY.register`` builders exist.

    Each part package (``backbones``, ``necks``, ``heads``, ``codecs``,
    ``detectors``) calls this at the end of its ``__init__``: a new part is one
    new file in that folder (plus the YAML that names its ``type``), with no
    list of modules to edit.
    """
    for module in pkgutil.iter_modules(package_path):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package_name}.{module.name}")


BACKBONES = Registry("backbone")
NECKS = Registry("neck")
HEADS = Registry("head")
CODECS = Registry("codec")
LOSSES = Registry("loss")
DETECTORS = Registry("detector")


def check_model_types(pytorch_config: Mapping[str, Any], source: str) -> None:
    """Check every ``type`` name of a config's model parts against the registries, before anything is built.

    Covers ``model.backbone``, ``model.neck``, each ``model.heads.<name>`` with its
    ``codec`` and ``criterion`` losses, and ``detector.model``.

    Raises:
        ConfigValueError: naming ``source``, the key path, the type and the registered names.
    """
    import deeplabcut.pose_estimation_pytorch.models  # noqa: F401  (registers every part)

    def check(registry: Registry, section: Any, path: str) -> None:
        if isinstance(section, Mapping) and "type" in section and section["type"] not in registry:
            raise ConfigValueError(
                source, f"{path}.type", section["type"], f"known {registry.kind} types: {', '.join(registry.names())}"
            )

    model = pytorch_config.get("model") or {}
    check(BACKBONES, model.get("backbone"), "model.backbone")
    check(NECKS, model.get("neck"), "model.neck")
    for name, head in (model.get("heads") or {}).items():
        path = f"model.heads.{name}"
        check(HEADS, head, path)
        if not isinstance(head, Mapping):
            continue
        check(CODECS, head.get("codec"), f"{path}.codec")
        criterion = head.get("criterion")
        if isinstance(criterion, Mapping) and "type" in criterion:
            check(LOSSES, criterion, f"{path}.criterion")
        elif isinstance(criterion, Mapping):
            for output, loss in criterion.items():
                check(LOSSES, loss, f"{path}.criterion.{output}")
    detector = pytorch_config.get("detector")
    if isinstance(detector, Mapping):
        check(DETECTORS, detector.get("model"), "detector.model")
