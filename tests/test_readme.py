"""Every code block of README.md and docs/*.md runs as written.

Python blocks run in a fresh interpreter, one per page, in order (a page is read top
to bottom, so later blocks use what earlier ones defined), in a temporary folder
where a short prelude has made what the page assumes the reader has: labelled clips
(``paths``, ``labels``, ``train_paths``, ...), files named as on the page, a class of
their own. The prelude does not import sktimbre, so that ``sktimbre.augment...``
after a bare ``import sktimbre`` is tested as a new user meets it.

Shell blocks: every ``sktimbre ...`` command runs (against ``examples/audio`` and
synthetic clips); any other command must be listed in ``NOT_RUN`` with the reason.
Blocks that cannot run here are listed in ``ILLUSTRATIVE`` with the reason; a block
that is neither run nor listed fails :func:`test_every_code_block_is_run_or_listed`.
"""

import os
import re
import shlex
import subprocess
import sys
import textwrap
from typing import NamedTuple

import pytest

from sktimbre.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = ["README.md"] + sorted(
    os.path.join("docs", name) for name in os.listdir(os.path.join(ROOT, "docs"))
    if name.endswith(".md"))

ILLUSTRATIVE = {
    ("docs/scaling.md", 'Client("tcp://scheduler:8786")'): "needs a running Dask scheduler",
}
"""(page, text in the block): why the block is not run."""

NOT_RUN = {
    "pip install": "installs packages",
    "python -m pytest": "is the test suite itself",
    "python -m sphinx": "builds the documentation site (CI runs it)",
    "python benchmarks/": "needs the sample libraries of /work/shared/data",
    "python -m sktimbre.pretrained": "refits the shipped model on the sample libraries",
}
"""Shell commands (by how they start) that are not run, and why."""

SHELL = ("bash", "sh", "shell", "console")


class Block(NamedTuple):
    page: str
    line: int  # of the first line of code
    language: str
    code: str


def _blocks(page: str) -> list[Block]:
    """Fenced code blocks of a Markdown page (MyST directives such as ```{toctree} are
    not code)."""
    with open(os.path.join(ROOT, page), encoding="utf-8") as f:
        lines = f.read().splitlines()
    blocks, start, language = [], None, ""
    for n, line in enumerate(lines, start=1):
        if start is None and (match := re.match(r"^```\s*([\w{}-]*)", line)):
            start, language = n, match.group(1)
        elif start is not None and line.startswith("```"):
            blocks.append(Block(page, start + 1, language, "\n".join(lines[start:n - 1])))
            start = None
    return blocks


def _illustrative(block: Block) -> str | None:
    return next((why for (page, text), why in ILLUSTRATIVE.items()
                 if page == block.page and text in block.code), None)


def _commands(block: Block) -> list[list[str]]:
    """The commands of a shell block: one per line (a trailing backslash continues it,
    as in the shell) or per ``&&``, comments dropped."""
    commands = []
    for line in block.code.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        while words:
            cut = words.index("&&") if "&&" in words else len(words)
            commands.append(words[:cut])
            words = words[cut + 1:]
    return commands


def _not_run(command: list[str]) -> str | None:
    text = " ".join(command)
    return next((why for start, why in NOT_RUN.items() if text.startswith(start)), None)


ALL_BLOCKS = [block for page in PAGES for block in _blocks(page)]


def test_every_code_block_is_run_or_listed():
    assert len([b for b in ALL_BLOCKS if b.language == "python"]) >= 12
    for block in ALL_BLOCKS:
        if block.language in SHELL:
            for command in _commands(block):
                assert command[0] == "sktimbre" or _not_run(command), (
                    f"{block.page}:{block.line}: `{' '.join(command)}` is neither an sktimbre "
                    f"command (run here) nor listed in NOT_RUN")
    used = {key for key in ILLUSTRATIVE
            if any(b.page == key[0] and key[1] in b.code for b in ALL_BLOCKS)}
    assert used == set(ILLUSTRATIVE), "ILLUSTRATIVE lists blocks that no longer exist"


# ----------------------------------------------------------------------------- Python

PRELUDE = '''
import os
import numpy as np
import soundfile as sf

# Three synthetic "instruments" (harmonic spectra that fall off differently, different
# decays) at six pitches: what a reader of the page would have as their own clips.
_sr = 22050
_t = np.arange(_sr // 2) / _sr
os.makedirs("clips", exist_ok=True)
paths, labels, midi_pitches = [], [], []
for _inst, (_rolloff, _decay) in enumerate([(1.0, 3.0), (2.0, 8.0), (0.5, 1.5)]):
    for _pitch in range(48, 72, 4):
        _f0 = 440.0 * 2 ** ((_pitch - 69) / 12)
        _y = sum(np.sin(2 * np.pi * _k * _f0 * _t) / _k ** _rolloff
                 for _k in range(1, 12) if _k * _f0 < _sr / 2)
        _y = (0.3 * np.exp(-_decay * _t) * _y).astype(np.float32)
        paths.append(f"clips/inst{_inst}_{_pitch}.wav")
        sf.write(paths[-1], _y, _sr)
        labels.append(f"inst{_inst}")
        midi_pitches.append(_pitch)
instruments, midi = labels, midi_pitches
train_paths, train_labels, query_paths = paths[::2], labels[::2], paths[1::2]
train_instruments = train_labels
sf.write("piano_C4.wav", sf.read(paths[0])[0], _sr)
sf.write("cello_G2.flac", sf.read(paths[7])[0], _sr)

# docs/persistence.md, "Your own classes": a user's transformer in a fitted pipeline
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


class MyTransformer(TransformerMixin, BaseEstimator):
    def __init__(self, scale=2.0):
        self.scale = scale

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        return np.asarray(X) * self.scale


pipeline = make_pipeline(StandardScaler(), MyTransformer()).fit(np.eye(3))
'''

RUNNER = '''
import sys

for _page, _line, _code in BLOCKS:
    try:
        # blank lines first: tracebacks give the line numbers of the page
        exec(compile("\\n" * (_line - 1) + _code, _page, "exec"))
    except BaseException:
        print(f"the block at {_page}:{_line} failed", file=sys.stderr)
        raise
'''

PYTHON_PAGES = sorted({b.page for b in ALL_BLOCKS if b.language == "python"
                       and not _illustrative(b)})


@pytest.mark.parametrize("page", PYTHON_PAGES)
def test_python_blocks_run(page, tmp_path):
    blocks = [(b.page, b.line, b.code) for b in ALL_BLOCKS
              if b.page == page and b.language == "python" and not _illustrative(b)]
    script = tmp_path / "page.py"
    script.write_text(PRELUDE + f"\nBLOCKS = {blocks!r}\n" + RUNNER)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]),
               MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]


def test_documented_names_resolve_after_import_sktimbre():
    # `sktimbre.augment.augment_clips(...)` in the text must work after `import sktimbre`
    # alone: checked in a fresh interpreter, where nothing else imported the submodule.
    names = set()
    for page in PAGES:
        with open(os.path.join(ROOT, page), encoding="utf-8") as f:
            names |= set(re.findall(r"`(sktimbre(?:\.[A-Za-z_]\w*)+)(?:`|\()", f.read()))
    assert "sktimbre.augment.augment_clips" in names and len(names) >= 10
    check = textwrap.dedent(f"""
        import sys
        import sktimbre
        missing = []
        for name in {sorted(names)!r}:
            obj = sktimbre
            try:
                for part in name.split(".")[1:]:
                    obj = getattr(obj, part)
            except AttributeError:
                missing.append(name)
        assert not missing, missing
        assert "torch" not in sys.modules  # sktimbre.neural does not import PyTorch
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


def test_submodules_are_attributes_of_the_package():
    import sktimbre

    for name in sktimbre._SUBMODULES:
        assert name in dir(sktimbre)
        assert getattr(sktimbre, name).__name__ == f"sktimbre.{name}"
    with pytest.raises(AttributeError, match="has no attribute 'no_such_module'"):
        sktimbre.no_such_module  # noqa: B018


# ----------------------------------------------------------------------------- shell


SHELL_PAGES = sorted({b.page for b in ALL_BLOCKS if b.language in SHELL
                      and any(c[0] == "sktimbre" for c in _commands(b))})


@pytest.fixture
def shell_folder(tmp_path, monkeypatch):
    """What the shell blocks assume: examples/audio, a manifest of labelled clips and
    folders of clips of one's own."""
    import csv

    import soundfile as sf

    from sktimbre.datasets import make_notes

    os.symlink(os.path.join(ROOT, "examples"), tmp_path / "examples")
    X, y, pitch = make_notes(n_instruments=3, pitches=range(48, 72, 4), velocities=(1.0,),
                             duration=0.5, random_state=0, return_pitch=True)
    for folder in ("clips", "my_clips", "my_samples", "new_clips"):
        os.mkdir(tmp_path / folder)
    with open(tmp_path / "manifest.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "program", "instrument"])
        for i, (clip, label, p) in enumerate(zip(X, y, pitch, strict=True)):
            sf.write(tmp_path / "clips" / f"inst{label}_{p}.wav", clip, 22050)
            writer.writerow([f"clips/inst{label}_{p}.wav", int(label), f"inst{label}"])
            if i % 6 == 0:
                for folder in ("my_clips", "my_samples", "new_clips"):
                    sf.write(tmp_path / folder / f"{i}.wav", clip, 22050)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _shown_output(page: str, first_line: str) -> str | None:
    """The output block of ``page`` that begins with ``first_line``, if there is one."""
    return next((b.code for b in ALL_BLOCKS if b.page == page and b.language in ("", "text")
                 and b.code.startswith(first_line)), None)


@pytest.mark.parametrize("page", SHELL_PAGES)
def test_sktimbre_commands_run(page, shell_folder, capsys):
    ran = 0
    for block in ALL_BLOCKS:
        if block.page != page or block.language not in SHELL:
            continue
        for command in _commands(block):
            if command[0] != "sktimbre":
                continue
            status = main(command[1:])
            out, err = capsys.readouterr()
            assert status == 0, f"{page}:{block.line}: `{' '.join(command)}`: {err}"
            ran += 1
            shown = out.strip() and _shown_output(page, out.splitlines()[0])
            if shown:  # the page shows what this command prints: it must be what it prints
                _same_table(out, shown)
    assert ran


def _same_table(printed: str, shown: str) -> None:
    got = [line.split() for line in printed.strip().splitlines()]
    expected = [line.split() for line in shown.strip().splitlines()]
    assert len(got) == len(expected) and got[:2] == expected[:2], printed
    for g, e in zip(got[2:], expected[2:], strict=True):
        assert (g[0], g[2]) == (e[0], e[2]), printed
        assert abs(float(g[1]) - float(e[1])) <= 0.002, printed


def test_readme_counts_the_demo_clips_right():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = " ".join(f.read().split())
    match = re.search(r"the (\w+) clips of `examples/audio` \(2 s notes of (\w+) instruments"
                      r" and (\w+) short melodies", text)
    assert match, "the sentence about the demo clips changed"
    numbers = {"three": 3, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
               "fourteen": 14, "fifteen": 15, "sixteen": 16}
    clips = [n for n in os.listdir(os.path.join(ROOT, "examples", "audio"))
             if n.endswith(".flac")]
    melodies = [n for n in clips if n.endswith("_melody.flac")]
    assert numbers[match.group(1)] == len(clips)
    assert numbers[match.group(2)] == len({n.split("_")[0] for n in clips})
    assert numbers[match.group(3)] == len(melodies)
