"""The torch modules the OpenVINO exports trace, and the ones that stand in for a model's
PyTorch parts once its export is attached. These modules import torch at their top: import
them inside the function that needs them, so that ``import vistune`` and the offline path
never import torch.

What each one reads of transformers' models is listed, and checked before an export, in
``vistune.runtime.compat`` (MUSICGEN_EXPORT, BLIP_EXPORT); tests/test_compat.py holds that
the lists cover every read."""
