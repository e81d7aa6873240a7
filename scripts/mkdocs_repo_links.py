"""MkDocs hook: links from a docs page to a repository file outside docs/ (`../../functions/...`).

The pages link to the code relatively, so they work where they are read on GitHub. MkDocs only
knows the files under docs/ and would refuse such a link in a strict build; this hook checks
that the file exists in the repository (a missing one is a warning, which fails the strict
build) and points the link at the file on the repository's site (`repo_url`). Links inside
docs/ are left to MkDocs' own validation (`validation:` in mkdocs.yml), anchors included.
"""

import logging
import os
import posixpath
from urllib.parse import urlsplit, urlunsplit

from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

log = logging.getLogger("mkdocs.hooks.repo_links")

_state = {"page": None, "config": None}


def _rewrite(href):
    """The link's new address, or None to leave it to MkDocs."""
    page, config = _state["page"], _state["config"]
    scheme, netloc, path, query, fragment = urlsplit(href)
    if scheme or netloc or not path or path.startswith("/") or page is None:
        return None
    docs_dir = config["docs_dir"]
    root = os.path.dirname(config["config_file_path"])
    docs_rel = os.path.relpath(docs_dir, root)
    target = posixpath.normpath(
        posixpath.join(docs_rel, posixpath.dirname(page.file.src_uri), path)
    )
    if target == docs_rel or target.startswith(docs_rel + "/"):
        return None  # inside docs/: MkDocs validates it
    if target.startswith("../"):
        log.warning("%s: the link %r leaves the repository", page.file.src_uri, href)
        return None
    full = os.path.join(root, target)
    if not os.path.exists(full):
        log.warning("%s: the link %r names %s, which is not in the repository",
                    page.file.src_uri, href, target)
        return None
    kind = "tree" if os.path.isdir(full) else "blob"
    base = config["repo_url"].rstrip("/")
    return urlunsplit(("", "", f"{base}/{kind}/main/{target}", query, fragment))


class _RepoLinks(Treeprocessor):
    def run(self, root):
        for element in root.iter("a"):
            href = element.get("href")
            if href:
                new = _rewrite(href)
                if new is not None:
                    element.set("href", new)
        return root


class _RepoLinksExtension(Extension):
    def extendMarkdown(self, md):
        # Before MkDocs' own relative-link processing (priority 0), after inline parsing.
        md.treeprocessors.register(_RepoLinks(md), "repo_links", priority=1)


def on_config(config):
    """Registers the link rewriter for every page."""
    _state["config"] = config
    config["markdown_extensions"].append(_RepoLinksExtension())
    return config


def on_page_markdown(markdown, page, config, files):
    """Remembers which page is being rendered (pages render one at a time)."""
    _state["page"] = page
    return markdown
