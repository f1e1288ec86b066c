"""The one runner every experiment script hands its sweep to.

    python experiments/cifar/ll/ll_100sample_cifar10_experiment.py --dry-run
    python experiments/cifar/ll/ll_100sample_cifar10_experiment.py --workers 2 --epochs 2 --num-seeds 1

Steps: expand the sweep (seeds × axes such as KTH samples × variants) → apply the command line (``--epochs``,
``--data-root``, ``--set section.key=value`` or a bare ``section.key=value``, options and settings in
any order …) → validate each config → drop duplicates → skip runs MLflow already holds as
FINISHED, continue stopped ones from their checkpoints (resume) → execute the rest (local pool or
submitit) →
print one line per run and a final summary line. A failed run is reported and the others go on;
the exit status is 1 when any run failed, 2 for bad input.

Researchers plug in without editing this file:
- ``--head [NAME=]module:builder`` registers ``builder`` as a head (``register_head``) in every
  worker and sets ``model.name`` to NAME (default: the builder's attribute name);
- ``--recipe module:function`` calls ``function(cfg) -> cfg | None`` on each validated run config
  (edit it in place or return a new one); ``main(..., recipes=[fn])`` does the same from Python.
  ``--recipe NAME`` takes one of the named filter-learning recipes (``experiments.recipes``:
  published, bounded, warmup, warmup-lp).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, TextIO

from tqdm import tqdm

from parametricSN.config import flatten_config
from parametricSN.errors import UserError
from parametricSN.experiments.executors import (
    FINISHED, Job, LocalExecutor, Outcome, SubmititExecutor, run_training_in_worker,
)
from parametricSN.plugins import head_plugin, load_object, register_head_option
from parametricSN.experiments.recipes import FILTER_RECIPES, named_recipe, recipe_of
from parametricSN.experiments.sweeps import Sweep, deep_update
from parametricSN.labels import variant_label
from parametricSN.tracking.store import cluster_note

Recipe = Callable[[dict], Optional[dict]]

EXECUTORS = ("local", "slurm", "submitit-local", "submitit-debug")


def build_parser(sweep: Sweep, description: Optional[str] = None,
                 epilog: Optional[str] = None) -> argparse.ArgumentParser:
    """The options every experiment script accepts."""
    parser = argparse.ArgumentParser(
        description=description, epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run = parser.add_argument_group("what to run")
    run.add_argument("--dry-run", action="store_true",
                     help="print one line per run (seed and settings) and execute nothing")
    run.add_argument("--seeds", nargs="+", metavar="SEED",
                     help=f"replace the sweep's seeds (comma or space separated; default: the "
                          f"{len(sweep.seeds)} published ones)")
    run.add_argument("--num-seeds", type=int, metavar="N", help="keep only the first N seeds")
    run.add_argument("--epochs", type=int, metavar="N", help="override model.epoch for every run")
    run.add_argument("--data-root", metavar="DIR", help="override dataset.data_root")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                     help="override any config key for every run (repeatable; value parsed as YAML)")
    run.add_argument("settings", nargs="*", metavar="SECTION.KEY=VALUE",
                     help="the same as --set SECTION.KEY=VALUE; options and settings go in any order")
    run.add_argument("--head", metavar="[NAME=]MODULE:BUILDER",
                     help="register your own head builder(in_channels, spatial_shape, num_classes, cfg) "
                          "and use it for every run (module path or file.py)")
    run.add_argument("--recipe", action="append", default=[], metavar="MODULE:FUNCTION",
                     help="a named filter-learning recipe (published, bounded, warmup, warmup-lp) or FUNCTION(cfg) -> cfg|None "
                          "called on every run's validated config (repeatable)")
    run.add_argument("--no-resume", action="store_true",
                     help="rerun runs that MLflow already holds as FINISHED with the same config")

    track = parser.add_argument_group("MLflow")
    track.add_argument("--tracking-uri", metavar="URI",
                       help="MLflow store (default: the config's, sqlite:///mlruns/store.db)")
    track.add_argument("--experiment-name", metavar="NAME", default=sweep.experiment,
                       help=f"MLflow experiment (default: {sweep.experiment})")

    where = parser.add_argument_group("where runs execute")
    where.add_argument("--executor", choices=EXECUTORS, default="local",
                       help="local: process pool on this machine (default); slurm: one SLURM job per "
                            "run through submitit; submitit-local / submitit-debug: submitit's local "
                            "subprocess / in-process executors")
    where.add_argument("--workers", type=int, default=1, metavar="N",
                       help="local runs in parallel (each gets cores/N torch threads and, with several "
                            "GPUs, its own cuda:i)")
    where.add_argument("--partition", help="SLURM partition")
    where.add_argument("--time", type=int, default=24 * 60, metavar="MINUTES",
                       help="time limit per SLURM job in minutes (default 1440)")
    where.add_argument("--gpus-per-run", type=int, default=1, metavar="N", help="GPUs per SLURM job (default 1)")
    where.add_argument("--cpus-per-run", type=int, default=4, metavar="N",
                       help="CPU cores (and torch threads) per submitit job (default 4)")
    where.add_argument("--mem-gb", type=float, help="memory per SLURM job")
    where.add_argument("--submitit-folder", default="outputs/submitit/%j",
                       help="submitit logs and pickles (%%j = job id; default outputs/submitit/%%j)")
    where.add_argument("--no-wait", action="store_true",
                       help="with --executor slurm: submit, print the job ids and exit")
    return parser


def parse_arguments(parser: argparse.ArgumentParser, argv: Optional[Sequence[str]]) -> argparse.Namespace:
    """``parser`` (build_parser's) applied to ``argv`` with options and bare settings in any order.
    ``--seeds`` takes every word after it, so a setting written after the seeds is moved back to
    the settings."""
    args = parser.parse_intermixed_args(argv)
    if args.seeds:
        args.settings += [word for word in args.seeds if "=" in word]
        args.seeds = [word for word in args.seeds if "=" not in word]
    return args


def parse_seeds(values: Optional[Sequence[str]]) -> Optional[List[int]]:
    """``["1,2", "3"]`` -> ``[1, 2, 3]``; None stays None."""
    if values is None:
        return None
    seeds = []
    for value in values:
        for part in value.replace(",", " ").split():
            try:
                seeds.append(int(part))
            except ValueError:
                raise UserError(f"--seeds: {part!r} is not an integer; give seeds like --seeds 1,2,3") from None
    if not seeds:
        raise UserError("--seeds: no seed given; give seeds like --seeds 1,2,3")
    return seeds


def parse_override(text: str) -> Dict[str, Dict[str, Any]]:
    """``"optim.max_lr=0.1"`` -> ``{"optim": {"max_lr": 0.1}}`` (:func:`parametricSN.config.parse_override`)."""
    from parametricSN.config import parse_override as parse_config_override

    name = text.partition("=")[0]
    if "=" not in text or name.count(".") != 1 or not all(name.strip().split(".")):
        raise UserError(f"{text!r}: expected SECTION.KEY=VALUE, e.g. optim.max_lr=0.1 or --set optim.max_lr=0.1")
    section, key, value = parse_config_override(text)  # UserError naming the key
    return {section: {key: value}}


def cli_settings(args: argparse.Namespace) -> Dict[str, Dict[str, Any]]:
    """The nested overrides the command line applies to every run (``--set`` last, so it wins)."""
    settings: Dict[str, Dict[str, Any]] = {"mlflow": {"experiment_name": args.experiment_name}}
    if args.tracking_uri:
        settings["mlflow"]["tracking_uri"] = args.tracking_uri
    if args.epochs is not None:
        if args.epochs < 1:
            raise UserError(f"--epochs must be ≥ 1, got {args.epochs}")
        settings["model"] = {"epoch": args.epochs}
    if args.data_root:
        settings["dataset"] = {"data_root": args.data_root}
    for text in [*args.settings, *args.overrides]:
        deep_update(settings, parse_override(text))
    return settings


def _load_recipes(specs: Sequence[str]) -> List[Recipe]:
    recipes = []
    for spec in specs:
        if spec in FILTER_RECIPES:
            recipes.append(named_recipe(spec))
            continue
        if ":" not in spec:
            raise UserError(f"--recipe {spec!r}: not a named recipe ({', '.join(FILTER_RECIPES)}) "
                            f"nor MODULE:FUNCTION")
        try:
            recipes.append(load_object(spec))
        except (ValueError, ImportError) as error:
            raise UserError(f"--recipe {spec!r}: {error}") from None
    return recipes


def describe(cfg: dict) -> str:
    """One line naming a run's variant, seed and the settings the published tables vary."""
    flat = flatten_config(cfg)
    parts = [f"{variant_label(flat):<12}", f"seed={flat.get('general.seed')}"]
    if flat.get("dataset.name") == "kth":
        parts.append(f"sample={flat.get('dataset.sample')}")
    parts.append(f"dataset={flat.get('dataset.name')}")
    if flat.get("dataset.path"):
        parts.append(f"path={flat.get('dataset.path')}")
    parts.append(f"n={_sample_num(flat)}")
    keys = [("epochs", "model.epoch"), ("batch", "dataset.train_batch_size"), ("optim", "optim.name"),
            ("lr", "optim.lr"), ("max_lr", "optim.max_lr"), ("lr_scattering", "scattering.lr_scattering"),
            ("lr_orientation", "scattering.lr_orientation"), ("J", "scattering.J"),
            ("width", "model.width"), ("augment", "dataset.augment")]
    parts += [f"{short}={flat.get(key)}" for short, key in keys]
    recipe = recipe_of(flat)
    if recipe not in (None, "published"):
        parts.append(f"recipe={recipe}")
    if flat.get("dataset.accum_step_multiple", 1) not in (1, None):
        parts.append(f"accum={flat.get('dataset.accum_step_multiple')}")
    return "  ".join(parts)


def run_label(cfg: dict) -> str:
    flat = flatten_config(cfg)
    label = f"{variant_label(flat)} seed={flat.get('general.seed')}"
    if flat.get("dataset.name") == "kth":
        label += f" sample={flat.get('dataset.sample')}"
    return label + f" n={_sample_num(flat)}"


def _sample_num(flat: dict) -> str:
    """dataset.train_sample_num as written in labels: a number, or "all" (unset: the whole split)."""
    n = flat.get("dataset.train_sample_num")
    return "all" if n is None and "dataset.train_sample_num" in flat else str(n)


def build_runs(sweep: Sweep, args: argparse.Namespace, recipes: Sequence[Recipe] = (),
               out: TextIO = None) -> List[dict]:
    """The validated config of every run, duplicates (same config_hash) dropped."""
    from parametricSN.config import config_hash, validate_config
    from parametricSN.models.registry import get_head

    seeds = parse_seeds(args.seeds)
    if args.num_seeds is not None:
        if args.num_seeds < 1:
            raise UserError(f"--num-seeds must be ≥ 1, got {args.num_seeds}")
        seeds = list(seeds if seeds is not None else sweep.seeds)[: args.num_seeds]
    settings = cli_settings(args)
    plugin = head_plugin(args.head)
    if plugin:
        deep_update(settings, {"model": {"name": plugin.split("=", 1)[0]}})
    runs, seen, duplicates = [], {}, {}
    for partial in sweep.expand(seeds):
        cfg = validate_config(deep_update(partial, settings))
        for recipe in recipes:
            editable = cfg.to_dict()  # a recipe edits a plain dict in place or returns a new one
            edited = recipe(editable)
            cfg = validate_config(edited if edited is not None else editable)
        get_head(cfg.model.name)  # an unknown head stops here, before anything runs
        if cfg.mlflow.run_name is None:
            cfg = cfg.replace(mlflow={"run_name": run_label(cfg)})
        digest = config_hash(cfg)
        if digest in seen:
            duplicates[seen[digest]] = duplicates.get(seen[digest], 0) + 1
            continue
        seen[digest] = len(runs)
        runs.append(cfg)
    for index, copies in duplicates.items():  # e.g. every variant made the same one by --set
        print(f"note: run {index + 1} '{run_label(runs[index])}' is also given by {copies} other "
              f"run{'s' if copies > 1 else ''} of the sweep after the settings; kept once", file=out or sys.stdout)
    return runs


def make_executor(args: argparse.Namespace):
    if args.workers < 1:
        raise UserError(f"--workers must be ≥ 1, got {args.workers}")
    if args.executor == "local":
        return LocalExecutor(workers=args.workers)
    cluster = {"slurm": "slurm", "submitit-local": "local", "submitit-debug": "debug"}[args.executor]
    return SubmititExecutor(
        cluster=cluster, folder=args.submitit_folder, partition=args.partition, timeout_min=args.time,
        gpus_per_run=args.gpus_per_run, cpus_per_run=args.cpus_per_run, mem_gb=args.mem_gb,
        wait=not (args.no_wait and cluster == "slurm"),
    )


def run_sweep(sweep: Sweep, argv: Optional[Sequence[str]] = None, *, description: Optional[str] = None,
              epilog: Optional[str] = None, train_fn: Optional[Callable[[dict], Any]] = None,
              recipes: Sequence[Recipe] = (), out: TextIO = None) -> int:
    """Parse ``argv``, then dry-run or execute the sweep. Returns the exit status (0 ok, 1 a run failed).

    ``train_fn(cfg) -> TrainResult`` defaults to :func:`parametricSN.run.run_training`; it must be a
    module-level function when runs execute in other processes (``--workers`` > 1, submitit).
    """
    from parametricSN.config import config_hash
    from parametricSN.experiments.resume import ensure_experiment, prior_runs, statuses_summary

    out = out or sys.stdout
    args = parse_arguments(build_parser(sweep, description, epilog), argv)
    plugins = register_head_option(args.head)  # the parent checks model.name against the registered heads
    runs = build_runs(sweep, args, list(recipes) + _load_recipes(args.recipe), out)
    total = len(runs)
    width = len(str(total))

    bar = None  # the sweep's progress bar (runs done / to run), while runs execute

    def say(text: str) -> None:
        if bar is not None:
            bar.write(text, file=out)   # above the bars, without breaking them
        else:
            print(text, file=out, flush=True)

    if args.dry_run:
        for index, cfg in enumerate(runs):
            say(f"[{index + 1:>{width}}/{total}] {describe(cfg)}  hash={config_hash(cfg)[:10]}")
        say(f"dry run: {_runs(total)} listed, nothing executed "
            f"(experiment {args.experiment_name!r}, tracking {runs[0].mlflow.tracking_uri if runs else '-'})")
        return 0

    if train_fn is None:
        train_fn = run_training_in_worker  # each run's bar on its worker's line, on a terminal only

    executor = make_executor(args)
    executor.prepare()
    jobs, skipped = [], 0
    groups: Dict[tuple, List[int]] = {}
    for index, cfg in enumerate(runs):
        groups.setdefault((cfg.mlflow.tracking_uri, cfg.mlflow.experiment_name), []).append(index)
    for (uri, experiment), indices in groups.items():
        note = cluster_note(uri) if args.executor == "slurm" else None
        if note:
            say(note)
        prior = {} if args.no_resume else prior_runs(uri, experiment, [config_hash(runs[i]) for i in indices])
        ensure_experiment(uri, experiment)
        for index in indices:
            cfg = runs[index]
            record = prior.get(config_hash(cfg))
            if record is not None and record.done:
                skipped += 1
                say(f"[{index + 1:>{width}}/{total}] SKIPPED   {run_label(cfg)}: already FINISHED as run "
                    f"{record.finished_run_id}")
                continue
            if record is not None and record.training_run_id and not record.done:
                skipped += 1
                say(f"[{index + 1:>{width}}/{total}] SKIPPED   {run_label(cfg)}: run {record.training_run_id} is "
                    f"being trained by another process")
                continue
            resume = record.resumable_run_id if record is not None else None
            note = statuses_summary(record)
            if resume:
                say(f"[{index + 1:>{width}}/{total}] resume    {run_label(cfg)}: run {resume} from its checkpoint")
            elif note:
                say(f"[{index + 1:>{width}}/{total}] rerun     {run_label(cfg)} ({note})")
            jobs.append(Job(index, run_label(cfg), cfg, train_fn, plugins, resume_run_id=resume))

    def on_done(outcome: Outcome) -> None:
        head = f"[{outcome.index + 1:>{width}}/{total}] {outcome.status:<9} {outcome.label}"
        if outcome.status == FINISHED:
            acc = "?" if outcome.final_test_acc is None else f"{outcome.final_test_acc:.2f}%"
            say(f"{head}: final_test_acc {acc} (run {outcome.run_id})")
        else:
            say(f"{head}: {outcome.error}")
        bar.update(1)

    # runs done / to run on stderr (hidden when it is not a terminal); each run's own bar shows below
    bar = tqdm(total=len(jobs), desc="sweep", unit="run", file=sys.stderr, disable=None, dynamic_ncols=True)
    try:
        outcomes = executor.run(jobs, on_done) if jobs else []
    finally:
        bar.close()
        bar = None
    if jobs and not outcomes:  # submitted without waiting
        say(f"summary: {len(jobs)} submitted, {skipped} skipped ({_runs(total)}); "
            f"rerun this command later to resume what did not finish")
        return 0
    finished = sum(o.status == FINISHED for o in outcomes)
    failed = sum(o.status != FINISHED for o in outcomes)
    say(f"summary: {finished} finished, {failed} failed, {skipped} skipped ({_runs(total)})")
    return 1 if failed else 0


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def main(sweep: Sweep, argv: Optional[Sequence[str]] = None, *, description: Optional[str] = None,
         epilog: Optional[str] = None, train_fn: Optional[Callable[[dict], Any]] = None,
         recipes: Sequence[Recipe] = ()) -> int:
    """Entry point of an experiment script: :func:`run_sweep`, with bad input as one line, exit 2.

    Ctrl-C, or SIGTERM (a killed job), ends the runs in progress KILLED and exits 130."""
    from parametricSN.runtime import restore_sigterm, sigterm_as_interrupt

    previous = sigterm_as_interrupt()
    try:
        return run_sweep(sweep, argv, description=description, epilog=epilog, train_fn=train_fn,
                         recipes=recipes)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: rerun the same command to resume (FINISHED runs are skipped)", file=sys.stderr)
        return 130
    finally:
        restore_sigterm(previous)
