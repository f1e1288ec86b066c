"""Deformation stability of saved models, as a script (the predecessor's entry point).

    python parametricSN/evaluate_deformed_representation.py MODEL [MODEL ...] [options]

is the same as ``python -m parametricSN deform MODEL [MODEL ...] [options]``; see
``parametricSN.analysis.stability`` for the options and outputs.
"""
import sys
from pathlib import Path

if __name__ == "__main__" and __package__ in (None, ""):
    # Run as a file: put the repository root (not this package folder) first on the import path,
    # so that "parametricSN" is importable and its subpackages do not shadow top-level modules.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent))


def main(argv=None) -> int:
    from parametricSN.analysis.stability import main as deform_main
    from parametricSN.errors import UserError

    try:
        return int(deform_main(argv) or 0)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
