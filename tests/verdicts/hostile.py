"""Layers that misbehave in ways that must not take derive down."""

import os
import signal
import threading
import time

import numpy as np


class SigmoidSwallowsEverything:
    op = "sigmoid"

    def forward(self, x):
        while True:
            try:
                time.sleep(0.01)
            except BaseException:  # noqa: BLE001, S112
                continue

    def backward(self, dout):
        return dout


class SigmoidIgnoresAlarm:
    op = "sigmoid"

    def forward(self, x):
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        while True:
            pass

    def backward(self, dout):
        return dout


class SigmoidStartsThread:
    """Correct, but leaves a non-daemon thread running forever."""

    op = "sigmoid"

    def forward(self, x):
        threading.Thread(target=lambda: time.sleep(3600)).start()
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class SigmoidReturnsText:
    op = "sigmoid"

    def forward(self, x):
        return "sigmoid"

    def backward(self, dout):
        return dout


class SigmoidReturnsDict:
    op = "sigmoid"

    def forward(self, x):
        return {"out": 1 / (1 + np.exp(-x))}

    def backward(self, dout):
        return dout


class SigmoidReturnsGenerator:
    op = "sigmoid"

    def forward(self, x):
        return (v for v in x)

    def backward(self, dout):
        return dout


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")


class SigmoidUnprintableError:
    op = "sigmoid"

    def forward(self, x):
        raise Unprintable()

    def backward(self, dout):
        return dout


class SigmoidGeneratorExit:
    op = "sigmoid"

    def forward(self, x):
        raise GeneratorExit

    def backward(self, dout):
        return dout


class SigmoidPrintsToFd1:
    """Correct, but writes straight to file descriptor 1 and prints escapes."""

    op = "sigmoid"

    def forward(self, x):
        os.write(1, b"{not json at all\n")
        print("\x1b[31mred\x1b[0m")
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class SigmoidShouts:
    """Raises with terminal escapes and a 2 MB message."""

    op = "sigmoid"

    def forward(self, x):
        raise ValueError("\x1b[2J\x1b[31mboom\x1b]0;title\x07" + "A" * 2_000_000)

    def backward(self, dout):
        return dout
