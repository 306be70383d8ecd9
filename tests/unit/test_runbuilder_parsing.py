import pytest

from coursekit.widgets import parse_publish, parse_volume


@pytest.mark.parametrize("text,expected", [
    ("8080:80", ("80/tcp", ("127.0.0.1", 8080))),
    ("0.0.0.0:9000:80", ("80/tcp", ("0.0.0.0", 9000))),
    ("", None),
])
def test_publish_host_first(text, expected):
    assert parse_publish(text) == expected


@pytest.mark.parametrize("text", ["80", "web:80", "8080:80:90:1", "70000:80"])
def test_publish_bad_input_says_how(text):
    with pytest.raises(ValueError, match="HOST:CONTAINER|1 to 65535"):
        parse_publish(text)


def test_volume_forms():
    assert parse_volume("data:/data") == ("data", {"bind": "/data", "mode": "rw"})
    assert parse_volume("/tmp/x:/x:ro") == ("/tmp/x", {"bind": "/x", "mode": "ro"})
    assert parse_volume("") is None
    for bad in ("data", "data:relative", "a:/b:rx"):
        with pytest.raises(ValueError):
            parse_volume(bad)
