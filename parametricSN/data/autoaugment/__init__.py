"""The published ``autoaugment`` recipe (docs/augmentation.md), batched in torch on uint8 (B, C, H, W) images.

- ``geometric``: shear / translate / rotate with scipy.ndimage.affine_transform(order=3,
  mode='constant', cval=0) semantics.
- ``colour``: the PIL ImageOps / ImageEnhance colour ops, bit-exact.
- ``policy``: the 25 sub-policies, the magnitude sampling and the batched application.
- ``cutout``: Cutout with the image-mean fill and the published placement.
- ``reference``: a per-image PIL / scipy version of the same recipe (test oracle and benchmark
  baseline; never used for training).
"""

from parametricSN.data.autoaugment.cutout import MeanCutout, draw_cutout, mean_cutout
from parametricSN.data.autoaugment.policy import (SUB_POLICIES, PublishedAutoAugment, apply_subpolicies,
                                                  draw_subpolicies)

__all__ = ["SUB_POLICIES", "MeanCutout", "PublishedAutoAugment", "apply_subpolicies", "draw_cutout",
           "draw_subpolicies", "mean_cutout"]
