"""The timbre map in a real browser: headless Chromium, driven by Selenium.

Skipped where Chromium, chromedriver or selenium are missing -- except under CI
(the environment variable ``CI`` set), where that is a failure: ``.ci/run``
installs them, and a browser test that silently stopped running would test
nothing.
"""

import os
import shutil
import statistics
import tempfile

import numpy as np
import pytest
import soundfile as sf

from sktimbre import TimbreIndex
from sktimbre.datasets import make_notes
from sktimbre.timbre_map import write_map

# t-SNE and KMeans on one OpenMP thread (conftest.one_openmp_thread)
pytestmark = pytest.mark.usefixtures("one_openmp_thread")

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser",
                                                 "google-chrome"))), None)
CHROMEDRIVER = shutil.which("chromedriver")
# flags for a sandboxed, offline machine (and a fresh profile per run)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                  "--window-size=1280,860"]
BACKGROUND = (246, 246, 244)


def _missing() -> list[str]:
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER))
               if path is None]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install 'sktimbre[test]')")
    return missing


@pytest.fixture(scope="module")
def browser():
    missing = _missing()
    if missing:
        message = f"the browser test needs {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run it (.ci/run installs them)")
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="sktimbre-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """Twelve notes of four synthetic instruments, as WAV files, indexed; a manifest."""
    root = tmp_path_factory.mktemp("library")
    X, y = make_notes(n_instruments=4, pitches=[48, 60, 72], velocities=[1.0], duration=0.4,
                      random_state=0)
    paths = []
    for i, (clip, label) in enumerate(zip(X, y, strict=True)):
        path = root / "notes" / f"inst{label}_{i:02d}.wav"
        path.parent.mkdir(exist_ok=True)
        sf.write(path, clip, 22050)
        paths.append(str(path))
    index = TimbreIndex().fit(paths)
    labels = {p: f"instrument {label}" for p, label in zip(paths, y, strict=True)}
    page = root / "map.html"
    write_map(index, page, labels=labels, label_name="instrument", n_neighbors=5)
    return index, labels, page


def _pixel(driver, x, y):
    """The canvas pixel under CSS position (x, y), as (r, g, b)."""
    return tuple(driver.execute_script(
        "var c = document.getElementById('canvas'), r = window.devicePixelRatio || 1;"
        "return Array.from(c.getContext('2d').getImageData("
        "Math.round(arguments[0] * r), Math.round(arguments[1] * r), 1, 1).data).slice(0, 3);",
        x, y))


def _drawn_pixels(driver) -> int:
    return driver.execute_script(
        "var c = document.getElementById('canvas');"
        "var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, n = 0;"
        "for (var i = 0; i < d.length; i += 4)"
        "  if (d[i] !== 246 || d[i + 1] !== 246 || d[i + 2] !== 244) n++;"
        "return n;")


def _click_at(driver, x, y):
    """A real mouse click at CSS position (x, y) of the canvas."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    canvas = driver.find_element(By.ID, "canvas")
    ActionChains(driver).move_to_element_with_offset(
        canvas, int(round(x - canvas.size["width"] / 2)),
        int(round(y - canvas.size["height"] / 2))).click().perform()


def _loneliest_point(driver, n) -> int:
    """The point farthest on screen from every other: a click there can only hit it."""
    xy = np.array(driver.execute_script(
        "return Array.from({length: arguments[0]}, (_, k) => timbreMap.screenPosition(k));", n))
    d = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    np.fill_diagonal(d, np.inf)
    return int(d.min(axis=1).argmax())


def test_map_draws_plays_and_lists_the_index_neighbours(browser, library):
    from selenium.webdriver.common.by import By

    index, labels, page = library
    browser.get(page.as_uri())
    n = browser.execute_script("return timbreMap.n")
    assert n == len(index.ids_) == 12
    assert _drawn_pixels(browser) > 12 * 20  # every point is a few pixels wide

    k = _loneliest_point(browser, n)
    x, y = browser.execute_script("return timbreMap.screenPosition(arguments[0])", k)
    colour = browser.execute_script(
        "var data = JSON.parse(document.getElementById('timbre-map-data').textContent);"
        "return data.categories[data.label[arguments[0]]].colour", k)
    assert _pixel(browser, x, y) == tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))

    # hover: the tooltip names the file, its label and its pitch
    from selenium.webdriver.common.action_chains import ActionChains

    canvas = browser.find_element(By.ID, "canvas")
    ActionChains(browser).move_to_element_with_offset(
        canvas, int(round(x - canvas.size["width"] / 2)),
        int(round(y - canvas.size["height"] / 2))).perform()
    tooltip = browser.find_element(By.ID, "tooltip")
    assert tooltip.is_displayed()
    name = os.path.basename(index.ids_[k])
    assert name in tooltip.text and labels[index.ids_[k]] in tooltip.text
    assert "pitch" in tooltip.text and "Hz" in tooltip.text

    # click: selects the point and points the player at its file
    _click_at(browser, x, y)
    assert browser.execute_script("return timbreMap.state.selected") == k
    src = browser.find_element(By.ID, "player").get_attribute("src")
    assert src == (page.parent / "notes" / name).as_uri()
    # names are relative to the library's common folder
    assert browser.find_element(By.ID, "selected-name").text == name

    # the neighbour list is TimbreIndex.query's answer
    distances, ids = index.query([index.ids_[k]], k=5, exclude_self=True)
    rows = browser.execute_script("return timbreMap.state.neighbours")
    assert [index.ids_[r] for r in rows] == list(ids[0])
    np.testing.assert_allclose(browser.execute_script("return timbreMap.state.distances"),
                               distances[0], rtol=1e-9, atol=1e-12)
    items = browser.find_elements(By.CSS_SELECTOR, "#neighbours li .name")
    assert [i.text for i in items] == [os.path.basename(p) for p in ids[0]]

    # its play button plays the neighbour
    browser.find_elements(By.CSS_SELECTOR, "#neighbours li button")[2].click()
    assert browser.find_element(By.ID, "player").get_attribute("src") == \
        os.path.join(page.parent.as_uri(), os.path.relpath(ids[0][2], page.parent))


def test_search_box_filters_by_name_and_label(browser, library):
    from selenium.webdriver.common.by import By

    index, labels, page = library
    browser.get(page.as_uri())
    before = _drawn_pixels(browser)
    box = browser.find_element(By.ID, "search")
    box.send_keys("instrument 2")
    assert browser.find_element(By.ID, "count").text == "3 matches"
    box.clear()
    box.send_keys("INST1_")
    assert browser.find_element(By.ID, "count").text == "3 matches"
    # the others are drawn faint, not hidden: fewer strongly coloured pixels
    strong = browser.execute_script(
        "var c = document.getElementById('canvas');"
        "var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, n = 0;"
        "for (var i = 0; i < d.length; i += 4)"
        "  if (Math.max(d[i], d[i+1], d[i+2]) - Math.min(d[i], d[i+1], d[i+2]) > 60) n++;"
        "return n;")
    assert 0 < strong < before


def test_twenty_thousand_points_draw_fast(browser, tmp_path, record_property):
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(30, 31)) * 3
    n = 20_000
    vectors = centres[rng.integers(0, 30, n)] + rng.normal(size=(n, 31))
    ids = [str(tmp_path / "library" / f"sound_{i:05d}.wav") for i in range(n)]
    index = TimbreIndex(embedder=None).fit(vectors, ids=ids)
    page = tmp_path / "map.html"
    write_map(index, page, projection="pca")
    browser.get(page.as_uri())
    assert browser.execute_script("return timbreMap.n") == n
    times = browser.execute_script("return [1, 2, 3, 4, 5].map(() => timbreMap.draw())")
    draw_ms = statistics.median(times)
    select_ms = browser.execute_script(
        "var t = performance.now(); timbreMap.select(123); return performance.now() - t")
    record_property("draw_ms_20k", draw_ms)
    record_property("select_ms_20k", select_ms)
    print(f"20,000 points: draw {draw_ms:.1f} ms (median of 5), select + neighbours "
          f"{select_ms:.1f} ms, page {os.path.getsize(page) / 1e6:.1f} MB")
    assert draw_ms < 250 and select_ms < 1000
    assert _drawn_pixels(browser) > 20_000
    rows = browser.execute_script("return timbreMap.state.neighbours")
    _, expected = index.query(index.vectors_[[123]], k=11, return_indices=True)
    assert rows == [r for r in expected[0] if r != 123][:10]
    assert browser.find_element("id", "player").get_attribute("src").endswith(
        "library/sound_00123.wav")
