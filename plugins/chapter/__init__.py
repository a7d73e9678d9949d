"""The chapter site plugin: people and working groups, content validation,
scheduled publishing, the publication's identity (brand) and feed styling. Each stage module connects its own
Pelican signals in its `register()`."""


def register():
    # Imported here, not above: the digest's fetch imports chapter.processes
    # and must not pay for Pelican's import (plugins/digest/fetch.py).
    from . import brand, context, feeds, groups, reading, safety, schedule, typography, urls, validate

    for stage in (validate, reading, brand, schedule, context, groups, feeds, safety, typography, urls):
        stage.register()
