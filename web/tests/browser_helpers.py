"""What the browser tests share: axe-core's WCAG check and the sign-in through the issuer's
form (Debian's Chromium through Playwright, the session browser of the root conftest)."""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page, *, open_details: bool = False) -> list[dict]:  # type: ignore[no-untyped-def]
    """WCAG 2.0/2.1 A and AA violations found by axe-core on the current page; with
    `open_details`, every <details> is opened first so the forms folded inside are checked."""
    if open_details:
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["html"] for n in v["nodes"]][:3]}
        for v in result["violations"]
    ]


def sign_in(page, platform, username: str, next_path: str) -> None:  # type: ignore[no-untyped-def]
    """Through the issuer's sign-in form (demo password), back on `next_path`."""
    page.goto(f"{platform.web}{next_path}")
    page.wait_for_selector("#username")
    page.fill("#username", username)
    page.fill("#password", "demo" + username)
    page.click("main button[type=submit]")
    target = platform.web + next_path.split("?")[0]
    page.wait_for_url(lambda url: url.split("?")[0] == target)
