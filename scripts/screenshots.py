"""Take the user guide's screenshots from a running demo server (Debian's chromium).

Usage: python scripts/screenshots.py http://127.0.0.1:8000 docs/img
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/img")
PASSWORD = "PowerKAM-demo-2026"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def login(page, username):
    page.goto(f"{BASE}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        ctx = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
        page = ctx.new_page()
        page.goto(f"{BASE}/accounts/login/")
        page.screenshot(path=OUT / "login.png")
        login(page, "manager1")
        page.goto(f"{BASE}/customers/")
        page.screenshot(path=OUT / "customer-list.png")
        page.locator("#customer-table tbody tr a").first.click()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=OUT / "customer-360.png", full_page=True)
        ctx.clear_cookies()
        login(page, "supervisor1")
        page.goto(f"{BASE}/customers/quality/")
        page.screenshot(path=OUT / "data-quality.png")
        page.goto(f"{BASE}/org/portfolios/")
        page.screenshot(path=OUT / "portfolios.png")
        ctx.clear_cookies()
        login(page, "clerk1")
        page.goto(f"{BASE}/imports/")
        page.screenshot(path=OUT / "import.png")
        browser.close()
    print("screenshots in", OUT)


if __name__ == "__main__":
    main()
