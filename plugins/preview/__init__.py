"""The writer's preview (`invoke serve`): watch → rebuild → serve.

- `watch`:   one file watcher for the whole session, so no save is missed;
- `rebuild`: builds the site's context (cached reading) and records what a
             full build would write, without writing it;
- `serve`:   loopback HTTP server that renders a page when it is asked for,
             injects the reload script into HTML, shows build errors;
- `cli`:     `serve(root, conf, port=, bind=)`, the command itself.

Not a Pelican plugin (no `register()`): it drives Pelican from outside.
"""
