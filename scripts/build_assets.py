"""Copy the pinned npm packages into src/powerkam/static/vendor (served by WhiteNoise; no CDN)."""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "src" / "powerkam" / "static" / "vendor"

FILES = {
    "bootstrap/dist/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "bootstrap/dist/js/bootstrap.bundle.min.js": "bootstrap/bootstrap.bundle.min.js",
    "bootstrap-icons/font/bootstrap-icons.min.css": "bootstrap-icons/bootstrap-icons.min.css",
    "bootstrap-icons/font/fonts/bootstrap-icons.woff2": "bootstrap-icons/fonts/bootstrap-icons.woff2",
    "bootstrap-icons/font/fonts/bootstrap-icons.woff": "bootstrap-icons/fonts/bootstrap-icons.woff",
    "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
    "echarts/dist/echarts.min.js": "echarts/echarts.min.js",
}


def main() -> int:
    missing = [src for src in FILES if not (NODE / src).exists()]
    if missing:
        print("Missing npm files (run `npm ci`):", *missing, sep="\n  ", file=sys.stderr)
        return 1
    for src, dst in FILES.items():
        target = VENDOR / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(NODE / src, target)
    print(f"copied {len(FILES)} asset files into {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
