"""`invoke check` and `invoke new` (stub: replaced by its owner)."""


def check(root, conf):
    raise NotImplementedError


def new(root, kind, title):
    raise NotImplementedError
