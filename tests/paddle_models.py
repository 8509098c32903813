"""Tiny Paddle inference models for the tests, built offline with paddle.jit.save (random weights, seed 0): an MLP
(x: ?x16 -> ?x4) and a small CNN (image: ?x3x?x? -> ?x5, conv + batch norm + mean pool + linear)."""

from pathlib import Path


def build(kind: str, folder: Path) -> Path:
    """Save the model as folder/model.json + folder/model.pdiparams, and folder/expected.npz: an input and the
    dygraph layer's output for it (what Paddle computes before saving); returns the model.json path."""
    import numpy as np
    import paddle

    class MLP(paddle.nn.Layer):
        def __init__(self):
            super().__init__()
            self.a, self.b = paddle.nn.Linear(16, 32), paddle.nn.Linear(32, 4)

        def forward(self, x):
            return self.b(paddle.nn.functional.relu(self.a(x)))

    class CNN(paddle.nn.Layer):
        def __init__(self):
            super().__init__()
            self.conv, self.bn = paddle.nn.Conv2D(3, 8, 3, padding=1), paddle.nn.BatchNorm2D(8)
            self.fc = paddle.nn.Linear(8, 5)

        def forward(self, image):
            return self.fc(paddle.mean(paddle.nn.functional.relu(self.bn(self.conv(image))), axis=[2, 3]))

    paddle.seed(0)
    model, spec = {"mlp": (MLP, [paddle.static.InputSpec([None, 16], "float32", "x")]),
                   "cnn": (CNN, [paddle.static.InputSpec([None, 3, None, None], "float32", "image")])}[kind]
    layer = model()
    layer.eval()
    paddle.jit.save(layer, str(folder / "model"), input_spec=spec)
    x = np.random.default_rng(1).standard_normal((2, 16) if kind == "mlp" else (2, 3, 9, 11)).astype(np.float32)
    np.savez(folder / "expected.npz", input=x, output=layer(paddle.to_tensor(x)).numpy())
    return folder / "model.json"
