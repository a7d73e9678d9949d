"""Issue 9: publishing never half-builds.

The build renders into a fresh folder beside output/ and swaps it in only
when Pelican succeeded (plugins/chapter/publish.py). These tests make real
builds fail after a good one, in the ways a writer or a server meets: an
invalid post, a write that fails part-way (a file-size limit stands in for a
full disk; it stops root too), and an output folder that cannot be created.
"""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import subprocess
import sys

from test_site_support import PYTHON, REPO, built_files, make_site, post

RUN = (
    "import sys; from pathlib import Path; sys.path.insert(0, {plugins!r}); "
    "from chapter.publish import build_site; "
    "sys.exit(build_site(Path(sys.argv[1]), Path(sys.argv[1]) / 'siteconf.py'))"
).format(plugins=str(REPO / "plugins"))


def publish(site, preexec=None):
    """`invoke publish` as a user runs it: a process of its own; CompletedProcess with .output."""
    env = dict(os.environ, COLUMNS="400", NO_COLOR="1", TERM="dumb")
    env.pop("SITEURL", None)
    result = subprocess.run(
        [PYTHON, "-c", RUN, str(site)], cwd=site, env=env, capture_output=True, text=True,
        timeout=180, preexec_fn=preexec,
    )
    result.output = result.stdout + result.stderr
    return result


def snapshot(folder):
    """Every file under folder with a hash of its bytes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def good_site(tmp_path):
    return make_site(
        tmp_path / "site",
        {
            "posts/first.md": post("First light on Alder Street", body="The tenants met.\n\nThey voted."),
            "posts/second.md": post("Second meeting", date="2025-03-20 10:00", author="Tomasz Wren"),
        },
        base="publishconf",  # DELETE_OUTPUT_DIRECTORY = True, as `invoke publish`
    )


def leftovers(site):
    return sorted(p.name for p in site.iterdir() if p.name.startswith(".output."))


def test_failed_publish_leaves_last_good_output_whole(tmp_path):
    site = good_site(tmp_path)
    first = publish(site)
    assert first.returncode == 0, first.output
    output = site / "output"
    before = snapshot(output)
    assert "posts/first-light-on-alder-street/index.html" in before
    assert "feeds/all.atom.xml" in before

    # A post the validator refuses: the build stops before writing anything.
    (site / "content" / "posts" / "broken.md").write_text(post("Broken", author="Nobody Known"), encoding="utf-8")
    second = publish(site)
    assert second.returncode == 1
    assert "content/posts/broken.md:3:" in second.output
    assert "output was left as it was" in second.output
    assert "Traceback" not in second.output
    assert snapshot(output) == before
    assert leftovers(site) == []


def _limit_file_size():
    # Any write past 64 KB fails with EFBIG, as a full disk fails with ENOSPC.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_write_failing_mid_build_keeps_output_and_names_the_file(tmp_path):
    site = good_site(tmp_path)
    assert publish(site).returncode == 0
    output = site / "output"
    before = snapshot(output)

    long_body = "\n\n".join(f"Paragraph {n}: " + "the rent strike holds. " * 20 for n in range(400))
    (site / "content" / "posts" / "long.md").write_text(post("A very long report", body=long_body), encoding="utf-8")
    result = publish(site, preexec=_limit_file_size)
    assert result.returncode == 1, result.output
    assert "File too large" in result.output
    assert "(while writing output/" in result.output  # where the writer will look, not the temporary folder
    assert "output was left as it was" in result.output
    assert "Traceback" not in result.output
    assert snapshot(output) == before
    assert leftovers(site) == []

    # Without the limit the same content publishes, and the new post is there.
    assert publish(site).returncode == 0
    assert "posts/a-very-long-report/index.html" in built_files(output)


def test_output_folder_that_cannot_be_made_is_named(tmp_path):
    # A file where the output's parent folder must go stops root as well as anyone.
    site = good_site(tmp_path)
    (site / "blocker").write_text("not a folder", encoding="utf-8")
    with open(site / "siteconf.py", "a", encoding="utf-8") as handle:
        handle.write('OUTPUT_PATH = "blocker/output"\n')
    result = publish(site)
    assert result.returncode == 1
    assert "blocker" in result.output and "Nothing was changed" in result.output
    assert "Traceback" not in result.output


def test_output_retention_survives_the_swap(tmp_path):
    site = good_site(tmp_path)
    with open(site / "siteconf.py", "a", encoding="utf-8") as handle:
        handle.write('OUTPUT_RETENTION = [".git"]\n')
    assert publish(site).returncode == 0
    keep = site / "output" / ".git" / "HEAD"
    keep.parent.mkdir()
    keep.write_text("ref: refs/heads/pages\n", encoding="utf-8")
    (site / "output" / "stale.html").write_text("old", encoding="utf-8")
    assert publish(site).returncode == 0
    assert keep.read_text(encoding="utf-8") == "ref: refs/heads/pages\n"
    assert not (site / "output" / "stale.html").exists()  # a publish starts clean


def test_invoke_publish_uses_the_atomic_build():
    # tasks.py's _pelican is the one way `invoke build` and `invoke publish` run Pelican.
    source = (REPO / "tasks.py").read_text(encoding="utf-8")
    helper = source.split("def _pelican", 1)[1].split("\n@task", 1)[0]
    assert "publish.build_site(" in helper
    assert "-m pelican" not in helper
