"""Scattering + linear layer (LL) on KTH-TIPS2-b: train on one physical sample (all 1,188 images of
a, b, c or d), test on the other three (3,564 images).
Settings: the cell ("kth", "ll", "1188") of the published grid, parametricSN/experiments/grid.py."""
import pathlib, sys; sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # without installing
from parametricSN.experiments.grid import cell_script; SWEEP = cell_script(__name__, __doc__, "kth", "ll", "1188")
