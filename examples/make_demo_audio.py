"""Make the demo clips of ``examples/audio`` from the fluidr3 notes (FluidR3_GM SoundFont).

Usage::

    python examples/make_demo_audio.py ../shared/data/fluidr3 [OUTPUT_DIR] \
        [--phrases ../shared/data/phrases/fluidr3]

``OUTPUT_DIR`` defaults to ``examples/audio``. The data folder is the one
described in ``examples/audio/ATTRIBUTION.md``: ``manifest.csv`` (columns ``path``,
``program``, ``midi_pitch``, ``velocity``) and the 2 s FLAC notes it lists. Each
demo clip is one of those notes (velocity 112), copied unchanged (2 s, 22,050 Hz,
16-bit FLAC, about 40 kB) as ``{instrument}_{note}.flac``: the acoustic grand
piano at three octaves, an electric piano, two strings, two brass, two woodwinds
and two guitars -- so that a piano's nearest neighbours should be the other
pianos, whatever note they play.

The notes are not shortened: cutting them to 1.25 s (before the note-off and
release) moved the brass apart in the pretrained embedder, which was fitted on
whole 2 s notes.

With ``--phrases`` (the fluidr3 folder of the phrases set: ``manifest.csv`` with
``path`` and ``program``, FLAC files named ``pPPP_phNN.flac``), three melodies of the
same SoundFont are copied too, as ``{instrument}_melody.flac``: the piano, the
violin and the flute *playing* (2.4-3.9 s, 6-9 notes each), to show that a melody
lands beside the notes of its instrument.
"""

import argparse
import csv
import os
import shutil

# (file stem, GM program, MIDI pitch)
CLIPS = [
    ("piano_C3", 0, 48),
    ("piano_C4", 0, 60),
    ("piano_C5", 0, 72),
    ("electric-piano_E4", 4, 64),
    ("violin_G4", 40, 67),
    ("cello_C3", 42, 48),
    ("trumpet_G4", 56, 67),
    ("trombone_C3", 57, 48),
    ("flute_C5", 73, 72),
    ("clarinet_G4", 71, 67),
    ("nylon-guitar_E3", 24, 52),
    ("steel-guitar_A3", 25, 57),
]
VELOCITY = 112
# (file stem, GM program, phrase number)
PHRASES = [
    ("piano_melody", 0, 1),
    ("violin_melody", 40, 1),
    ("flute_melody", 73, 1),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", help="the fluidr3 folder (with manifest.csv)")
    parser.add_argument(
        "output_dir",
        nargs="?",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "audio"),
    )
    parser.add_argument("--phrases", metavar="DIR",
                        help="the fluidr3 phrases folder (with manifest.csv): copy "
                             "three melodies too")
    args = parser.parse_args(argv)
    with open(os.path.join(args.data_dir, "manifest.csv"), newline="") as f:
        notes = {
            (int(r["program"]), int(r["midi_pitch"]), int(r["velocity"])): r["path"]
            for r in csv.DictReader(f)
        }
    os.makedirs(args.output_dir, exist_ok=True)
    for stem, program, pitch in CLIPS:
        source = os.path.join(args.data_dir, notes[program, pitch, VELOCITY])
        if not source.lower().endswith(".flac"):
            raise SystemExit(f"expected a FLAC note, got {source}")
        shutil.copyfile(source, os.path.join(args.output_dir, f"{stem}.flac"))
    n_clips = len(CLIPS)
    if args.phrases:
        with open(os.path.join(args.phrases, "manifest.csv"), newline="") as f:
            phrases = {os.path.basename(r["path"]): r["path"] for r in csv.DictReader(f)}
        for stem, program, number in PHRASES:
            source = os.path.join(args.phrases, phrases[f"p{program:03d}_ph{number:02d}.flac"])
            shutil.copyfile(source, os.path.join(args.output_dir, f"{stem}.flac"))
        n_clips += len(PHRASES)
    print(f"wrote {n_clips} clips to {args.output_dir}")


if __name__ == "__main__":
    main()
