"""WRN only (the `cnn` head, width 8, on raw 128×128 pixels) on KTH-TIPS2-b: train on one physical
sample (1,188 images), test on the other three (3,564 images).
Settings: the cell ("kth", "onlycnn", "1188") of the published grid, parametricSN/experiments/grid.py."""
import pathlib, sys; sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # without installing
from parametricSN.experiments.grid import cell_script; SWEEP = cell_script(__name__, __doc__, "kth", "onlycnn", "1188")
