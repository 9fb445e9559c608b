"""mkdocs hooks: three pages of the site live outside docs/, where GitHub readers expect them.

README.md is the site's home page, ARCHITECTURE.md its architecture page and bench/RESULTS.md its
benchmark page. Their links, and links to them from docs/, are written relative to where the files
are in the repository (so they work on GitHub); here they are rewritten to where the pages are in
the site. A link to a repository file that is not a page stays as it is, and `mkdocs build --strict`
then fails on it.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File

OUTSIDE = {"README.md": "index.md", "ARCHITECTURE.md": "architecture.md", "bench/RESULTS.md": "results.md"}
DOCS = "docs/"

# [text](target) and ![alt](target), and reference definitions "[name]: target"
_INLINE = re.compile(r"(\]\()([^)\s]+)(\))")
_REFERENCE = re.compile(r"^(\s*\[[^\]]+\]:\s*)(\S+)(.*)$", re.MULTILINE)


def on_files(files, config):
    root = Path(config.config_file_path).parent
    for repo_path, site_path in OUTSIDE.items():
        files.append(File.generated(config, site_path, abs_src_path=str(root / repo_path)))
    return files


def on_page_markdown(markdown, page, config, files):
    site_path = page.file.src_uri
    repo_path = next((repo for repo, site in OUTSIDE.items() if site == site_path), DOCS + site_path)

    def rewrite(match: re.Match) -> str:
        return match.group(1) + site_link(match.group(2), repo_path, site_path) + match.group(3)

    return _REFERENCE.sub(rewrite, _INLINE.sub(rewrite, markdown))


def site_link(target: str, repo_path: str, site_path: str) -> str:
    """`target`, written relative to `repo_path` in the repository, relative to `site_path` in the site."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "/")):
        return target  # a URL, an anchor on the same page, or an absolute path
    path, hash_, anchor = target.partition("#")
    in_repo = posixpath.normpath(posixpath.join(posixpath.dirname(repo_path), path))
    if in_repo in OUTSIDE:
        in_site = OUTSIDE[in_repo]
    elif in_repo.startswith(DOCS):
        in_site = in_repo[len(DOCS):]
    else:
        return target  # not part of the site: strict mode reports it
    relative = posixpath.relpath(in_site, posixpath.dirname(site_path) or ".")
    return relative + hash_ + anchor
