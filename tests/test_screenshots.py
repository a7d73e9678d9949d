"""`invoke screenshots` on the sample site: a full build into a temporary
folder, served on 127.0.0.1, shot by Debian's headless Chromium; every page
kind at 390 and 1280 px, light and dark, as real PNGs of the right width."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from chapter.screenshots import KINDS, SCHEMES, SCREENS, screenshots, shot_name

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent


def brightness(image: Image.Image) -> float:
    return ImageStat.Stat(image.convert("L")).mean[0]


def test_every_page_kind_is_shot_at_both_widths_in_light_and_dark(tmp_path, capsys):
    out = tmp_path / "shots"
    code = screenshots(ROOT, ROOT / "pelicanconf.py", out=out)
    printed = capsys.readouterr()
    assert code == 0, printed.out + printed.err
    assert "32 screenshots of 8 pages" in printed.out
    assert str(out) in printed.out  # says where they went

    expected = {shot_name(kind, width, scheme) for kind in KINDS for width in SCREENS for scheme in SCHEMES}
    assert len(expected) == 32
    assert {p.name for p in out.iterdir()} == expected
    for kind in KINDS:
        for width, height in SCREENS.items():
            shots = {}
            for scheme in SCHEMES:
                path = out / shot_name(kind, width, scheme)
                with Image.open(path) as image:
                    image.verify()  # a whole, uncorrupted PNG
                image = Image.open(path)
                assert image.format == "PNG", path.name
                assert image.width == width, f"{path.name} is {image.width} px wide"
                assert image.height >= height, f"{path.name}: {image.height} px, less than one screen"
                shots[scheme] = image.convert("RGB")
            light, dark = shots["light"], shots["dark"]
            label = f"{kind} at {width} px"
            if light.size == dark.size:
                assert ImageChops.difference(light, dark).getbbox() is not None, f"{label}: dark is light"
            assert brightness(dark) < brightness(light), f"{label}: the dark shot is not darker"


def test_screenshots_are_never_written_into_the_published_output(tmp_path, capsys):
    inside = ROOT / "output" / "screenshots-test"
    code = screenshots(ROOT, ROOT / "pelicanconf.py", out=inside)
    assert code == 2
    assert "inside the site's output folder" in capsys.readouterr().err
    assert not inside.exists()


def test_the_default_folder_is_ignored_by_git():
    done = subprocess.run(["git", "check-ignore", "-q", "screenshots/home-390-dark.png"], cwd=ROOT)
    assert done.returncode == 0, "add /screenshots/ to .gitignore"
