#!/usr/bin/python3
"""Makes datasets/caltech101-mini from a Caltech-101 folder laid out as train/<class>/*.jpg and test/<class>/*.jpg.

    /usr/bin/python3 scripts/make-caltech101-mini.py SOURCE datasets/caltech101-mini

SOURCE was ../shared/datasets/caltech101-dev (a subset of Caltech-101 keeping a public mirror's train/test split).
Needs Pillow (Debian: apt-get install python3-pil). Per class in CLASSES, the first TRAIN (TEST) files of the
source's train (test) folder in file-name order are taken, turned into RGB (a greyscale JPEG gets three equal
channels), shrunk so that the longer side is at most MAX_SIDE pixels (Lanczos; smaller images are left at their
size) and written as baseline JPEG, quality QUALITY, no metadata. Same source, same bytes out.
"""

import os
import sys

from PIL import Image

CLASSES = ["airplanes", "Faces_easy", "dolphin", "llama", "starfish", "watch"]
TRAIN = 40
TEST = 20
MAX_SIDE = 224
QUALITY = 85


def convert(source_file, target_file):
    with Image.open(source_file) as image:
        image = image.convert("RGB")
        scale = MAX_SIDE / max(image.size)
        if scale < 1:
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            image = image.resize(size, Image.LANCZOS)
        image.save(target_file, "JPEG", quality=QUALITY, optimize=True, progressive=False)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make-caltech101-mini.py SOURCE TARGET")
    source, target = sys.argv[1], sys.argv[2]
    for split, count in (("train", TRAIN), ("test", TEST)):
        for cls in CLASSES:
            folder = os.path.join(source, split, cls)
            files = sorted(f for f in os.listdir(folder) if f.lower().endswith((".jpg", ".jpeg")))
            if len(files) < count:
                sys.exit(f"{folder}: {len(files)} images, {count} wanted")
            out = os.path.join(target, split, cls)
            os.makedirs(out, exist_ok=True)
            for name in files[:count]:
                convert(os.path.join(folder, name), os.path.join(out, os.path.splitext(name)[0] + ".jpg"))


if __name__ == "__main__":
    main()
