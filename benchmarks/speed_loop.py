"""The timing loop of the Python reference scripts `pipeline bench` runs (pytorch/, opencv/): one place, one method."""
import time


def timed(run, batch, warmup, seconds):
    """Calls run() for at least `warmup` seconds, then times whole calls for at least `seconds` (at least one);
    returns (images, elapsed seconds) with `batch` images per call."""
    start = time.perf_counter()
    while time.perf_counter() - start < warmup:
        run()
    images = 0
    start = time.perf_counter()
    while True:
        run()
        images += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return images, elapsed
