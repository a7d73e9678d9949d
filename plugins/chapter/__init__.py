"""The chapter site plugin: people and working groups, content validation,
scheduled publishing and feed styling. Each stage module connects its own
Pelican signals in its `register()`."""

from . import context, feeds, groups, safety, schedule, validate


def register():
    for stage in (validate, schedule, context, groups, feeds, safety):
        stage.register()
