"""grey28-v1 features with OpenCV + numpy, batched: the reference `pipeline bench` compares the hand-crafted
featurizer with.

The same recipe as FeatureSetPresets.Grey28V1 (1,826 features per 28x28 grey image, values 0..1):
  hog4 (1296)     HOG, 4x4-pixel cells, 2x2-cell blocks, 9 unsigned bins, [-1,0,1] gradient (cv2.Sobel ksize=1)
                  with a replicated border, linear orientation vote between the two nearest bin centres,
                  cell histograms = mean vote per pixel, L2-Hys 0.2 (eps 1e-5)
  hog7 (324)      the same with 7x7-pixel cells, sharing the gradients and votes
  pixels (196)    the image averaged over 2x2 squares (14x14)
  intensity (10)  mean, standard deviation, 8-bin histogram of the values over [0, 1] (fractions)
Written as a numpy user would: every step is one call over the whole batch (images stacked into one tall image
for cv2.Sobel, np.bincount for the cell histograms), no per-pixel or per-image Python loop. With --threads N > 1
the batch is split into N slices run on N Python threads (cv2 and numpy release the GIL for their array work), each
calling single-threaded OpenCV: N busy threads, as ours runs one extractor on each of N threads.

Input: --images FILE, raw little-endian float32, COUNT x 28 x 28 (bench writes its decoded sample there); without
it, seeded random images. The sample is tiled up to --batch images. Prints one JSON line:
{"imagesPerSecond": ..., "opencv": "<version>", "numpy": "<version>", "threads": N, "batch": B, "images": n,
 "seconds": t, "featureLength": 1826}
Usage: python3 grey28_features.py [--images FILE] [--threads 2] [--batch 8192] [--warmup 2] [--seconds 6]
       [--dump FILE]  (also writes the first image's features as float32, to compare with ours)
"""
import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from speed_loop import timed  # noqa: E402

SIDE = 28
BINS = 9
FEATURE_LENGTH = 1826
EPS2 = np.float32(1e-10)


def cell_index(cell):
    """Per pixel of a 28x28 image: the flat index of its cell."""
    ys, xs = np.mgrid[0:SIDE, 0:SIDE]
    n = SIDE // cell
    return ((ys // cell) * n + (xs // cell)).ravel().astype(np.int32)


_BASES = {}


def bin_bases(count, cell):
    """(count, 784) int32: where each pixel's bin 0 sits in the batch's flat cell-histogram array (cached per size)."""
    key = (count, cell)
    if key not in _BASES:
        per_image = (SIDE // cell) ** 2
        _BASES[key] = ((np.arange(count, dtype=np.int32)[:, None] * per_image + cell_index(cell)[None, :]) * BINS).astype(np.int32)
    return _BASES[key]


def cell_histograms(b0, b1, w0, w1, cell, count):
    """(count, n, n, BINS) mean vote per pixel: one bincount over the whole batch."""
    n = SIDE // cell
    base = bin_bases(count, cell)
    index = np.concatenate(((base + b0).ravel(), (base + b1).ravel()))
    weight = np.concatenate((w0.ravel(), w1.ravel()))
    hist = np.bincount(index, weights=weight, minlength=count * n * n * BINS)
    return (hist.astype(np.float32) / np.float32(cell * cell)).reshape(count, n, n, BINS)


def l2hys_blocks(h):
    """2x2-cell blocks moving by one cell, L2-Hys: block row, block column, cell row, cell column, bin."""
    blocks = np.stack((h[:, :-1, :-1], h[:, :-1, 1:], h[:, 1:, :-1], h[:, 1:, 1:]), axis=3)
    count = h.shape[0]
    v = blocks.reshape(count, -1, 4 * BINS)
    v = v / np.sqrt(np.einsum("nbk,nbk->nb", v, v) + EPS2)[..., None]
    np.minimum(v, np.float32(0.2), out=v)
    v /= np.sqrt(np.einsum("nbk,nbk->nb", v, v) + EPS2)[..., None]
    return v.reshape(count, -1)


def features(images):
    """images: (count, 28, 28) float32 -> (count, 1826) float32."""
    count = images.shape[0]
    tall = images.reshape(count * SIDE, SIDE)  # rows of different images never mix in a horizontal filter
    gx = cv2.Sobel(tall, cv2.CV_32F, 1, 0, ksize=1, borderType=cv2.BORDER_REPLICATE)
    wide = np.ascontiguousarray(images.transpose(1, 0, 2)).reshape(SIDE, count * SIDE)  # nor columns in a vertical one
    gy = cv2.Sobel(wide, cv2.CV_32F, 0, 1, ksize=1, borderType=cv2.BORDER_REPLICATE)
    gy = gy.reshape(SIDE, count, SIDE).transpose(1, 0, 2).reshape(count * SIDE, SIDE)
    magnitude, angle = cv2.cartToPolar(gx, gy)  # angle in [0, 2 pi)
    # bin units: unsigned (mod pi) and shifted by half a bin, so b0 = the bin centre at or below the angle
    q = angle * np.float32(BINS / np.pi)
    q -= np.float32(0.5)
    np.mod(q, np.float32(BINS), out=q)
    b0 = np.minimum(q.astype(np.int32), BINS - 1)
    w1 = magnitude * (q - b0)
    w0 = magnitude - w1
    b1 = b0 + 1
    b1[b1 == BINS] = 0
    b0, b1, w0, w1 = (a.reshape(count, SIDE * SIDE) for a in (b0, b1, w0, w1))
    hog4 = l2hys_blocks(cell_histograms(b0, b1, w0, w1, 4, count))
    hog7 = l2hys_blocks(cell_histograms(b0, b1, w0, w1, 7, count))
    pixels = images.reshape(count, SIDE // 2, 2, SIDE // 2, 2).mean(axis=(2, 4), dtype=np.float32).reshape(count, -1)
    flat = images.reshape(count, -1)
    mean = flat.mean(axis=1, dtype=np.float32)
    std = flat.std(axis=1, dtype=np.float32)
    bins = np.clip((flat * 8).astype(np.int32), 0, 7) + 8 * np.arange(count, dtype=np.int32)[:, None]
    histogram = np.bincount(bins.ravel(), minlength=8 * count).reshape(count, 8).astype(np.float32) / np.float32(SIDE * SIDE)
    return np.concatenate((hog4, hog7, pixels, mean[:, None], std[:, None], histogram), axis=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8192)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--dump")
    args = parser.parse_args()

    cv2.setNumThreads(1)  # one worker = one thread; the workers are the Python threads below
    if args.images:
        sample = np.fromfile(args.images, dtype="<f4")
        if sample.size == 0 or sample.size % (SIDE * SIDE):
            sys.exit(f"{args.images}: {sample.size} floats is not a whole number of 28x28 images")
        sample = sample.reshape(-1, SIDE, SIDE)
    else:
        sample = np.random.default_rng(0).random((200, SIDE, SIDE), dtype=np.float32)
    batch = np.ascontiguousarray(np.resize(sample, (args.batch, SIDE, SIDE)))  # the sample repeated

    out = features(batch[:1])
    if out.shape != (1, FEATURE_LENGTH):
        sys.exit(f"grey28-v1 has {FEATURE_LENGTH} features, this implementation wrote {out.shape[1]}")
    if args.dump:
        features(sample[:1]).astype("<f4").tofile(args.dump)

    threads = max(1, args.threads)
    slices = np.array_split(batch, threads)
    pool = ThreadPoolExecutor(threads) if threads > 1 else None

    def run():
        if pool is None:
            features(batch)
        else:
            list(pool.map(features, slices))

    images, elapsed = timed(run, args.batch, args.warmup, args.seconds)
    print(json.dumps({
        "imagesPerSecond": images / elapsed,
        "opencv": cv2.__version__,
        "numpy": np.__version__,
        "threads": threads,
        "batch": args.batch,
        "images": images,
        "seconds": elapsed,
        "featureLength": FEATURE_LENGTH,
    }))


if __name__ == "__main__":
    main()
