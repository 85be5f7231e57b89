"""PyTorch ResNet18 inference speed, the reference `pipeline bench` compares the CNN featurizer with.

torchvision's resnet18(weights=None): random weights (speed does not depend on them; nothing is downloaded),
eval mode, torch.inference_mode, input [batch, 3, size, size], fixed thread count. Prints one JSON line:
{"imagesPerSecond": ..., "torch": "<version>", "threads": N, "batch": B, "size": S, "images": n, "seconds": t}.
Usage: python3 resnet18_speed.py [--threads 2] [--batch 1] [--size 224] [--warmup 2] [--seconds 6]
"""
import argparse
import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from speed_loop import timed  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None).eval()
    x = torch.randn(args.batch, 3, args.size, args.size)
    with torch.inference_mode():
        images, elapsed = timed(lambda: model(x), args.batch, args.warmup, args.seconds)
    print(json.dumps({
        "imagesPerSecond": images / elapsed,
        "torch": torch.__version__,
        "threads": args.threads,
        "batch": args.batch,
        "size": args.size,
        "images": images,
        "seconds": elapsed,
    }))


if __name__ == "__main__":
    main()
