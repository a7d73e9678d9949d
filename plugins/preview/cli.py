"""`invoke serve`: the writer's preview. Prints for humans, returns an exit code."""

from __future__ import annotations

import sys
from pathlib import Path


def serve(root: Path, conf: Path, *, port: int = 8000, bind: str = "127.0.0.1", **options) -> int:
    """Build, serve on http://bind:port/, rebuild on every save, reload the page; 0 on Ctrl-C."""
    # Imported here: `invoke fetch` and `invoke check` load this module's
    # task file, and should not pay for Pelican's writer and watchfiles.
    from pelican.log import init as init_logging

    from .errors import PreviewError
    from .serve import Preview

    init_logging(name="pelican")
    conf = Path(conf) if Path(conf).is_absolute() else Path(root) / conf
    try:
        preview = Preview(conf, bind=bind, port=int(port))
    except PreviewError as error:
        print(error, file=sys.stderr)
        return 1
    print(
        f"Serving the site at {preview.url} ; it rebuilds when you save, and open pages reload "
        "themselves. Ctrl-C stops.",
        flush=True,
    )
    try:
        preview.start()
        preview.run()
    except KeyboardInterrupt:
        return 0
    except PreviewError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        preview.stop()
    return 0
