"""Command line: ``python -m parametricSN <command> [options]``.

Each command lives in its own module with a ``main(argv) -> int``; this file only dispatches, so
that ``python -m parametricSN train`` does not import the deformation code and vice versa.
"""
import importlib
import os
import sys

COMMANDS = {
    "train": ("parametricSN.run", "train a model from a YAML config and track it in MLflow"),
    "evaluate": ("parametricSN.inference.evaluate", "score a trained model on a labelled image folder"),
    "predict": ("parametricSN.inference.predict", "classify image files with a trained model (CSV)"),
    "summarize": ("parametricSN.analysis.summarize", "paper-style result table of an experiment"),
    "runs": ("parametricSN.tracking.listing", "every run of a store: where it stands, how to resume it"),
    "deform": ("parametricSN.analysis.stability", "deformation stability of saved models"),
    "filters": ("parametricSN.analysis.filters", "filter grids, Littlewood-Paley sum and GIFs of a model"),
}


def _usage() -> str:
    lines = ["usage: python -m parametricSN <command> [options]", "", "commands:"]
    lines += [f"  {name:<10} {help_}" for name, (_, help_) in COMMANDS.items()]
    lines.append("\n'python -m parametricSN <command> --help' describes a command's options.")
    return "\n".join(lines)


def main(argv=None) -> int:
    from parametricSN.errors import UserError

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"error: unknown command {command!r}; allowed: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[command][0])
    try:
        return int(module.main(rest) or 0)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the output went to a reader that stopped early (`... | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's own flush at exit
        return 0


if __name__ == "__main__":
    sys.exit(main())
