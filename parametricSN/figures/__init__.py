"""Figures of training runs and of the analyses, each a bare matplotlib Figure built without pyplot.

    canvas       new_figure, save_figure (PNG): what every figure starts from and ends with
    filters      a filter bank's filters and Littlewood–Paley sum; the filter-progression GIF
    curves       loss and accuracy, filter parameters and the bank's distance, against epochs
    deformation  the deformation-stability study's curves and image pairs

Used by a training run's artifacts (:mod:`parametricSN.tracking.artifacts`), the ``filters`` and
``deform`` analyses and the examples; importing a module loads matplotlib, this package nothing.
"""
