"""Load, override, validate and fingerprint the YAML run configuration: the config boundary.

A config file is a nested mapping ``{section: {key: value}}`` with the predecessor's six sections
(general, mlflow, dataset, scattering, optim, model). :func:`validate_config` turns a partial or
legacy-spelled mapping into one immutable :class:`Config` that every other module reads (typed
sections: ``cfg.dataset.name``, ``cfg.optim.max_lr``; read-only mapping access ``cfg["dataset"]["name"]``
works too, for researchers' head builders and recipes): every key present, values
of the right type, choices in their clean spelling ('Tight-Frame' -> 'tight-frame', 'x-ray' ->
'xray', 'OneCycleLR' -> 'onecycle') and per-dataset nulls (num_classes, height, width,
data_folder, test_sample_num) replaced by the dataset's actual values. An empty value for a key
that cannot be null means its default (the predecessor's files left seed, tracking_uri and data_root
empty). Because a normalised config states the resolved values, switch dataset.name on the raw
config (or reset those keys to None), not on a normalised one.

Every problem raises :class:`parametricSN.errors.UserError` with one line that names the key as
``section.key`` (or the file path) and what is allowed.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import warnings
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from parametricSN.catalog import DATASET_INFO
from parametricSN.errors import UserError

__all__ = [
    "Config",
    "DEFAULTS",
    "apply_overrides",
    "HASH_EXCLUDED_KEYS",
    "config_hash",
    "flatten_config",
    "load_config",
    "normalise",
    "parse_override",
    "sample_num_bound",
    "section",
    "validate_config",
]

# Keys that never change what a run computes; left out of config_hash so that resuming works when
# only they differ.
HASH_EXCLUDED_KEYS = (
    "general.cores",
    "general.device",
    "model.save",
    "scattering.filter_video",
    "dataset.data_root",
    "general.checkpoint_minutes",
    "general.checkpoint_dir",
    "general.keep_checkpoints",
)

# Keys added after config hashes were first recorded, with their default: a key at this value is
# left out of config_hash, so a config that does not use it hashes as before (resume keeps working).
HASH_NEUTRAL_DEFAULTS = {
    "scattering.bounded": False,
    "scattering.filter_warmup": 0.0,
    "scattering.lp_pull": 0.0,
    "dataset.path": None,
    "dataset.channels": None,
    "dataset.skip_unreadable": False,
}

# Keys removed from the schema after config hashes were first recorded, with the value every
# recorded hash saw: put back before hashing, so that recorded hashes (and resume) still hold.
HASH_RETIRED_KEYS = {"general.save_metric": True}

# Keys the predecessor's YAML files carried but nothing reads any more: dropped with a warning so
# that its users' configs still load.
OBSOLETE_KEYS = {("optim", "phase_num"), ("optim", "phase_ends"), ("optim", "alternating")}
# general.save_metric (never read) is dropped silently: the predecessor's files and every model
# saved before it went carry it, and their users cannot act on a warning about it.
SILENTLY_DROPPED_KEYS = {("general", "save_metric")}

@dataclass(frozen=True)
class Field:
    """One config key: its kind, default and constraints.

    kind: int | float | bool | str | choice | int_list | device | head (a head name's spelling;
    whether it is registered is checked by ``parametricSN.models.registry.get_head``) | sample_num
    (an int, or ``"up to N"``: the largest class-balanced number ≤ N, see :func:`sample_num_bound`).
    minimum / exclusive: lower bound (exclusive=True makes it strict). maximum: upper bound.
    aliases: legacy spelling -> clean choice (matched case-insensitively, '_' and ' ' as '-').
    """

    kind: str
    default: Any
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive: bool = False
    choices: tuple = ()
    aliases: Mapping[str, str] = field(default_factory=dict)


SCHEMA: dict[str, dict[str, Field]] = {
    "general": {
        "cores": Field("int", None, nullable=True, minimum=1),
        "seed": Field("int", 0, minimum=0, maximum=2**32 - 1),
        "device": Field("device", "auto"),
        "precision": Field("choice", "fp32", choices=("fp32", "bf16", "fp16"), aliases={
            "float32": "fp32", "bfloat16": "bf16", "float16": "fp16", "half": "fp16"}),
        "compile": Field("bool", False),
        # resumable runs (parametricSN.training.checkpoint): minutes between checkpoints (0 = every
        # epoch), their folder (null: beside the store), kept after a FINISHED run or not
        "checkpoint_minutes": Field("float", 10.0, minimum=0.0),
        "checkpoint_dir": Field("str", None, nullable=True),
        "keep_checkpoints": Field("bool", False),
    },
    "mlflow": {
        "tracking_uri": Field("str", "sqlite:///mlruns/store.db"),
        "experiment_name": Field("str", "parametricSN"),
        "run_name": Field("str", None, nullable=True),
    },
    "dataset": {
        "name": Field("choice", "digits", choices=("cifar", "kth", "xray", "digits", "folder"), aliases={
            "cifar10": "cifar", "cifar-10": "cifar", "x-ray": "xray", "covidx": "xray",
            "covidx-cxr2": "xray", "kth-tips2-b": "kth", "kth-tips2": "kth", "digit": "digits",
            "imagefolder": "folder", "image-folder": "folder"}),
        # the folder dataset (parametricSN.data.folder): DIR/<class>/* or DIR/{train,test}/<class>/*
        "path": Field("str", None, nullable=True),
        "channels": Field("int", None, nullable=True, choices=(1, 3)),  # null: 1 if every image is grayscale
        "skip_unreadable": Field("bool", False),
        "num_classes": Field("int", None, nullable=True, minimum=2),
        "train_batch_size": Field("int", 128, minimum=1),
        "test_batch_size": Field("int", 128, minimum=1),
        # null or all = the whole train split; "up to N" = the largest balanced number <= N
        "train_sample_num": Field("sample_num", 100, nullable=True, minimum=1),
        "test_sample_num": Field("int", None, nullable=True, minimum=1),
        "data_root": Field("str", "data"),
        "data_folder": Field("str", None, nullable=True),
        "height": Field("int", None, nullable=True, minimum=1),
        "width": Field("int", None, nullable=True, minimum=1),
        "augment": Field("choice", None, nullable=True,  # null: the dataset's default (catalog.py)
                         choices=("autoaugment", "autoaugment-torchvision", "original-cifar", "noaugment"),
                         aliases={"auto-augment": "autoaugment", "original": "original-cifar",
                                  "torchvision-autoaugment": "autoaugment-torchvision",
                                  "no-augment": "noaugment", "none": "noaugment"}),
        "evaluate_on": Field("choice", None, nullable=True, choices=("test", "validation"), aliases={
            "val": "validation", "valid": "validation", "validate": "validation"}),
        "validation_sample_num": Field("int", None, nullable=True, minimum=1),
        "sample": Field("choice", "d", choices=("a", "b", "c", "d"), aliases={
            f"sample-{s}": s for s in "abcd"}),
        "accum_step_multiple": Field("int", 1, minimum=1),
        "download": Field("bool", False),
    },
    "scattering": {
        "J": Field("int", 2, minimum=1),
        "L": Field("int", 8, minimum=1),
        "max_order": Field("int", 2, choices=(1, 2)),
        "lr_scattering": Field("float", 0.1, minimum=0.0),
        "lr_orientation": Field("float", 0.1, minimum=0.0),
        "init_params": Field("choice", "tight-frame", choices=("tight-frame", "random"), aliases={
            "tightframe": "tight-frame", "tf": "tight-frame", "kymatio": "tight-frame", "rand": "random"}),
        "learnable": Field("bool", True),
        "second_order": Field("bool", False),
        "architecture": Field("choice", "scattering", choices=("scattering", "identity")),
        "parameterization": Field("choice", "canonical", choices=("canonical", "equivariant", "pixelwise"),
                                  aliases={"pixel-wise": "pixelwise"}),
        "bounded": Field("bool", False),
        # share of the epochs with frozen filters; weight of the Littlewood–Paley pull toward the
        # tight frame (parametricSN.training.filter_learning)
        "filter_warmup": Field("float", 0.0, minimum=0.0, maximum=0.99),
        "lp_pull": Field("float", 0.0, minimum=0.0),
        "filter_video": Field("bool", False),
        "param_distance": Field("bool", True),
    },
    "optim": {
        "name": Field("choice", "sgd", choices=("sgd", "adam")),
        "lr": Field("float", 0.1, minimum=0.0),
        "weight_decay": Field("float", 5e-4, minimum=0.0),
        "momentum": Field("float", 0.9, minimum=0.0),
        "cycle_momentum": Field("bool", True),
        "base_momentum": Field("float", 0.85, minimum=0.0),
        "max_momentum": Field("float", 0.95, minimum=0.0),
        "max_lr": Field("float", 0.06, minimum=0.0),
        "scheduler": Field("choice", "onecycle", choices=("onecycle", "cosine", "step", "none"), aliases={
            "onecyclelr": "onecycle", "one-cycle": "onecycle", "cosineannealinglr": "cosine",
            "cosineannealing": "cosine", "steplr": "step", "noscheduler": "none", "no-scheduler": "none"}),
        "div_factor": Field("float", 25.0, minimum=0.0, exclusive=True),
        "three_phase": Field("bool", False),
        "T_max": Field("int", None, nullable=True, minimum=1),
        "step_size": Field("int", 30, minimum=1),
        "step_gamma": Field("float", 0.1, minimum=0.0, exclusive=True),
    },
    "model": {
        "name": Field("head", "linear_layer"),
        "width": Field("int", 8, minimum=1),
        "mlp_hidden": Field("int_list", [512], minimum=1),
        "weights": Field("str", None, nullable=True),
        "epoch": Field("int", 200, minimum=1),
        "step_test": Field("int", 25, minimum=1),
        "loss": Field("choice", "cross-entropy", choices=("cross-entropy", "cosine"), aliases={
            "ce": "cross-entropy", "crossentropy": "cross-entropy",
            "cross-entropy-accum": "cross-entropy"}),
        "save": Field("bool", False),
    },
}

DEFAULTS: dict[str, dict[str, Any]] = {
    section: {key: (list(f.default) if isinstance(f.default, list) else f.default) for key, f in keys.items()}
    for section, keys in SCHEMA.items()
}



# ----------------------------------------------------------------------------------------------
# the typed, immutable config: one frozen dataclass per section, generated from SCHEMA


class Section(Mapping):
    """Base of the per-section frozen dataclasses: typed attributes, plus read-only mapping access
    (``section["J"]``, ``dict(section)``) in SCHEMA order."""

    __slots__ = ()
    _section = ""  # the section's name in the config file (set on each generated class)

    def __getitem__(self, key: str) -> Any:
        if key not in SCHEMA[self._section]:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self):
        return iter(SCHEMA[self._section])

    def __len__(self) -> int:
        return len(SCHEMA[self._section])

    def to_dict(self) -> dict[str, Any]:
        return {key: (list(value) if isinstance(value, list) else value) for key, value in self.items()}


def _section_class(section: str) -> type:
    cls = make_dataclass(
        section.capitalize(), [(key, Any) for key in SCHEMA[section]], bases=(Section,), frozen=True,
        eq=True, namespace={"_section": section, "__doc__": f"The normalised ``{section}`` section (SCHEMA)."})
    cls.__module__ = __name__
    globals()[cls.__name__] = cls  # importable by name, so that configs pickle to sweep workers
    return cls


SECTIONS: dict[str, type] = {section: _section_class(section) for section in SCHEMA}


@dataclass(frozen=True)
class Config(Mapping):
    """A validated, normalised config: one typed section per SCHEMA section.

    Made only by :func:`validate_config` / :func:`load_config`; to change a value, build a new one:
    ``cfg.replace(optim={"max_lr": 0.1})`` (validated again) or ``validate_config({...})``.
    """

    general: Any
    mlflow: Any
    dataset: Any
    scattering: Any
    optim: Any
    model: Any

    def __getitem__(self, section: str) -> Section:
        if section not in SCHEMA:
            raise KeyError(section)
        return getattr(self, section)

    def __iter__(self):
        return iter(SCHEMA)

    def __len__(self) -> int:
        return len(SCHEMA)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """A plain nested dict copy (mutable; what YAML files and recipes hold)."""
        return {section: self[section].to_dict() for section in SCHEMA}

    def replace(self, **sections: Mapping[str, Any]) -> "Config":
        """A new validated Config with ``section={key: value}`` changes applied."""
        nested = self.to_dict()
        for section, values in sections.items():
            nested.setdefault(section, {}).update(values)
        return validate_config(nested)


def _represent(dumper: yaml.SafeDumper, data: Mapping) -> Any:
    return dumper.represent_dict(data.to_dict())


for _dumper in (yaml.SafeDumper, yaml.Dumper):  # yaml.safe_dump(cfg) writes a Config as its nested dict
    _dumper.add_multi_representer(Config, _represent)
    _dumper.add_multi_representer(Section, _represent)


# ----------------------------------------------------------------------------------------------
# public API


def load_config(path: str | Path, overrides: Sequence[str] = ()) -> Config:
    """Read the YAML file at ``path``, apply ``section.key=value`` overrides, validate.

    Returns the normalised :class:`Config` (see :func:`validate_config`).
    """
    return validate_config(apply_overrides(_read_yaml(Path(path)), overrides))


def apply_overrides(cfg: Mapping, overrides: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """A nested copy of ``cfg`` with ``section.key=value`` overrides applied (not yet validated)."""
    structured = _structure(cfg)
    if isinstance(overrides, str):
        overrides = [overrides]
    for text in overrides:
        section, key, value = parse_override(text)
        structured.setdefault(section, {})[key] = value
    return structured


def validate_config(cfg: Mapping) -> Config:
    """Validate a (partial, possibly legacy-spelled) nested config; return the normalised Config.

    Missing keys take their DEFAULTS; choices get their clean spelling; dataset-dependent nulls
    are resolved. The input is not modified. Raises UserError naming the offending key. A Config
    is returned as it is (it was validated when it was made).
    """
    if isinstance(cfg, Config):
        return cfg
    structured = _structure(cfg)
    out: dict[str, dict[str, Any]] = {}
    for section, fields in SCHEMA.items():
        given = structured.get(section, {})
        out[section] = {key: _normalise_value(section, key, f, given.get(key, _MISSING))
                        for key, f in fields.items()}
    _resolve_dataset(out)
    _check_consistency(out)
    return Config(**{section: SECTIONS[section](**values) for section, values in out.items()})


def normalise(section: str, key: str, value: Any) -> Any:
    """One value checked and normalised as SCHEMA says for ``section.key`` (for plain-keyword
    builders such as ``build_loss(name)``); UserError naming the key."""
    return _normalise_value(section, key, SCHEMA[section][key], value)


def section(cfg: Mapping | None, name: str) -> Section:
    """The typed ``name`` section of ``cfg``.

    For a :class:`Config`, its own section. For a partial mapping (a researcher calling a builder
    by hand, a test), each key given is checked and normalised by SCHEMA and the others take their
    defaults, as :func:`validate_config` does, but without the cross-key rules: the per-dataset
    nulls (num_classes, height, width, ...) stay null. Raises UserError naming the key.
    """
    if isinstance(cfg, Config):
        return cfg[name]
    given = _structure(cfg).get(name, {})
    return SECTIONS[name](**{key: _normalise_value(name, key, f, given.get(key, _MISSING))
                             for key, f in SCHEMA[name].items()})


def flatten_config(cfg: Mapping) -> dict[str, object]:
    """``{"dataset.name": "cifar", ...}``: one entry per key, in section order (for MLflow params)."""
    if isinstance(cfg, Config):
        cfg = cfg.to_dict()
    flat: dict[str, object] = {}
    for section, keys in cfg.items():
        if isinstance(keys, Mapping):
            for key, value in keys.items():
                flat[f"{section}.{key}"] = value
        else:
            flat[str(section)] = keys
    return flat


def config_hash(cfg: Mapping) -> str:
    """SHA-1 hex digest of the normalised config without ``mlflow``, HASH_EXCLUDED_KEYS and the
    HASH_NEUTRAL_DEFAULTS keys left at their default, with the HASH_RETIRED_KEYS put back.

    Two configs that run the same computation hash alike, whatever their spelling or which
    defaults they wrote out; the digest is the same in every process.
    """
    normalised = validate_config(cfg).to_dict()
    normalised.pop("mlflow")
    for dotted in HASH_EXCLUDED_KEYS:
        section, key = dotted.split(".")
        normalised[section].pop(key)
    for dotted, default in HASH_NEUTRAL_DEFAULTS.items():
        section, key = dotted.split(".")
        if normalised[section][key] == default:
            normalised[section].pop(key)
    for dotted, value in HASH_RETIRED_KEYS.items():
        section, key = dotted.split(".")
        normalised[section][key] = value
    canonical = json.dumps(normalised, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                           allow_nan=False)
    return hashlib.sha1(canonical.encode("ascii")).hexdigest()


# ----------------------------------------------------------------------------------------------
# reading and structure

_MISSING = object()


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML silently keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice", key_node.start_mark)
            if isinstance(key, str):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        raise UserError(f"config file not found: {path}")
    if path.is_dir():
        raise UserError(f"config path is a directory, not a YAML file: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(_one_line(f"cannot read config file {path}: {error}")) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise UserError(_one_line(f"{path}: malformed YAML{where}: {problem}")) from None


def _structure(cfg: Any) -> dict[str, dict[str, Any]]:
    """Map section and key names to their canonical spelling; reject unknown ones."""
    if cfg is None:
        return {}
    if not isinstance(cfg, Mapping):
        raise UserError(f"the config must be a mapping of sections ({', '.join(SCHEMA)}), "
                        f"got {type(cfg).__name__}")
    out: dict[str, dict[str, Any]] = {}
    for raw_section, keys in cfg.items():
        section = _canonical_section(raw_section)
        if keys is None:
            keys = {}
        if not isinstance(keys, Mapping):
            raise UserError(f"{section}: expected a mapping of keys, got {_show(keys)}")
        target = out.setdefault(section, {})
        for raw_key, value in keys.items():
            key = _canonical_key(section, raw_key)
            if key is None:
                continue
            if key in target:
                raise UserError(f"{section}.{key}: given twice (as {raw_key!r} and another spelling)")
            target[key] = value
    return out


def _canonical_section(name: Any) -> str:
    lowered = str(name).strip().lower()
    if lowered in SCHEMA:
        return lowered
    close = difflib.get_close_matches(lowered, list(SCHEMA), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise UserError(f"unknown config section {str(name)!r}; {hint}allowed sections: {', '.join(SCHEMA)}")


def _canonical_key(section: str, name: Any) -> str | None:
    """The schema's spelling of ``name`` in ``section`` (case-insensitive), None if obsolete."""
    fields = SCHEMA[section]
    by_lower = _keys_by_lower(section)
    lowered = str(name).strip().lower()
    if lowered in by_lower:
        return by_lower[lowered]
    if (section, lowered) in SILENTLY_DROPPED_KEYS:
        return None
    if (section, lowered) in OBSOLETE_KEYS:
        warnings.warn(f"{section}.{name}: obsolete key from the predecessor's configs; ignored",
                      stacklevel=4)
        return None
    elsewhere = [other for other in SCHEMA if lowered in _keys_by_lower(other)]
    if elsewhere:
        hint = f"did you mean '{elsewhere[0]}.{_keys_by_lower(elsewhere[0])[lowered]}'? "
    else:
        close = difflib.get_close_matches(lowered, list(by_lower), n=1)
        hint = f"did you mean '{section}.{by_lower[close[0]]}'? " if close else ""
    raise UserError(f"{section}.{name}: unknown key; {hint}known keys in {section}: {', '.join(fields)}")


def _keys_by_lower(section: str) -> dict[str, str]:
    return {key.lower(): key for key in SCHEMA[section]}


def parse_override(text: str) -> tuple[str, str, Any]:
    """``'scattering.J=3'`` -> ('scattering', 'J', 3); the value is parsed by yaml.safe_load."""
    if not isinstance(text, str) or "=" not in text:
        raise UserError(f"override {text!r} is not of the form section.key=value (e.g. general.seed=3)")
    lhs, _, raw = text.partition("=")
    lhs = lhs.strip()
    if lhs.count(".") != 1 or not all(lhs.split(".")):
        raise UserError(f"override {text!r}: the name before '=' must be section.key (e.g. general.seed=3)")
    raw_section, raw_key = lhs.split(".")
    section = _canonical_section(raw_section)
    key = _canonical_key(section, raw_key)
    if key is None:
        raise UserError(f"override {text!r}: {section}.{raw_key} is obsolete and has no effect")
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or "cannot parse"
        raise UserError(_one_line(f"{section}.{key}: cannot parse override value {raw!r}: {problem}")) from None
    return section, key, value


# ----------------------------------------------------------------------------------------------
# values


def _normalise_value(section: str, key: str, f: Field, value: Any) -> Any:
    where = f"{section}.{key}"
    if value is _MISSING:
        return list(f.default) if isinstance(f.default, list) else f.default
    if f.kind in ("int", "sample_num") and f.nullable and isinstance(value, str) and value.strip().lower() == "all":
        value = None  # train_sample_num: all = the whole split
    if value is None:
        if f.nullable:
            return None
        if f.kind == "choice" and "none" in f.choices:
            return "none"
        # The predecessor's files left keys empty to mean "the default" (seed, tracking_uri, ...).
        return list(f.default) if isinstance(f.default, list) else f.default
    if f.kind == "sample_num" and isinstance(value, str):
        bound = UP_TO.fullmatch(value.strip().lower())
        if bound is None:
            raise UserError(f"{where}: {value!r} is not allowed; use a number, 'up to N' or all")
        return f"up to {_check_range(where, f, int(bound.group(1)))}"
    if f.kind in ("int", "sample_num"):
        result = _as_int(where, value)
        if f.choices and result not in f.choices:
            raise UserError(f"{where}: {value!r} is not allowed; use one of: {', '.join(map(str, f.choices))}")
        return _check_range(where, f, result)
    if f.kind == "float":
        return _check_range(where, f, _as_float(where, value))
    if f.kind == "bool":
        if not isinstance(value, bool):
            raise UserError(f"{where}: expected true or false (yes/no), got {_show(value)}")
        return value
    if f.kind == "str":
        return _as_str(where, value)
    if f.kind == "choice":
        return _as_choice(where, f, value)
    if f.kind == "int_list":
        items = [value] if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(items, (list, tuple)):
            raise UserError(f"{where}: expected a list of positive integers such as [512], got {_show(value)}")
        return [_check_range(where, f, _as_int(where, item)) for item in items]
    if f.kind == "device":
        device = _as_str(where, value).strip().lower()
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", device):
            raise UserError(f"{where}: {value!r} is not allowed; use one of: auto, cpu, cuda, cuda:N")
        return device
    if f.kind == "head":
        return _as_head(where, value)
    raise AssertionError(f"unknown field kind {f.kind}")


UP_TO = re.compile(r"up\s*to\s*(\d+)")


def sample_num_bound(value: int | str | None) -> tuple[int | None, bool]:
    """A normalised ``sample_num`` value -> (number, True if it is an upper bound ("up to N"))."""
    if isinstance(value, str):
        return int(UP_TO.fullmatch(value).group(1)), True
    return value, False


def per_class_up_to(bound: int, classes: int) -> int:
    """Images per class of the largest balanced training subset of at most ``bound`` images."""
    if bound < classes:
        raise UserError(f"dataset.train_sample_num: up to {bound} is less than one image for each of the "
                        f"{classes} classes; use up to {classes} or more")
    return bound // classes


def _as_int(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{where}: expected an integer, got {_show(value)}")
    if isinstance(value, float) and not value.is_integer():
        raise UserError(f"{where}: expected an integer, got {value!r}")
    return int(value)


def _as_float(where: str, value: Any) -> float:
    # YAML 1.1 reads '5e-4' (no dot) as a string, so numeric strings are accepted here.
    if isinstance(value, bool):
        raise UserError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise UserError(f"{where}: expected a number, got {_show(value)}") from None
    if not isinstance(value, (int, float)):
        raise UserError(f"{where}: expected a number, got {_show(value)}")
    result = float(value)
    if not math.isfinite(result):
        raise UserError(f"{where}: expected a finite number, got {value!r}")
    return result


def _as_str(where: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # e.g. experiment_name: 2024
    raise UserError(f"{where}: expected a string, got {_show(value)}")


def _spelling(text: str) -> str:
    return re.sub(r"[\s_]+", "-", text.strip().lower())


def _as_choice(where: str, f: Field, value: Any) -> str:
    if isinstance(value, str):
        spelled = _spelling(value)
        if spelled in f.choices:
            return spelled
        aliases = {_spelling(k): v for k, v in f.aliases.items()}
        if spelled in aliases:
            return aliases[spelled]
    raise UserError(f"{where}: {value!r} is not allowed; use one of: {', '.join(f.choices)}")


def _as_head(where: str, value: Any) -> str:
    """A head name's clean spelling (lower case, '_' for '-'); the registry checks that it exists."""
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"{where}: expected a registered head name such as linear_layer, got {_show(value)}")
    return value.strip().lower().replace("-", "_")


def _check_range(where: str, f: Field, value):
    if f.minimum is not None:
        if f.exclusive and value <= f.minimum:
            raise UserError(f"{where}: must be > {_number(f.minimum)}, got {value!r}")
        if not f.exclusive and value < f.minimum:
            raise UserError(f"{where}: must be >= {_number(f.minimum)}, got {value!r}")
    if f.maximum is not None and value > f.maximum:
        raise UserError(f"{where}: must be between {_number(f.minimum)} and {_number(f.maximum)}, got {value!r}")
    return value


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


# ----------------------------------------------------------------------------------------------
# cross-key rules


def _resolve_dataset(cfg: dict) -> None:
    data = cfg["dataset"]
    info = DATASET_INFO[data["name"]]
    if data["num_classes"] is None:
        data["num_classes"] = info.num_classes
    elif info.num_classes is not None and data["num_classes"] != info.num_classes:
        raise UserError(f"dataset.num_classes: {data['num_classes']} contradicts dataset '{data['name']}', "
                        f"which has {info.num_classes} classes; set {info.num_classes} or leave it empty")
    for key in ("height", "width", "data_folder", "test_sample_num", "validation_sample_num", "augment",
                "evaluate_on"):
        if data[key] is None:
            data[key] = getattr(info, key)
    bound, up_to = sample_num_bound(data["train_sample_num"])
    if up_to and info.num_classes is not None:  # a folder's classes are known once it is read
        data["train_sample_num"] = info.num_classes * per_class_up_to(bound, info.num_classes)


def _check_consistency(cfg: dict) -> None:
    data, scat = cfg["dataset"], cfg["scattering"]
    if data["path"] and data["name"] != "folder":
        raise UserError(f"dataset.path is read by dataset.name=folder only (your own images), not '{data['name']}': "
                        f"set dataset.name=folder, or use dataset.data_root/data_folder for '{data['name']}'")
    # a folder's class count is known once it is read: the reader checks train_sample_num then
    if data["num_classes"] and isinstance(data["train_sample_num"], int) and data["train_sample_num"] % data["num_classes"]:
        raise UserError(f"dataset.train_sample_num: {data['train_sample_num']} is not divisible by the "
                        f"{data['num_classes']} classes of '{data['name']}'; use a multiple of {data['num_classes']}")
    if scat["architecture"] == "scattering":
        size = min(data["height"], data["width"])
        if 2 ** scat["J"] > size:
            largest = size.bit_length() - 1
            raise UserError(f"scattering.J: 2^{scat['J']} = {2 ** scat['J']} exceeds the image size "
                            f"{data['height']}x{data['width']} (dataset.height x dataset.width); use J <= {largest}")
        if scat["second_order"] and scat["max_order"] < 2:
            raise UserError("scattering.second_order: true needs scattering.max_order: 2 "
                            "(order 1 has no second-order coefficients to keep)")


# ----------------------------------------------------------------------------------------------
# messages


def _show(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
