"""Loading pretrained weights (ImageNet backbones) from a file or the Hugging Face hub.

``pretrained:`` in a backbone config may be

* ``false`` / ``null``: random initialisation;
* ``true`` (the templates' default): the backbone's ImageNet weights when they
  can be had: from the Hugging Face cache, else downloaded when the hub
  answers within a few seconds (and ``HF_HUB_OFFLINE`` is not set). When
  they cannot be had (offline, or a width without ImageNet weights), the
  backbone starts from random weights and :class:`LoadReport` says why
  (``from_scratch``), which ``train_network`` prints as a warning;
* a local file: ``.pth``, ``.pt`` or ``.bin`` (``torch.save`` of a state dict,
  or of a dict holding one under ``"state_dict"`` or ``"model"``, as
  DeepLabCut snapshots do) or ``.safetensors``; or a folder holding
  ``model.safetensors`` / ``pytorch_model.bin``;
* a Hugging Face hub id such as ``timm/hrnet_w32.ms_in1k`` (``hf-hub:`` prefix
  allowed), downloaded with :func:`huggingface_hub.hf_hub_download` (trying
  ``model.safetensors`` then ``pytorch_model.bin``) into the usual hub cache.

Keys are matched after stripping the wrapper prefix that fits best
(``module.``, ``backbone.model.``, ``model.``, ``backbone.``). Keys the
network does not have but that ImageNet classifiers carry (``classifier``,
``incre_modules``, ``downsamp_modules``, ``final_layer``...) are ignored.
Anything else that goes wrong raises :class:`~deeplabcut.errors.ModelError`:
a model never silently starts from random weights when pretrained weights
were asked for.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from deeplabcut.errors import ModelError, where

WEIGHT_SUFFIXES = (".pth", ".pt", ".bin", ".safetensors")
HUB_FILENAMES = ("model.safetensors", "pytorch_model.bin")
WRAPPER_PREFIXES = ("module.", "backbone.model.", "model.", "backbone.")
#: Keys of ImageNet classification nets that a features-only network lacks.
CLASSIFIER_PREFIXES = (
    "incre_modules.",
    "downsamp_modules.",
    "final_layer.",
    "classifier.",
    "fc.",
    "head.",
)
_HUB_ID = re.compile(r"^(?:hf[-_]hub:)?(?P<repo>[A-Za-z0-9][\w.-]*/[\w.-]+)$")


@dataclass
class LoadReport:
    """What :func:`load_pretrained_weights` did.

    Attributes:
        source: the file the weights were read from.
        stripped_prefix: the wrapper prefix removed from the file's keys ('' if none).
        loaded: keys of the network that received a value.
        missing: keys of the network left as they were (only BN ``num_batches_tracked``
            counters may be missing; anything else raises).
        unexpected: keys of the file that the network does not have and that are
            not known classifier keys.
        ignored: classifier keys of the file the network does not have.
    """

    source: str
    stripped_prefix: str = ""
    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    from_scratch: str = ""

    @classmethod
    def scratch(cls, reason: str) -> LoadReport:
        """The report of ``pretrained: true`` when no weights could be had, and why."""
        return cls(source="", from_scratch=reason)

    def __str__(self) -> str:
        if self.from_scratch:
            return f"trained from scratch (random weights): {self.from_scratch}"
        text = f"pretrained weights from {self.source}: {len(self.loaded)} tensors loaded"
        if self.ignored:
            text += f", {len(self.ignored)} classifier tensors ignored"
        if self.unexpected:
            text += f", {len(self.unexpected)} unused (e.g. {self.unexpected[0]})"
        if self.missing:
            text += f", {len(self.missing)} left as initialised (e.g. {self.missing[0]})"
        return text


def hub_repo_id(pretrained: str) -> str | None:
    """The hub repository id if ``pretrained`` looks like one (``owner/name``), else ``None``."""
    if Path(pretrained).suffix.lower() in WEIGHT_SUFFIXES:
        return None
    match = _HUB_ID.match(pretrained.strip())
    return match.group("repo") if match else None


def download_hub_weights(repo_id: str, revision: str | None = None) -> Path:
    """Download the weights file of hub repository ``repo_id`` (cached) and return its path.

    Raises:
        ModelError: the repository or both candidate files cannot be downloaded.
    """
    try:
        import huggingface_hub
    except ImportError as error:  # pragma: no cover - declared dependency
        raise ModelError(
            f"downloading pretrained weights '{repo_id}' needs the huggingface_hub package; "
            "install it, or download the file elsewhere and set pretrained: /path/to/file"
        ) from error
    failures = []
    for filename in HUB_FILENAMES:
        try:
            return Path(huggingface_hub.hf_hub_download(repo_id, filename, revision=revision))
        except Exception as error:  # the hub client raises many error types
            failures.append(f"{filename}: {type(error).__name__}: {error}")
    raise ModelError(
        f"could not download pretrained weights '{repo_id}' from the Hugging Face hub "
        f"(tried {', '.join(HUB_FILENAMES)}):\n  " + "\n  ".join(failures) + "\n"
        "Without internet access, download the file on another machine (e.g. "
        f"https://huggingface.co/{repo_id}/resolve/main/model.safetensors), copy it here and set "
        "the backbone's pretrained: /path/to/model.safetensors; or set pretrained: false to train "
        "from random weights."
    )


def find_imagenet_weights(repo_id: str, probe_timeout: float = 3.0) -> tuple[Path | None, str]:
    """``(file, "")`` for hub repository ``repo_id``'s weights when they can be had, else ``(None, why)``.

    Looks in the Hugging Face cache first (``HF_HUB_CACHE``/``HF_HOME`` are
    honoured); downloads only when ``HF_HUB_OFFLINE`` is unset and the hub's
    host accepts a connection within ``probe_timeout`` seconds, so an offline
    machine does not wait through the hub client's retries.
    """
    try:
        import huggingface_hub
    except ImportError:  # pragma: no cover - declared dependency
        return None, "the huggingface_hub package is not installed"
    cache_dir = os.environ.get("HF_HUB_CACHE") or None
    for filename in HUB_FILENAMES:
        cached = huggingface_hub.try_to_load_from_cache(repo_id, filename, cache_dir=cache_dir)
        if isinstance(cached, str) and Path(cached).is_file():
            return Path(cached), ""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        return None, f"{repo_id} is not in the Hugging Face cache and HF_HUB_OFFLINE is set"
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    host = endpoint.split("://", 1)[-1].split("/", 1)[0]
    hostname, _, port = host.partition(":")
    try:
        socket.create_connection((hostname, int(port or 443)), timeout=probe_timeout).close()
    except (OSError, ValueError) as error:
        return None, f"{repo_id} is not in the Hugging Face cache and {hostname} cannot be reached ({error})"
    try:
        return download_hub_weights(repo_id), ""
    except ModelError as error:
        return None, str(error).splitlines()[0]


def resolve_weights_file(pretrained: str | Path) -> Path:
    """The local file to read for a ``pretrained`` value (downloading hub ids).

    Raises:
        ModelError: the file does not exist, has an unknown format, or cannot be downloaded.
    """
    path = Path(pretrained).expanduser()
    if path.is_dir():
        for filename in HUB_FILENAMES:
            if (path / filename).is_file():
                return path / filename
        raise ModelError(
            f"pretrained weights folder {where(path)} holds neither of {', '.join(HUB_FILENAMES)}"
        )
    if path.is_file():
        if path.suffix.lower() not in WEIGHT_SUFFIXES:
            raise ModelError(
                f"pretrained weights file {where(path)} has an unknown format; "
                f"expected one of {', '.join(WEIGHT_SUFFIXES)}"
            )
        return path
    repo_id = hub_repo_id(str(pretrained))
    if repo_id is None:
        raise ModelError(
            f"pretrained weights file {where(path)} does not exist; fix the backbone's "
            "'pretrained' value (a file path, a Hugging Face hub id such as "
            "timm/hrnet_w32.ms_in1k, or false)"
        )
    return download_hub_weights(repo_id)


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a state dict (tensors by key) from a ``.safetensors`` or ``torch.save`` file.

    A ``torch.save`` file may hold the state dict itself or a dict with it
    under ``"state_dict"`` or ``"model"`` (DeepLabCut snapshots).

    Raises:
        ModelError: the file cannot be read or holds no tensors.
    """
    path = Path(path)
    try:
        if path.suffix.lower() == ".safetensors":
            from safetensors.torch import load_file

            data = load_file(str(path), device="cpu")
        else:
            data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ModelError(
            f"cannot read pretrained weights {where(path)}: {type(error).__name__}: {error}. "
            "Is the file complete? (A download may have been cut short.) Files must hold a "
            "state dict saved with torch.save or safetensors."
        ) from error
    for wrapper_key in ("state_dict", "model"):
        if isinstance(data, Mapping) and isinstance(data.get(wrapper_key), Mapping):
            data = data[wrapper_key]
            break
    if not isinstance(data, Mapping):
        raise ModelError(f"pretrained weights {where(path)} hold a {type(data).__name__}, not a state dict")
    state_dict = {str(key): value for key, value in data.items() if isinstance(value, torch.Tensor)}
    if not state_dict:
        raise ModelError(f"pretrained weights {where(path)} hold no tensors")
    return state_dict


def strip_wrapper_prefix(
    state_dict: Mapping[str, torch.Tensor], target_keys: Sequence[str]
) -> tuple[dict[str, torch.Tensor], str]:
    """Remove the wrapper prefix (``module.``, ``backbone.model.``...) that best fits ``target_keys``.

    Keys without the chosen prefix are kept unchanged. Returns the new dict and the prefix.
    """
    targets = set(target_keys)
    state_dict = {
        (key[len("module.") :] if key.startswith("module.") else key): value
        for key, value in state_dict.items()
    }
    best_prefix, best_hits = "", sum(key in targets for key in state_dict)
    for prefix in WRAPPER_PREFIXES[1:]:
        hits = sum(key.startswith(prefix) and key[len(prefix) :] in targets for key in state_dict)
        if hits > best_hits:
            best_prefix, best_hits = prefix, hits
    if not best_prefix:
        return dict(state_dict), ""
    return {
        (key[len(best_prefix) :] if key.startswith(best_prefix) else key): value
        for key, value in state_dict.items()
    }, best_prefix


def load_state_dict_checked(
    module: nn.Module,
    state_dict: Mapping[str, torch.Tensor],
    source: str,
    ignore_prefixes: Sequence[str] = CLASSIFIER_PREFIXES,
) -> LoadReport:
    """Copy ``state_dict`` into ``module`` after matching prefixes; raise on anything missing.

    Raises:
        ModelError: a shape differs, no key matches, or parameters of the
            network are absent from the weights.
    """
    own = module.state_dict()
    state_dict, prefix = strip_wrapper_prefix(state_dict, list(own))
    report = LoadReport(source=source, stripped_prefix=prefix)
    mismatched = []
    usable = {}
    for key, value in state_dict.items():
        if key in own:
            if tuple(value.shape) != tuple(own[key].shape):
                mismatched.append(f"{key}: {tuple(value.shape)} in the file, {tuple(own[key].shape)} in the model")
            else:
                usable[key] = value
        elif key.startswith(tuple(ignore_prefixes)):
            report.ignored.append(key)
        else:
            report.unexpected.append(key)
    if mismatched:
        raise ModelError(
            f"pretrained weights {source} do not fit the network ({len(mismatched)} shape "
            "mismatches; are they for another model or width?):\n  " + "\n  ".join(mismatched[:10])
        )
    if not usable:
        raise ModelError(
            f"none of the {len(state_dict)} keys of pretrained weights {source} match the network "
            f"(file keys look like {sorted(state_dict)[:3]}, network keys like {sorted(own)[:3]}); "
            "are they weights for this model?"
        )
    report.missing = sorted(set(own) - set(usable))
    serious = [key for key in report.missing if not key.endswith("num_batches_tracked")]
    if serious:
        raise ModelError(
            f"pretrained weights {source} lack {len(serious)} parameters of the network, which "
            "would keep random values, e.g.:\n  " + "\n  ".join(serious[:10]) + "\n"
            "Use weights saved from the same architecture, or set pretrained: false."
        )
    module.load_state_dict(usable, strict=False)
    report.loaded = sorted(usable)
    return report


def load_pretrained_weights(
    module: nn.Module,
    pretrained: str | Path,
    ignore_prefixes: Sequence[str] = CLASSIFIER_PREFIXES,
) -> LoadReport:
    """Load ``pretrained`` (file, folder or hub id) into ``module``; see the module docstring.

    Raises:
        ModelError: the weights cannot be found, downloaded, read or matched.
    """
    path = resolve_weights_file(pretrained)
    state_dict = read_state_dict(path)
    return load_state_dict_checked(module, state_dict, where(path), ignore_prefixes)
