"""Scattering + linear layer (LL) on 500 CIFAR-10 training samples: paper Table 1, column 500.
(one run per seed and filter-bank variant; `--dry-run` lists them).
Settings: the cell ("cifar", "ll", "500") of the published grid, parametricSN/experiments/grid.py."""
import pathlib, sys; sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3]))  # without installing
from parametricSN.experiments.grid import cell_script; SWEEP = cell_script(__name__, __doc__, "cifar", "ll", "500")
