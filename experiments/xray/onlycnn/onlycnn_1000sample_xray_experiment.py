"""WRN only (the `cnn` head, width 8, on raw 224×224 grayscale pixels) on 1000 COVIDx CXR-2
training X-rays (class-balanced), tested on the balanced 400-image test set.
Settings: the cell ("xray", "onlycnn", "1000") of the published grid, parametricSN/experiments/grid.py."""
import pathlib, sys; sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3]))  # without installing
from parametricSN.experiments.grid import cell_script; SWEEP = cell_script(__name__, __doc__, "xray", "onlycnn", "1000")
