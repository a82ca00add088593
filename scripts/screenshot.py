#!/usr/bin/env python3
"""Regenerate docs/img/comment-preview.png (the demo's PR comment as GitHub shows it, whole) and,
with `--seed`, docs/img/seed-comment-preview.png: the seed example's mixed report.

`--seed` runs examples/apiq-production.yml on the sample documents in examples/ (phase
go-live, its repository and environment evidence; the live probes are left out, as
*.apiq.example does not exist), saves the JSON report and renders it with
`apiq-gate render --html`, the preview command.

1. `apiq-gate demo --output-dir <tmp>` writes `comment-preview.html`: the comment rendered by
   cmark-gfm (GitHub's engine) in a page styled like a GitHub comment. The demo's gate fails on
   purpose (exit 1), with a blocker, a sign-off, a warning, a waiver and every section.
2. The page's height is measured: headless Chromium loads a copy with one line of script that
   puts `scrollHeight` in the title (the page itself allows no script), and prints the DOM.
3. Headless Chromium screenshots the page itself in a window exactly that tall, 1,000 pixels
   wide, so the picture holds the whole comment, footer included, and no empty space.

Needs Debian's `chromium` and `fonts-noto-color-emoji` (the icons). Run from the repository root:

    python scripts/screenshot.py            # or: python scripts/screenshot.py OUT.png
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img" / "comment-preview.png"
WIDTH = 1000
CHROMIUM = (
    "chromium",
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
MEASURE = "<script>document.title = 'height:' + document.documentElement.scrollHeight;</script>"
CSP = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')


SEED_OUT = ROOT / "docs" / "img" / "seed-comment-preview.png"
# The deploy job's environment as the seed example expects it: one secret is too short.
SEED_ENV = {
    "NODE_ENV": "production",
    "DATABASE_URL": "postgres://apiq@db.internal:5432/apiq",
    "NEXTAUTH_URL": "https://app.apiq.example",
    "NEXTAUTH_SECRET": "q9Vx2mT7bLr4Kp8sWz3nHc6dFg1jYa5uE0oRiXt",
    "JWT_SECRET": "short-jwt-secret",
    "ENCRYPTION_MASTER_KEY": "Zr8Qk2Lm5Nv7Bx1Cw4Hs9Jt3Pd6Gf0Ya8Ue2Wi5Ro7Ty1",
    "OPENAI_API_KEY": "sk-proj-9fKx2Lq8Vn4Mz7Rb1Tc5Hw3Js6Pd0Gy",
}


def main(out: Path, *, seed: bool = False) -> int:
    with tempfile.TemporaryDirectory(prefix="apiq-screenshot-") as tmp:
        work = Path(tmp)
        page = seed_page(work / "seed") if seed else demo_page(work / "demo")
        height = page_height(page, work)
        chromium(work, f"--window-size={WIDTH},{height}", f"--screenshot={out}", page.as_uri())
    if not out.is_file():
        print(f"error: chromium wrote no {out}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({WIDTH}x{height})")
    return 0


def demo_page(directory: Path) -> Path:
    done = subprocess.run(
        [sys.executable, "-m", "apiq_gate", "demo", "--output-dir", str(directory)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    page = directory / "comment-preview.html"
    if done.returncode not in (0, 1) or not page.is_file():  # 1: the demo's gate fails on purpose
        sys.exit(f"error: apiq-gate demo exited {done.returncode}:\n{done.stderr}")
    return page


def seed_page(directory: Path) -> Path:
    import dataclasses  # noqa: PLC0415  (only this mode runs the gate in-process)

    from apiq_gate.config import load  # noqa: PLC0415
    from apiq_gate.report_io import format_report  # noqa: PLC0415
    from apiq_gate.run import RunOptions, run  # noqa: PLC0415

    checklist = load(ROOT / "examples" / "apiq-production.yml", display_name="examples/apiq-production.yml")
    local = tuple(
        dataclasses.replace(section, items=kept)
        for section in checklist.sections
        if (kept := tuple(i for i in section.items if not any(e.network for e in i.evidence)))
    )
    options = RunOptions(
        root=ROOT / "examples",
        environ=SEED_ENV,
        phase="go-live",
        environment="production",
        config_label="examples/apiq-production.yml",
    )
    report = run(dataclasses.replace(checklist, sections=local), options)
    directory.mkdir(parents=True)
    (directory / "report.json").write_text(format_report(report, "json"), encoding="utf-8")
    page = directory / "comment-preview.html"
    subprocess.run(
        [sys.executable, "-m", "apiq_gate", "render", str(directory / "report.json"), "--html", "-o", str(page)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return page


def page_height(page: Path, work: Path) -> int:
    """The page's full height in CSS pixels, measured on a copy that may run one line of script."""
    html = CSP.sub("", page.read_text(encoding="utf-8")).replace("</body>", MEASURE + "</body>")
    copy = work / "measure.html"
    copy.write_text(html, encoding="utf-8")
    dom = chromium(work, f"--window-size={WIDTH},800", "--dump-dom", copy.as_uri())
    found = re.search(r"<title>height:(\d+)</title>", dom)
    if found is None:
        sys.exit("error: could not measure the page (no height in the title)")
    return int(found[1])


def chromium(work: Path, *args: str) -> str:
    profile = tempfile.mkdtemp(prefix="profile-", dir=work)  # a fresh profile: nothing of the user's
    done = subprocess.run(
        [*CHROMIUM, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode != 0:
        sys.exit(f"error: chromium exited {done.returncode}:\n{done.stderr[-2000:]}")
    return done.stdout


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--seed"]
    seeding = "--seed" in sys.argv[1:]
    sys.exit(main(Path(arguments[0]) if arguments else SEED_OUT if seeding else OUT, seed=seeding))
