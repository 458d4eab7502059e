"""The audio files named on the command line: files as given, folders searched."""

from __future__ import annotations

import os

from ._exit import UsageError, display

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff", ".au", ".opus")
"""What a folder is searched for (any case). Files named explicitly are tried whatever
their extension, except those below."""

# Files that are certainly not audio but easily typed where audio is expected (the
# output of a previous `sktimbre embed`, a model, a manifest): refused up front
# instead of being reported as undecodable after the work.
NOT_AUDIO = {
    ".npz": "saved embeddings", ".npy": "saved embeddings", ".parquet": "saved embeddings",
    ".csv": "a CSV table", ".jsonl": "a text file", ".txt": "a text file",
    ".json": "a text file", ".skt": "a model file", ".joblib": "a pickle",
    ".pkl": "a pickle", ".pickle": "a pickle",
}


def refuse_non_audio(path: str, command: str) -> None:
    """Raise :class:`UsageError` if ``path`` is named like a data file, not audio."""
    ext = os.path.splitext(path)[1].lower()
    if ext in NOT_AUDIO and not os.path.isdir(path):
        raise UsageError(
            f"{display(path)} is {NOT_AUDIO[ext]}, not audio: `sktimbre {command}` reads "
            f"audio files ({', '.join(AUDIO_EXTENSIONS)}) and folders of them")


def expand(inputs: list[str], command: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Files as given; folders searched recursively for audio files (sorted).

    Returns
    -------
    paths : list of str
        Paths exactly as the file system gives them (names that are not UTF-8 keep
        their bytes as surrogate escapes, so they open again).
    unreadable : list of (str, str)
        Folders that could not be searched, with the reason: reported like files
        that failed, never silently skipped.

    Raises
    ------
    UsageError
        A named file that is a data file, not audio, or a folder without audio files.
    """
    paths, unreadable = [], []
    for item in inputs:
        if not os.path.isdir(item):
            refuse_non_audio(item, command)
            paths.append(item)
            continue
        found, before = [], len(unreadable)

        def note(exc: OSError, top=item) -> None:
            unreadable.append((exc.filename or top, f"cannot read folder: {exc.strerror}"))

        for root, _, names in os.walk(item, onerror=note):
            found += [os.path.join(root, name) for name in names
                      if name.lower().endswith(AUDIO_EXTENSIONS)]
        if not found and len(unreadable) == before:
            raise UsageError(f"no audio files under {display(item)} (looked for "
                             f"{', '.join(AUDIO_EXTENSIONS)})")
        paths += sorted(found)
    return paths, unreadable
