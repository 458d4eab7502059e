"""Write a few synthetic instrument notes as FLAC files (the demo audio of the README).

Usage::

    python examples/make_demo_audio.py OUTPUT_DIR [--instruments 3] [--seed 0]

The files ``inst{i}_n{pitch}.flac`` are notes of ``make_notes``' synthetic
instruments: each instrument at several pitches, so that the embedding of a note
should be closest to the other notes of its instrument.
"""

import argparse
import os

import soundfile as sf

from sktimbre.datasets import make_notes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output_dir")
    parser.add_argument("--instruments", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    pitches = [45, 57, 69]
    X, y, pitch = make_notes(args.instruments, pitches=pitches, velocities=(0.8,),
                             duration=1.0, random_state=args.seed, return_pitch=True)
    os.makedirs(args.output_dir, exist_ok=True)
    for clip, label, p in zip(X, y, pitch, strict=True):
        sf.write(os.path.join(args.output_dir, f"inst{label}_n{p:03d}.flac"), clip, 22050,
                 subtype="PCM_16")
    print(f"wrote {len(X)} notes to {args.output_dir}")


if __name__ == "__main__":
    main()
