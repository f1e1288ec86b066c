"""The published seeds and result tables (the paper's seeds and Tables 1–3) as data.

Scripts take their seed lists from here; ``summarize --compare-published`` puts :data:`PUBLISHED`
beside a sweep's own numbers. Accuracies are test accuracy in percent, ``(mean, std)`` over seeds;
``std`` is None where only the mean was published.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

CIFAR_SEEDS: Tuple[int, ...] = (
    207715039, 491659600, 737523103, 493572006, 827192296,
    877498678, 1103100946, 1210393663, 1277404878, 1377264326,
)
XRAY_SEEDS: Tuple[int, ...] = (
    22942091, 313350229, 433842091, 637789757, 706825958,
    750490779, 884698041, 1065155395, 1452034008, 1614090550,
)
KTH_SEEDS: Tuple[int, ...] = (1390666426, 432857963, 1378328753, 1118756524)
#: KTH-TIPS2-b physical samples, in the order the published sweep trained on them.
KTH_SAMPLES: Tuple[str, ...] = ("d", "c", "b", "a")

SEEDS: Dict[str, Tuple[int, ...]] = {"cifar": CIFAR_SEEDS, "xray": XRAY_SEEDS, "kth": KTH_SEEDS}

#: Training-set size that the tables call "all" (the whole training split).
FULL_TRAIN_SIZE: Dict[str, int] = {"cifar": 50000}
#: Training-set size of one KTH physical sample (11 materials × 108 images).
KTH_TRAIN_SIZE = 1188

Cell = Tuple[float, Optional[float]]

# dataset -> variant label -> column label -> (mean, std)
PUBLISHED: Dict[str, Dict[str, Dict[str, Cell]]] = {
    "cifar": {
        "TF LS+LL": {"100": (37.84, 0.57), "500": (52.68, 0.31), "1000": (57.43, 0.17), "all": (69.57, 0.10)},
        "TF S+LL": {"100": (36.01, 0.55), "500": (48.12, 0.25), "1000": (53.25, 0.24), "all": (65.58, 0.04)},
        "Rand LS+LL": {"100": (34.81, 0.60), "500": (49.60, 0.39), "1000": (55.72, 0.39), "all": (69.39, 0.41)},
        "Rand S+LL": {"100": (29.77, 0.47), "500": (41.85, 0.41), "1000": (46.30, 0.37), "all": (57.72, 0.10)},
        "TF LS+WRN": {"100": (43.60, 0.87), "500": (63.13, 0.29), "1000": (70.14, 0.26), "all": (93.61, 0.12)},
        "TF S+WRN": {"100": (43.16, 0.78), "500": (61.66, 0.32), "1000": (68.16, 0.27), "all": (92.27, 0.05)},
        "Rand LS+WRN": {"100": (41.42, 0.65), "500": (59.84, 0.40), "1000": (67.40, 0.28), "all": (93.36, 0.19)},
        "Rand S+WRN": {"100": (32.08, 0.46), "500": (46.84, 0.21), "1000": (52.76, 0.33), "all": (85.35, 1.06)},
        "WRN only": {"100": (38.78, 0.72), "500": (62.97, 0.41), "1000": (71.37, 0.31)},
    },
    "xray": {
        "TF LS+WRN": {"100": (78.1, None), "500": (86.15, None), "1000": (89.65, None)},
    },
    "kth": {
        "Rand LS+WRN": {str(KTH_TRAIN_SIZE): (67.35, 0.51)},
        "TF LS+LL": {str(KTH_TRAIN_SIZE): (66.83, 0.94)},
        "WRN only": {str(KTH_TRAIN_SIZE): (51.24, 1.37)},
    },
}

#: Row order of the paper's tables; variants not listed here follow, sorted.
VARIANT_ORDER: Tuple[str, ...] = tuple(PUBLISHED["cifar"])
