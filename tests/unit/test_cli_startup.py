"""What a running command does not load: httpx's own command line (rich, pygments) and
pydantic's plugin scan; and a cached session token is read without PyJWT (cryptography)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

from crateq.core.accounts import jwt_is_fresh


def test_a_command_imports_httpx_without_its_command_line_or_pydantic_plugins() -> None:
    probe = (
        "import os, sys\n"
        "os.environ.pop('PYDANTIC_DISABLE_PLUGINS', None)\n"
        "from crateq.launch import skip_unused_imports\n"
        "skip_unused_imports()\n"
        "skip_unused_imports()  # twice: one finder\n"
        "import httpx, pydantic\n"
        "import crateq.core.accounts\n"
        "print(callable(httpx.main), os.environ['PYDANTIC_DISABLE_PLUGINS'],\n"
        "      sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'pygments', 'jwt',\n"
        "      'cryptography') or m == 'httpx._main'),\n"
        "      sum(type(f).__name__ == '_Unused' for f in sys.meta_path))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "__all__", "[]", "1"]


def _token(header: object, claims: object) -> str:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part(header)}.{part(claims)}.c2lnbmF0dXJl"


def test_token_freshness_reads_exp_and_leaves_opaque_tokens_to_the_pool() -> None:
    assert jwt_is_fresh(_token({"alg": "HS256"}, {"exp": 4_102_444_800}))  # 2100
    assert not jwt_is_fresh(_token({"alg": "HS256"}, {"exp": 946_684_800}))  # 2000
    assert jwt_is_fresh(_token({"alg": "HS256"}, {"sub": "1"}))  # no exp
    assert jwt_is_fresh("opaque-session-token")
    assert jwt_is_fresh("a.b.c")  # not base64 JSON: the pool judges it
    assert jwt_is_fresh(_token({"alg": "HS256"}, [1, 2]))  # claims that are no object
    assert not jwt_is_fresh("") and not jwt_is_fresh(None)
