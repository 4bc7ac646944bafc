"""`make screenshots`: a screenshot of each dashboard page, over the small live market the browser
test builds (tests/e2e/test_dashboard.py `demo_market`), saved as PNG files in the directory given
(docs/screenshots/). Drives Debian's chromium through Playwright, as the test does.

    .venv/bin/python tools/screenshots.py docs/screenshots
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.e2e.test_dashboard import BROWSER_ARGS, CHROMIUM, PROGRAM, demo_market  # noqa: E402


def settle(page: Page, ready: str) -> None:
    """Waits for ``ready`` to be on the page, then a moment for charts and checks to finish."""
    page.wait_for_selector(ready, timeout=20_000)
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")  # a sticky header would land mid-page otherwise
    time.sleep(0.3)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home, demo_market(Path(home)) as demo, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860}, device_scale_factor=1)
        ui = f"{demo.url}/ui/#"
        shots = [
            ("jobs", "/jobs", ".chart svg"),
            ("job", f"/jobs/{demo.settled}", ".timeline li"),
            ("job-open", f"/jobs/{demo.waiting}", ".summary"),
            ("workers", "/workers", ".chart svg"),
            ("settlements", "/settlements", "#check-summary.confirmed"),
            ("names", "/names/alice", ".name-card"),
            ("programs", "/programs", "tr[data-program]"),
            ("transaction", None, ".args"),
        ]
        for name, path, ready in shots:
            if path is None:  # the settled job's posting transaction, read from the chain
                page.goto(f"{ui}/jobs/{demo.settled}")
                page.wait_for_selector(".timeline li")
                path = "/tx/" + str(page.locator(".timeline li").last.get_attribute("data-tx"))
            page.goto(f"{ui}{path}")
            settle(page, ready)
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            print(f"{out / f'{name}.png'}")
        page.goto(f"{ui}/submit")
        page.set_input_files("input[name=program]", str(PROGRAM))
        page.fill("textarea[name=inputText]", "one two three")
        page.click("#submit-form button[type=submit]")
        settle(page, "#submit-result [data-job]")
        page.screenshot(path=str(out / "submit.png"), full_page=True)
        print(out / "submit.png")
        phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=1)
        phone.goto(f"{ui}/jobs/{demo.settled}")
        settle(phone, ".timeline li")
        phone.screenshot(path=str(out / "job-phone.png"))
        print(out / "job-phone.png")
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
