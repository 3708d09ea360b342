"""Check a built site works opened from the file system: every local link names a file.

Run by ``nox -s docs`` after the build: ``python docs/check_site.py site``. A link to a folder
(``reference/client/``) would show a directory listing under ``file://``; a link to a missing
file would show nothing. Exits 1 naming the first few bad links. (404.html is left out: only a
web server shows it.)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

_HREF = re.compile(r'(?:href|src)="([^"#?]+)[^"]*"')


def bad_links(site: Path) -> list[str]:
    """Return ``page: link`` for every local link that does not name an existing file."""
    bad = []
    for page in sorted(site.rglob("*.html")):
        if page.name == "404.html":  # a web server's page: its links are absolute on purpose
            continue
        for link in _HREF.findall(page.read_text(encoding="utf-8")):
            if urlsplit(link).scheme or link.startswith(("//", "mailto:", "data:")):
                continue
            target = (page.parent / unquote(link)).resolve()
            if not target.is_file():
                bad.append(f"{page.relative_to(site)}: {link}")
    return bad


def main() -> int:
    """Check the site folder given (default ./site); return the exit status."""
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "site")
    bad = bad_links(site)
    for line in bad[:20]:
        print(f"not a file: {line}", file=sys.stderr)
    print(f"{site}: {'ok' if not bad else f'{len(bad)} links name no file'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
