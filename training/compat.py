"""Where the pinned Lightning (2.6.6) and PyTorch (2.14) disagree, and how the project bridges it.

Lightning builds the tree spec of a data loader with `torch.utils._pytree.LeafSpec()`, which this PyTorch deprecates
(a FutureWarning on every run: "`isinstance(treespec, LeafSpec)` is deprecated"). PyTorch's replacement,
`treespec_leaf()`, returns the same leaf spec (one shared instance of `LeafSpec`); Lightning's module is given it in
place of the class. Remove this once the pinned Lightning calls `treespec_leaf` itself.
"""

import torch.utils._pytree as torch_pytree  # pylint: disable=protected-access  # where PyTorch keeps its tree specs
from lightning.pytorch.utilities import _pytree as lightning_pytree  # pylint: disable=protected-access


def use_torch_leaf_spec() -> None:
    """Make Lightning build leaf specs with PyTorch's `treespec_leaf` (no deprecated constructor call)."""
    if hasattr(torch_pytree, "treespec_leaf") and lightning_pytree.LeafSpec is torch_pytree.LeafSpec:
        lightning_pytree.LeafSpec = torch_pytree.treespec_leaf
