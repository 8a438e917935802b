"""devstack/proxy.py: the compose template rendered for a local nginx."""

from __future__ import annotations

import re

import pytest

from devstack import proxy


def test_every_placeholder_needs_a_value() -> None:
    with pytest.raises(KeyError, match="INLET_API_UPSTREAM"):
        proxy.render({"INLET_LISTEN": "127.0.0.1:1"})


def test_the_rendered_config_keeps_nginx_variables_and_fills_every_placeholder() -> None:
    names = set(re.findall(r"\$\{(INLET_[A-Z_]+)\}", proxy.TEMPLATE.read_text()))
    text = proxy.render(dict.fromkeys(names, "VALUE"))
    assert not re.search(r"\$\{INLET_[A-Z_]+\}", text)
    # nginx's own variables are left for nginx, as the image's filtered envsubst does.
    assert "$inlet_image" in text
    assert "${inlet_up}" in text


def test_the_store_is_addressed_as_the_api_signs_for_it() -> None:
    assert proxy.store_values("https://s3.eu-west-1.amazonaws.com") == {
        "INLET_STORE_SCHEME": "https",
        "INLET_STORE_HOST": "s3.eu-west-1.amazonaws.com",
        "INLET_STORE_NAME": "s3.eu-west-1.amazonaws.com",
    }
    assert proxy.store_values("http://127.0.0.1:9000")["INLET_STORE_HOST"] == "127.0.0.1:9000"
