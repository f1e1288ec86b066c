"""parametricSN.config: shipped configs load and round-trip, overrides parse with YAML types,
legacy spellings normalise, every bad input is a one-line UserError naming its key, and
config_hash / flatten_config behave as architecture §2 says."""
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml

from parametricSN.config import (
    DEFAULTS,
    HASH_EXCLUDED_KEYS,
    config_hash,
    flatten_config,
    load_config,
    validate_config,
)
from parametricSN.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "conf").glob("*.yml"))


def write(tmp_path, text, name="run.yml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def has(mapping, **expected) -> bool:
    return expected.items() <= mapping.items()


def user_error(call, *args, **kwargs) -> str:
    with pytest.raises(UserError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message, message
    return message


# ---------------------------------------------------------------------------------------------
# shipped configs


def test_all_five_configs_are_shipped():
    assert {p.name for p in SHIPPED} == {"cifar.yml", "kth.yml", "xray.yml", "digits.yml", "folder.yml"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_config_lists_every_key_and_round_trips(path, tmp_path):
    raw = yaml.safe_load(path.read_text())
    assert {s: set(keys) for s, keys in raw.items()} == {s: set(keys) for s, keys in DEFAULTS.items()}
    cfg = load_config(path)
    assert validate_config(cfg) == cfg
    again = load_config(write(tmp_path, yaml.safe_dump(cfg, sort_keys=False)))
    assert again == cfg
    assert config_hash(again) == config_hash(cfg)


def test_shipped_cifar_is_the_published_ls_ll_100_sample_setting():
    cfg = load_config(ROOT / "conf" / "cifar.yml")
    assert cfg["general"]["seed"] == 207715039
    assert has(cfg["dataset"], name="cifar", train_sample_num=100, train_batch_size=128,
               augment="autoaugment", num_classes=10, test_sample_num=10000)
    assert has(cfg["scattering"], J=2, init_params="tight-frame", learnable=True,
               lr_scattering=0.1, lr_orientation=0.1)
    assert has(cfg["optim"], max_lr=0.06, scheduler="onecycle", div_factor=25.0)
    assert has(cfg["model"], name="linear_layer", epoch=200)


def test_shipped_kth_xray_digits_settings():
    kth = load_config(ROOT / "conf" / "kth.yml")
    assert (kth["dataset"]["name"], kth["dataset"]["sample"], kth["scattering"]["J"]) == ("kth", "d", 4)
    assert (kth["dataset"]["height"], kth["dataset"]["width"], kth["dataset"]["num_classes"]) == (128, 128, 11)
    xray = load_config(ROOT / "conf" / "xray.yml")
    assert (xray["dataset"]["name"], xray["dataset"]["train_sample_num"]) == ("xray", 100)
    assert (xray["dataset"]["height"], xray["dataset"]["test_sample_num"]) == (224, 400)
    digits = load_config(ROOT / "conf" / "digits.yml")
    assert has(digits["dataset"], name="digits", train_sample_num=500, height=32,
               data_folder=None, test_sample_num=360)
    assert (digits["scattering"]["J"], digits["scattering"]["L"]) == (2, 8)


# ---------------------------------------------------------------------------------------------
# defaults and per-dataset resolution


def test_empty_config_gets_every_default():
    cfg = validate_config({})
    assert list(cfg) == list(DEFAULTS)
    for section, keys in DEFAULTS.items():
        assert list(cfg[section]) == list(keys)
        for key, default in keys.items():
            if default is not None:
                assert cfg[section][key] == default, f"{section}.{key}"


@pytest.mark.parametrize("name, expected", [
    ("cifar", (10, 32, 32, "cifar10", 10000)),
    ("kth", (11, 128, 128, "KTH-TIPS2-b", 3564)),
    ("xray", (2, 224, 224, "COVIDx-CXR2", 400)),
    ("digits", (10, 32, 32, None, 360)),
])
def test_dataset_nulls_resolve_to_the_dataset_values(name, expected):
    data = validate_config({"dataset": {"name": name, "train_sample_num": 110}})["dataset"]
    assert (data["num_classes"], data["height"], data["width"], data["data_folder"],
            data["test_sample_num"]) == expected


def test_explicit_dataset_values_are_kept():
    data = validate_config({"dataset": {"name": "kth", "height": 64, "width": 96, "test_sample_num": 110,
                                        "data_folder": "mine", "num_classes": 11, "train_sample_num": 11}})["dataset"]
    assert (data["height"], data["width"], data["test_sample_num"], data["data_folder"]) == (64, 96, 110, "mine")


def test_null_train_sample_num_means_the_whole_split():
    assert validate_config({"dataset": {"name": "kth", "train_sample_num": None}})["dataset"]["train_sample_num"] is None


def test_validate_does_not_modify_its_input():
    given = {"scattering": {"init_params": "Tight-Frame"}}
    validate_config(given)
    assert given == {"scattering": {"init_params": "Tight-Frame"}}


def test_empty_values_in_a_predecessor_style_file_take_defaults(tmp_path):
    path = write(tmp_path, "general:\n  seed:\n  cores: 2\n  save_metric: true\nmlflow:\n  tracking_uri:\n"
                           "optim:\n  scheduler: NoScheduler\n  phase_num: 3\n  phase_ends:\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfg = load_config(path)
    assert sorted(str(w.message).split(":")[0] for w in caught) == ["optim.phase_ends", "optim.phase_num"]
    assert cfg["general"]["seed"] == 0
    assert cfg["general"]["cores"] == 2
    assert cfg["mlflow"]["tracking_uri"] == "sqlite:///mlruns/store.db"
    assert cfg["optim"]["scheduler"] == "none"
    assert "phase_num" not in cfg["optim"] and "save_metric" not in cfg["general"]


@pytest.mark.parametrize("value", [True, False])
def test_the_retired_save_metric_loads_silently_and_keeps_the_recorded_hashes(tmp_path, value):
    # Nothing ever read general.save_metric; the predecessor's files and older saved models carry it.
    path = write(tmp_path, f"general:\n  seed: 3\n  save_metric: {str(value).lower()}\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cfg = load_config(path)
    assert "save_metric" not in cfg["general"] and "general.save_metric" not in flatten_config(cfg)
    assert config_hash(cfg) == config_hash({"general": {"seed": 3}})
    assert "obsolete" in user_error(load_config, path, ["general.save_metric=yes"])


# ---------------------------------------------------------------------------------------------
# overrides


def test_override_values_keep_their_yaml_types(tmp_path):
    path = write(tmp_path, "general:\n  cores: 2\n")
    cfg = load_config(path, [
        "scattering.J=3", "optim.lr=1e-3", "optim.max_lr=0.5", "scattering.learnable=no",
        "model.mlp_hidden=[256, 128]", "general.cores=null", "mlflow.run_name=", "dataset.name=x-ray",
    ])
    assert cfg["scattering"]["J"] == 3 and type(cfg["scattering"]["J"]) is int
    assert cfg["optim"]["lr"] == 1e-3 and type(cfg["optim"]["lr"]) is float
    assert cfg["optim"]["max_lr"] == 0.5
    assert cfg["scattering"]["learnable"] is False
    assert cfg["model"]["mlp_hidden"] == [256, 128]
    assert cfg["general"]["cores"] is None
    assert cfg["mlflow"]["run_name"] is None
    assert cfg["dataset"]["name"] == "xray"


def test_override_wins_over_file_whatever_the_key_case(tmp_path):
    path = write(tmp_path, "scattering:\n  J: 2\n")
    assert load_config(path, ["scattering.j=3"])["scattering"]["J"] == 3
    assert load_config(path, "general.seed=5")["general"]["seed"] == 5


# ---------------------------------------------------------------------------------------------
# legacy spellings


@pytest.mark.parametrize("section, key, given, clean", [
    ("scattering", "init_params", "Tight-Frame", "tight-frame"),
    ("scattering", "init_params", "Random", "random"),
    ("scattering", "init_params", "TIGHT_FRAME", "tight-frame"),
    ("dataset", "name", "x-ray", "xray"),
    ("dataset", "name", "X-ray", "xray"),
    ("dataset", "name", "KTH", "kth"),
    ("dataset", "name", "CIFAR", "cifar"),
    ("dataset", "name", "cifar-10", "cifar"),
    ("optim", "scheduler", "OneCycleLR", "onecycle"),
    ("optim", "scheduler", "CosineAnnealingLR", "cosine"),
    ("optim", "scheduler", "StepLR", "step"),
    ("optim", "scheduler", "NoScheduler", "none"),
    ("optim", "name", "SGD", "sgd"),
    ("model", "loss", "cross_entropy", "cross-entropy"),
    ("model", "loss", "ce", "cross-entropy"),
    ("model", "name", "Linear_Layer", "linear_layer"),
    ("dataset", "augment", "AutoAugment", "autoaugment"),
    ("dataset", "sample", "D", "d"),
    ("general", "device", "CPU", "cpu"),
])
def test_legacy_spellings_normalise(section, key, given, clean):
    cfg = {section: {key: given}, "dataset": {"train_sample_num": 110}} | (
        {"dataset": {key: given, "train_sample_num": 110}} if section == "dataset" else {})
    assert validate_config(cfg)[section][key] == clean


def test_legacy_spelling_and_clean_spelling_hash_alike():
    legacy = {"scattering": {"init_params": "Tight-Frame"}, "optim": {"scheduler": "OneCycleLR", "lr": 1}}
    clean = {"scattering": {"init_params": "tight-frame"}, "optim": {"scheduler": "onecycle", "lr": 1.0}}
    assert config_hash(legacy) == config_hash(clean)


# ---------------------------------------------------------------------------------------------
# errors: one line naming the key


@pytest.mark.parametrize("cfg, needles", [
    ({"scattering": {"init_params": "foo"}}, ["scattering.init_params", "'foo'", "tight-frame, random"]),
    ({"dataset": {"name": "mnist"}}, ["dataset.name", "cifar, kth, xray, digits"]),
    ({"optim": {"scheduler": "LambdaLR"}}, ["optim.scheduler", "onecycle"]),
    ({"general": {"seed": "abc"}}, ["general.seed", "integer"]),
    ({"general": {"seed": -1}}, ["general.seed"]),
    ({"general": {"device": "gpu"}}, ["general.device", "cuda:N"]),
    ({"scattering": {"J": 2.5}}, ["scattering.J", "integer"]),
    ({"optim": {"momentum": "fast"}}, ["optim.momentum", "number"]),
    ({"optim": {"lr": float("nan")}}, ["optim.lr", "finite"]),
    ({"datset": {"name": "cifar"}}, ["datset", "did you mean 'dataset'"]),
    ({"dataset": {"nmae": "cifar"}}, ["dataset.nmae", "did you mean 'dataset.name'"]),
    ({"scattering": {"max_lr": 0.1}}, ["scattering.max_lr", "did you mean 'optim.max_lr'"]),
    ({"general": 3}, ["general", "mapping"]),
    ({"dataset": {"name": "cifar", "train_sample_num": 105}}, ["dataset.train_sample_num", "105", "10"]),
    ({"dataset": {"name": "xray", "train_sample_num": 101}}, ["dataset.train_sample_num"]),
    ({"dataset": {"name": "cifar", "num_classes": 5}}, ["dataset.num_classes", "10"]),
    ({"dataset": {"name": "kth", "num_classes": 10, "train_sample_num": 110}}, ["dataset.num_classes", "11"]),
    ({"scattering": {"J": 6}}, ["scattering.J", "J <= 5"]),
    ({"dataset": {"height": 16, "width": 64}, "scattering": {"J": 5}}, ["scattering.J", "J <= 4"]),
    ({"scattering": {"J": 0}}, ["scattering.J", ">= 1"]),
    ({"scattering": {"L": 0}}, ["scattering.L"]),
    ({"scattering": {"max_order": 3}}, ["scattering.max_order", "1, 2"]),
    ({"scattering": {"max_order": 1, "second_order": True}}, ["scattering.second_order", "max_order"]),
    ({"optim": {"lr": -0.1}}, ["optim.lr", ">= 0"]),
    ({"optim": {"max_lr": -1}}, ["optim.max_lr"]),
    ({"scattering": {"lr_scattering": -0.1}}, ["scattering.lr_scattering"]),
    ({"scattering": {"lr_orientation": -0.1}}, ["scattering.lr_orientation"]),
    ({"optim": {"div_factor": 0}}, ["optim.div_factor", "> 0"]),
    ({"optim": {"T_max": 0}}, ["optim.T_max"]),
    ({"dataset": {"train_batch_size": 0}}, ["dataset.train_batch_size", ">= 1"]),
    ({"dataset": {"test_batch_size": 0}}, ["dataset.test_batch_size"]),
    ({"dataset": {"accum_step_multiple": 0}}, ["dataset.accum_step_multiple"]),
    ({"dataset": {"sample": "e"}}, ["dataset.sample", "a, b, c, d"]),
    ({"model": {"step_test": 0}}, ["model.step_test"]),
    ({"model": {"epoch": 0}}, ["model.epoch"]),
    ({"model": {"mlp_hidden": [0]}}, ["model.mlp_hidden"]),
    ({"model": {"mlp_hidden": "big"}}, ["model.mlp_hidden", "[512]"]),
    ({"scattering": {"learnable": "true"}}, ["scattering.learnable", "true or false"]),
    ({"scattering": {"learnable": 1}}, ["scattering.learnable"]),
    ({"model": {"save": "no"}}, ["model.save"]),
    ({"dataset": {"download": None, "augment": 3}}, ["dataset.augment"]),
    ({"mlflow": {"experiment_name": ["a"]}}, ["mlflow.experiment_name", "string"]),
])
def test_bad_values_raise_one_line_naming_the_key(cfg, needles):
    message = user_error(validate_config, cfg)
    for needle in needles:
        assert needle in message, (needle, message)


def test_missing_config_file_names_the_path(tmp_path):
    missing = tmp_path / "nowhere.yml"
    assert str(missing) in user_error(load_config, missing)
    assert "directory" in user_error(load_config, tmp_path)


def test_malformed_yaml_names_path_and_position(tmp_path):
    path = write(tmp_path, "general:\n  seed: 1\n  cores: [1, 2\n  device: cpu\n")
    message = user_error(load_config, path)
    assert str(path) in message and "malformed YAML" in message and "line " in message


def test_duplicate_yaml_key_is_an_error(tmp_path):
    path = write(tmp_path, "general:\n  seed: 1\n  seed: 2\n")
    message = user_error(load_config, path)
    assert "seed" in message and "line 3" in message


def test_config_must_be_a_mapping(tmp_path):
    assert "mapping" in user_error(load_config, write(tmp_path, "- general\n- seed\n"))


@pytest.mark.parametrize("override, needles", [
    ("general.seed3", ["general.seed3", "section.key=value"]),
    ("seed=3", ["seed=3", "section.key"]),
    ("optim.foo=1", ["optim.foo", "unknown key"]),
    ("optimizer.lr=1", ["optimizer", "did you mean 'optim'"]),
    ("model.mlp_hidden=[1,", ["model.mlp_hidden", "cannot parse"]),
    ("scattering.J=abc", ["scattering.J", "integer"]),
])
def test_bad_overrides_raise_naming_the_key(tmp_path, override, needles):
    message = user_error(load_config, write(tmp_path, "general:\n  seed: 1\n"), [override])
    for needle in needles:
        assert needle in message, (needle, message)


# ---------------------------------------------------------------------------------------------
# model.name: the config normalises its spelling; the head registry, where heads are registered,
# says whether it exists (one line naming model.name and the registered heads)


def test_model_name_spelling_is_normalised():
    assert validate_config({"model": {"name": "Only-Head"}})["model"]["name"] == "only_head"
    assert "model.name" in user_error(validate_config, {"model": {"name": 3}})


def test_unknown_model_name_is_one_line_naming_the_key_and_the_heads():
    from parametricSN.models import get_head

    message = user_error(get_head, validate_config({"model": {"name": "transformer"}}).model.name)
    assert "model.name" in message and "\n" not in message
    for name in ("linear_layer", "mlp", "cnn", "resnet50"):
        assert name in message


# ---------------------------------------------------------------------------------------------
# flatten_config and config_hash


def test_flatten_config_has_one_dotted_key_per_entry():
    cfg = validate_config({})
    flat = flatten_config(cfg)
    assert len(flat) == sum(len(keys) for keys in DEFAULTS.values())
    assert flat["dataset.name"] == "digits"
    assert flat["scattering.J"] == 2 and flat["model.mlp_hidden"] == [512]
    assert list(flat)[0] == "general.cores"


def test_config_hash_ignores_mlflow_and_bookkeeping_keys():
    base = config_hash({})
    assert len(base) == 40 and int(base, 16) >= 0
    assert config_hash({"mlflow": {"experiment_name": "other", "run_name": "x",
                                   "tracking_uri": "sqlite:///elsewhere.db"}}) == base
    changed = {"general": {"cores": 1, "device": "cpu", "checkpoint_minutes": 0, "checkpoint_dir": "/ckpt",
                           "keep_checkpoints": True}, "model": {"save": True},
               "scattering": {"filter_video": True}, "dataset": {"data_root": "/somewhere"}}
    assert {f"{s}.{k}" for s, keys in changed.items() for k in keys} == set(HASH_EXCLUDED_KEYS)
    assert config_hash(changed) == base


@pytest.mark.parametrize("change", [
    {"general": {"seed": 1}}, {"scattering": {"J": 3}}, {"optim": {"max_lr": 0.05}},
    {"dataset": {"train_sample_num": 200}}, {"general": {"precision": "bf16"}},
])
def test_config_hash_changes_with_what_is_computed(change):
    assert config_hash(change) != config_hash({})


def test_config_hash_of_the_default_config_is_the_recorded_one():
    # The digest runs recorded before scattering.bounded existed: a key added later and left at its
    # default (HASH_NEUTRAL_DEFAULTS) must not change it, or resume would rerun every finished run.
    assert config_hash({}) == "34123657483ff8f7ff65805636f5d8ad50bbda2b"
    assert config_hash({"scattering": {"bounded": False}}) == config_hash({})
    assert config_hash({"scattering": {"bounded": True}}) != config_hash({})


def test_config_hash_explicit_defaults_match_omitted_ones():
    assert config_hash(validate_config({})) == config_hash({})


def test_config_hash_is_the_same_in_another_process():
    # The child cannot import parametricSN.models: the config boundary needs none of it.
    code = ("import sys; sys.modules['parametricSN.models'] = None;"
            "from parametricSN.config import config_hash, load_config;"
            f"print(config_hash(load_config({str(ROOT / 'conf' / 'cifar.yml')!r})))")
    other = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                           check=True, env=os.environ | {"PYTHONHASHSEED": "123"})
    assert other.stdout.strip() == config_hash(load_config(ROOT / "conf" / "cifar.yml"))
