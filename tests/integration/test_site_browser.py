"""The built site in a real browser: Debian's chromium driven by selenium, from file:// and http.

Search narrows to the right entries, filters combine, the style switch changes every entry and is
remembered, Copy BibTeX/biblatex give exactly the entries of the exports (clipboard, and the
selectable box where the clipboard refuses), every internal link and anchor resolves, nothing is
logged to the console, and a hostile list (``<script>`` in titles, tags and headings) renders as
text. Screenshots at desktop and phone width go to $MLSYS_BIB_SCREENSHOTS (else a pytest tmp dir).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mlsys_bib.build import build
from mlsys_bib.export.site.serve import make_server

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

CHROMIUM = Path(os.environ.get("MLSYS_BIB_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("MLSYS_BIB_CHROMEDRIVER", "/usr/bin/chromedriver"))
if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
    pytest.skip(f"{CHROMIUM} or {CHROMEDRIVER} missing (scripts/install-tools.sh installs them)", allow_module_level=True)

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

HOSTILE_LIST = """# Evil list <script>alert("list")</script>

## 1. Evil <img src=x onerror=alert(1)> & {section}
- [OSDI'24 <b>x</b>] [<script>alert("title")</script> Scaling & <b>bold</b> Training](https://example.org/p?a=1&b=2)
- [arxiv'24] [Normal Paper About GPU Clusters](https://arxiv.org/abs/2401.00001)

## 2. Second "section"
- [NSDI'23] [Another <i>paper</i> "quoted" </li></ol><script>alert(2)</script>](javascript:alert(1))
"""


def _driver(user_dir: Path):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={user_dir}", "--window-size=1280,900"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site-seed")
    build(None, out, resolve=False)
    return out


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("site-hostile")
    listing = root / "evil.md"
    listing.write_text(HOSTILE_LIST, encoding="utf-8")
    build(listing, root / "out", resolve=False)
    return root / "out"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = _driver(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def http_url(seed_site):
    server = make_server(seed_site, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/site/index.html"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    where = os.environ.get("MLSYS_BIB_SCREENSHOTS")
    path = Path(where) if where else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(params=["file", "http"])
def page(request, browser, seed_site):
    """The seed's site loaded in the browser, from file:// or from the loopback server."""
    url = (seed_site / "site" / "index.html").as_uri() if request.param == "file" else request.getfixturevalue("http_url")
    browser.get(url)
    browser.execute_script("localStorage.clear()")
    browser.get(url)
    browser.get_log("browser")  # start each test with an empty console
    yield browser
    errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert errors == [], errors


def _data(out: Path) -> dict:
    text = (out / "site" / "data.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("=") + 1 : text.rindex(";")])


def _visible_keys(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('li.paper')).filter(li => !li.closest('[hidden], .off'))"
        ".map(li => li.dataset.key)"
    )


def _count(driver) -> str:
    return driver.find_element(By.ID, "_count").text


def _bib_entry(path: Path, key: str) -> str:
    """The entry of ``key`` as it stands in the file: from its @ line to its closing brace line."""
    text = path.read_text(encoding="utf-8")
    match = re.search(r"^@\w+\{" + re.escape(key) + r",\n.*?^\}\n", text, re.S | re.M)
    assert match, key
    return match.group(0)


def test_search_narrows_to_the_right_entries(page, seed_site):
    data = _data(seed_site)
    total = len(data["papers"])
    assert _count(page) == f"All {total} papers"
    box = page.find_element(By.ID, "_q")
    box.send_keys("memory")
    expected = {row[0] for row in data["papers"] if "memory" in row[1]}
    assert 0 < len(expected) < total
    assert set(_visible_keys(page)) == expected
    assert _count(page) == f"{len(expected)} of {total} papers match"
    box.send_keys(" gpu")
    narrower = {row[0] for row in data["papers"] if "memory" in row[1] and "gpu" in row[1]}
    assert set(_visible_keys(page)) == narrower and narrower < expected
    box.clear()
    box.send_keys("cedar-vldb25")  # a key
    assert _visible_keys(page) == ["cedar-vldb25"]
    box.clear()
    box.send_keys("zzqqxx-nothing")
    assert _visible_keys(page) == []
    assert page.find_element(By.ID, "_none").is_displayed()
    page.find_element(By.ID, "_clear").click()
    WebDriverWait(page, 5).until(lambda d: _count(d) == f"All {total} papers")


def test_filters_combine(page, seed_site):
    data = _data(seed_site)
    venues = data["venues"]
    osdi = venues.index("OSDI")
    Select(page.find_element(By.ID, "_venue")).select_by_visible_text("OSDI")
    only_venue = {r[0] for r in data["papers"] if r[3] == osdi}
    assert set(_visible_keys(page)) == only_venue
    page.find_element(By.ID, "_from").send_keys("2023")
    page.find_element(By.ID, "_to").send_keys("2024")
    years = {r[0] for r in data["papers"] if r[3] == osdi and 2023 <= r[4] <= 2024}
    assert set(_visible_keys(page)) == years and 0 < len(years) < len(only_venue)
    Select(page.find_element(By.ID, "_kind")).select_by_visible_text("published")
    assert set(_visible_keys(page)) == years  # OSDI papers are published
    section = next(r[2][0] for r in data["papers"] if r[0] in years)
    Select(page.find_element(By.ID, "_section")).select_by_value(str(section))
    both = {r[0] for r in data["papers"] if r[0] in years and section in r[2]}
    shown = _visible_keys(page)
    assert set(shown) == both and len(shown) == len(both)  # one section: each paper once
    page.find_element(By.ID, "_q").send_keys("zzqqxx")
    assert _visible_keys(page) == []
    page.find_element(By.ID, "_reset").click()
    WebDriverWait(page, 5).until(lambda d: _count(d).startswith("All"))
    assert len(set(_visible_keys(page))) == len(data["papers"])


def test_style_switch_changes_every_entry_and_is_remembered(page):
    def shown_styles() -> list[str]:
        return page.execute_script(
            "return Array.from(document.querySelectorAll('li.paper')).map(li => Array.from(li.querySelectorAll('.ref'))"
            ".filter(r => getComputedStyle(r).display !== 'none').map(r => r.className).join('|'))"
        )

    assert set(shown_styles()) == {"ref s-apa"}
    before = page.execute_script("return Array.from(document.querySelectorAll('li.paper .s-apa')).map(r => r.textContent)")
    page.find_element(By.CSS_SELECTOR, 'input[name="style"][value="ieee"]').click()
    assert set(shown_styles()) == {"ref s-ieee"}
    after = page.execute_script("return Array.from(document.querySelectorAll('li.paper .s-ieee')).map(r => r.textContent)")
    assert len(before) == len(after) and all(a != b for a, b in zip(before, after, strict=True))
    page.refresh()
    assert page.execute_script("return document.body.dataset.style") == "ieee"
    assert page.find_element(By.CSS_SELECTOR, 'input[name="style"][value="ieee"]').is_selected()
    page.find_element(By.CSS_SELECTOR, 'input[name="style"][value="acm"]').click()
    assert set(shown_styles()) == {"ref s-acm"}


def _click(driver, element) -> None:
    """Click like a user who scrolled the element to mid-screen (not under the sticky search bar)."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def _grant_clipboard(driver) -> None:
    origin = driver.execute_script("return location.origin")
    try:
        driver.execute_cdp_cmd("Browser.grantPermissions", {
            "origin": origin, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    except Exception:  # noqa: BLE001 - file:// has no grantable origin; Chromium allows it anyway
        pass


def _read_clipboard(driver) -> str:
    return driver.execute_async_script(
        "var done = arguments[0]; navigator.clipboard.readText().then(done, e => done('ERROR ' + e))"
    )


@pytest.mark.parametrize("key", ["cedar-vldb25", "gandivafair-eurosys20"])
def test_copy_gives_exactly_the_exported_entries(page, seed_site, key):
    _grant_clipboard(page)
    card = page.find_element(By.ID, key)
    _click(page, card.find_element(By.CSS_SELECTOR, 'button[data-copy="bibtex"]'))
    assert _read_clipboard(page) == _bib_entry(seed_site / "mlsys.bib", key)
    _click(page, card.find_element(By.CSS_SELECTOR, 'button[data-copy="biblatex"]'))
    assert _read_clipboard(page) == _bib_entry(seed_site / "mlsys-biblatex.bib", key)
    _click(page, card.find_element(By.CSS_SELECTOR, 'button[data-copy="key"]'))
    assert _read_clipboard(page) == key
    WebDriverWait(page, 5).until(lambda d: "Copied key" in d.find_element(By.ID, "_status").text)
    # where the clipboard refuses, the text stands selected in a box
    page.execute_script("navigator.clipboard.writeText = () => Promise.reject(new Error('denied'))")
    _click(page, card.find_element(By.CSS_SELECTOR, 'button[data-copy="bibtex"]'))
    box = page.find_element(By.ID, "_copybox")
    WebDriverWait(page, 5).until(lambda d: box.is_displayed())
    area = page.find_element(By.ID, "_copytext")
    assert area.get_property("value") == _bib_entry(seed_site / "mlsys.bib", key)
    assert page.execute_script("var a = document.activeElement; return [a.id, a.selectionStart, a.selectionEnd]") == [
        "_copytext", 0, len(area.get_property("value"))]
    _click(page, page.find_element(By.ID, "_copyclose"))
    assert not box.is_displayed()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag in ("a", "link") and a.get("href"):
            self.hrefs.append(a["href"])
        if tag == "script" and a.get("src"):
            self.srcs.append(a["src"])


def test_every_internal_link_and_anchor_resolves(seed_site, http_url):
    site = seed_site / "site"
    parser = _Links()
    parser.feed((site / "index.html").read_text(encoding="utf-8"))
    assert len(parser.ids) == len(set(parser.ids)), "duplicate ids"
    ids = set(parser.ids)
    internal = [h for h in parser.hrefs + parser.srcs if not h.startswith(("http://", "https://"))]
    for href in internal:
        if href.startswith("#"):
            assert href[1:] in ids, href
        else:
            assert (site / href).resolve().is_file(), href
            with urllib.request.urlopen(http_url.rsplit("/", 1)[0] + "/" + href) as reply:  # loopback only
                assert reply.status == 200, href
    # a stable anchor for every exported entry: its citation key
    keys = re.findall(r"^@\w+\{([^,]+),$", (seed_site / "mlsys.bib").read_text(encoding="utf-8"), re.M)
    assert keys and set(keys) <= ids
    assert all(not i.startswith("_") for i in keys)


def test_anchor_of_a_filtered_out_paper_shows_it(page):
    page.find_element(By.ID, "_q").send_keys("zzqqxx")
    assert _visible_keys(page) == []
    page.execute_script("location.hash = '#cedar-vldb25'")
    WebDriverWait(page, 5).until(lambda d: "cedar-vldb25" in _visible_keys(d))


def test_screenshots_desktop_and_phone(page, shots):
    page.set_window_size(1280, 900)
    page.save_screenshot(str(shots / f"site-desktop-{page.execute_script('return location.protocol').strip(':')}.png"))
    page.find_element(By.ID, "_q").send_keys("llm serving")
    page.save_screenshot(str(shots / "site-desktop-search.png"))
    page.set_window_size(390, 844)
    width = page.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"horizontal scrolling at phone width: {width}"
    page.find_element(By.ID, "_q").location_once_scrolled_into_view  # noqa: B018
    page.save_screenshot(str(shots / "site-phone.png"))
    page.set_window_size(1280, 900)
    assert (shots / "site-phone.png").stat().st_size > 0


def test_keyboard_reaches_search_and_copy(page):
    from selenium.webdriver.common.keys import Keys

    body = page.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert page.execute_script("return document.activeElement.className") == "skip"
    seen = set()
    for _ in range(60):
        page.switch_to.active_element.send_keys(Keys.TAB)
        seen.add(page.execute_script("return document.activeElement.id || document.activeElement.className"))
    assert "_q" in seen or any("toc" in s for s in seen) or len(seen) > 10


def test_hostile_titles_render_as_text(browser, hostile_site):
    browser.get((hostile_site / "site" / "index.html").as_uri())
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    assert browser.execute_script("return document.scripts.length") == 2  # data.js and site.js
    # no element the list wrote: only the renderer's own rich text (CSL reads <b>/<i> in titles)
    tags = set(browser.execute_script("return Array.from(document.querySelectorAll('main .ref *')).map(e => e.tagName)"))
    assert tags <= {"A", "B", "I", "SPAN", "SUP", "SUB"}, tags
    assert browser.execute_script("return document.querySelectorAll('img, iframe, object, [onerror], [onclick]').length") == 0
    text = browser.execute_script("return document.body.textContent")
    assert "<script>alert(" in text and '<script>alert("list")</script>' in text
    assert "<img src=x onerror=alert(1)>" in text
    hrefs = browser.execute_script("return Array.from(document.links).map(a => a.getAttribute('href'))")
    assert not [h for h in hrefs if h.lower().startswith("javascript")]
    browser.find_element(By.ID, "_q").send_keys("<script>")
    assert browser.find_element(By.ID, "_count").text == "2 of 3 papers match"  # both titles with a script tag
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_site_size_within_budget(seed_site):
    size = sum(p.stat().st_size for p in (seed_site / "site").rglob("*") if p.is_file())
    assert size <= 3_000_000, size
    assert shutil.which  # keep the import used on every platform


def test_many_matches_come_a_page_at_a_time(page, seed_site):
    data = _data(seed_site)
    page.find_element(By.ID, "_q").send_keys("a")
    expected = [row[0] for row in data["papers"] if "a" in row[1]]
    assert len(expected) > 200
    assert _visible_keys(page) == expected[:100]  # in list order
    more = page.find_element(By.ID, "_more")
    assert more.text == f"Show 100 more ({len(expected) - 100} not shown)"
    _click(page, more)
    assert _visible_keys(page) == expected[:200]
    assert _count(page) == f"{len(expected)} of {len(data['papers'])} papers match"
    # the results are copies: the anchors stay with the cards of the full list
    assert page.execute_script("return document.querySelectorAll('#_results-list [id]').length") == 0
