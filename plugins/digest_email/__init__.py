"""The email edition of each digest issue."""


def register():
    pass
