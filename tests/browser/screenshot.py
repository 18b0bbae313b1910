"""Take screenshots of the running app for review and the README.

    python -m tests.browser.screenshot URL OUT.png [--width 1400] [--height 1000]
"""

import argparse

from tests.browser.harness import chromium, open_page


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("out")
    p.add_argument("--width", type=int, default=1400)
    p.add_argument("--height", type=int, default=1000)
    args = p.parse_args()
    with chromium({"width": args.width, "height": args.height}) as page:
        open_page(page, args.url)
        page.screenshot(path=args.out, full_page=True)


if __name__ == "__main__":
    main()
