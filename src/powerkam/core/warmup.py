"""Warm a server process up before its first request (issue #11: "recording a payment took 5.2 s
in the browser"). A fresh gunicorn worker imports every view module (the URLconf, DRF,
drf-spectacular), reads the translation catalogues and compiles each template on the first
request that needs them: 3–4 s on this machine under load, paid by whichever user comes first
to each page of each worker. `warm_up()` does that work once at boot (wsgi.py), before the
worker accepts connections; no database access."""

from __future__ import annotations

import logging
import time
from pathlib import Path

logger = logging.getLogger(__name__)


def _template_names(engine) -> list[str]:
    from django.template.utils import get_app_template_dirs

    dirs = [Path(d) for d in engine.dirs] + [Path(d) for d in get_app_template_dirs("templates")]
    names = set()
    for root in dirs:
        if root.is_dir():
            names.update(str(p.relative_to(root)) for p in root.rglob("*.html"))
    return sorted(names)


def warm_up() -> dict:
    """Import the URLconf (every view), load both languages and compile every template (the
    cached template loader keeps them for the life of the process). Returns what it did."""
    from django.conf import settings
    from django.template import TemplateSyntaxError, engines
    from django.urls import get_resolver
    from django.utils import translation

    started = time.perf_counter()
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports every view module
    resolver.reverse_dict  # noqa: B018 - builds the reverse() tables
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Customers")
    compiled = 0
    for engine in engines.all():
        if not hasattr(engine, "engine"):  # not the Django template language
            continue
        for name in _template_names(engine.engine):
            try:
                engine.get_template(name)
                compiled += 1
            except (TemplateSyntaxError, LookupError, ImportError, ValueError):
                pass  # a template that only compiles in its own context (e.g. an admin override)
            except Exception:  # noqa: BLE001 - warming up must never stop a server from starting
                logger.debug("warm-up could not compile %s", name, exc_info=True)
    seconds = time.perf_counter() - started
    logger.info("warmed up in %.1f s (%s templates)", seconds, compiled)
    return {"templates": compiled, "seconds": round(seconds, 2)}
