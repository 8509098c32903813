"""A source whose weights differ from the tiny BERT's: what every target's validation must fail against."""

import shutil


def scaled_copy(folder, dest):
    """A copy of the tiny BERT folder with one layer's weight scaled by 1.05."""
    import torch
    from transformers import BertModel

    shutil.copytree(folder, dest)
    model = BertModel.from_pretrained(str(folder)).eval()
    with torch.no_grad():
        model.encoder.layer[1].output.dense.weight.mul_(1.05)
    model.save_pretrained(str(dest), safe_serialization=True)
    return dest
