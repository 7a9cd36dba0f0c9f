"""The version page on an install without scikit-learn (a serving install): the stored
evaluations need it, so the page answers 501 naming the extra, not a 500."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from modelyard.demo import CANCER, Demo
from test_extras import _without

PAGE = f"/ui/models/{CANCER}/versions/1"
MESSAGE = 'showing evaluations needs scikit-learn: pip install "modelyard[train]"'

_CLIENT = """
import json, sys
from starlette.testclient import TestClient
from modelyard.registry import Registry
from modelyard.ui.standalone import build_app

url, artifacts, page = sys.argv[1:]
answer = TestClient(build_app(Registry(url, artifacts, create=False))).get(page)
print(json.dumps({"status": answer.status_code, "body": answer.text}))
"""


def test_a_version_page_without_scikit_learn_names_the_extra(ui_demo: Demo, tmp_path: Path) -> None:
    done = _without(
        tmp_path, ("sklearn",), sys.executable, "-c", _CLIENT,
        ui_demo.registry_url, ui_demo.artifacts, PAGE,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.splitlines()[-1])
    assert answer["status"] == 501
    assert (
        f'<p class="error" id="missing">{MESSAGE.replace(chr(34), "&#34;")}</p>' in answer["body"]
    )
