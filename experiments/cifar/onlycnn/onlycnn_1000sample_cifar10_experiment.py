"""WRN only (the `cnn` head, width 8, on raw pixels: no scattering) on 1000 CIFAR-10 training
samples: the baseline row of paper Table 1, column 1000.
Settings: the cell ("cifar", "onlycnn", "1000") of the published grid, parametricSN/experiments/grid.py."""
import pathlib, sys; sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3]))  # without installing
from parametricSN.experiments.grid import cell_script; SWEEP = cell_script(__name__, __doc__, "cifar", "onlycnn", "1000")
