"""Make the timbre-map pictures and the live demo of the documentation.

Usage (from the repository root; needs chromium, chromedriver and selenium, as the
browser test does)::

    python docs/map_screenshot.py [--library DIR --label-column family] [-j 2]

* ``docs/_static/timbre_map_demo.html``: the map of ``examples/audio`` with its
  audio embedded (so that it plays on the documentation site);
* ``docs/_static/map_screenshot.png``: the map of ``--library`` (a folder with a
  ``manifest.csv``; default ``examples/audio``, labelled by instrument name) in
  headless Chromium, with a sound selected, its neighbours listed and another
  one hovered;
* ``docs/_static/map_search.png``: the same after typing ``--search`` in the
  search box.

The pictures in the documentation were made with
``--library ../shared/data/fluidr3 --label-column family --select p040_n060_v112.flac
--hover p071_n067_v112.flac --search brass`` (2,360 notes of 32 General MIDI
instruments rendered with the FluidR3 SoundFont).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATIC = os.path.join(ROOT, "docs", "_static")
sys.path.insert(0, ROOT)

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1400,860"]


def _browser(profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def _instrument_labels(index) -> dict:
    """``piano_C4.flac`` -> ``piano``: the demo clips' names say what they are."""
    return {p: os.path.basename(p).rsplit("_", 1)[0] for p in index.ids_}


def demo_page(n_jobs: int) -> str:
    from sktimbre import TimbreIndex
    from sktimbre.timbre_map import write_map

    index = TimbreIndex(n_jobs=n_jobs).fit([os.path.join(ROOT, "examples", "audio")])
    path = os.path.join(STATIC, "timbre_map_demo.html")
    write_map(index, path, labels=_instrument_labels(index), label_name="instrument",
              title="Timbre map of sktimbre's example clips", n_neighbors=5,
              embed_audio=True, preview_seconds=2.5)
    return path


def _position(driver, name: str) -> tuple[int, list]:
    k = driver.execute_script(
        "var d = JSON.parse(document.getElementById('timbre-map-data').textContent);"
        "return d.names.findIndex(x => x.endsWith(arguments[0]));", name)
    if k < 0:
        raise SystemExit(f"no sound named {name} in the map")
    return k, driver.execute_script("return timbreMap.screenPosition(arguments[0])", k)


def screenshots(library: str, label_column: str, select: str | None, hover: str | None,
                search: str, n_jobs: int, index_cache: str | None = None) -> list[str]:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    from sktimbre import TimbreIndex
    from sktimbre.io import read_manifest
    from sktimbre.timbre_map import write_map

    if index_cache and os.path.exists(index_cache):
        index = TimbreIndex.load(index_cache)
    else:
        index = TimbreIndex(n_jobs=n_jobs, verbose=True).fit([library])
        if index_cache:
            index.save(index_cache)
    manifest = os.path.join(library, "manifest.csv")
    if os.path.exists(manifest):
        paths, labels = read_manifest(manifest, label_column)
        labels = dict(zip(map(os.path.abspath, paths), labels, strict=True))
    else:
        labels, label_column = _instrument_labels(index), "instrument"
    out = []
    with tempfile.TemporaryDirectory() as folder:
        page = os.path.join(folder, "map.html")
        write_map(index, page, labels=labels, label_name=label_column,
                  title=f"Timbre map of {os.path.basename(os.path.normpath(library))}")
        driver = _browser(os.path.join(folder, "profile"))
        try:
            driver.get("file://" + page)
            canvas = driver.find_element(By.ID, "canvas")
            centre = (canvas.size["width"] / 2, canvas.size["height"] / 2)
            k = 0 if select is None else _position(driver, select)[0]
            driver.execute_script("timbreMap.select(arguments[0])", k)
            if hover is not None:
                _, (x, y) = _position(driver, hover)
                ActionChains(driver).move_to_element_with_offset(
                    canvas, int(x - centre[0]), int(y - centre[1])).perform()
            out.append(os.path.join(STATIC, "map_screenshot.png"))
            driver.save_screenshot(out[-1])
            driver.find_element(By.ID, "search").send_keys(search)
            ActionChains(driver).move_to_element_with_offset(canvas, 10, 10).perform()
            out.append(os.path.join(STATIC, "map_search.png"))
            driver.save_screenshot(out[-1])
        finally:
            driver.quit()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", default=os.path.join(ROOT, "examples", "audio"))
    parser.add_argument("--label-column", default="family")
    parser.add_argument("--select", help="end of the file name of the sound to select")
    parser.add_argument("--hover", help="end of the file name of the sound to hover")
    parser.add_argument("--search", default="piano")
    parser.add_argument("-j", "--jobs", type=int, default=1)
    parser.add_argument("--index-cache", metavar="INDEX",
                        help="index of --library: loaded if it exists, else built and saved")
    args = parser.parse_args(argv)
    print(demo_page(args.jobs))
    for path in screenshots(args.library, args.label_column, args.select, args.hover,
                            args.search, args.jobs, args.index_cache):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
