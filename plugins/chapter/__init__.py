"""The chapter site plugin: people and working groups, content validation,
scheduled publishing, the publication's identity (brand) and feed styling. Each stage module connects its own
Pelican signals in its `register()`."""

from . import brand, context, feeds, groups, safety, schedule, typography, validate


def register():
    for stage in (validate, brand, schedule, context, groups, feeds, safety, typography):
        stage.register()
