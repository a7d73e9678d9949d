"""The chapter site plugin: content validation, people and working groups,
scheduled publishing and feed styling."""


def register():
    pass
