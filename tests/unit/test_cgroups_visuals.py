import pytest

from coursekit import cgroups
from coursekit.visuals import cgroup_tree, ns_table, parse_ns_listing


@pytest.mark.parametrize("text,expected", [
    ("50331648\n", 50331648),
    ("9223372036854771712\n", None),   # v1 "unlimited" memory
    ("max\n", None),                    # v2 "unlimited"
    ("-1\n", None),                     # v1 unlimited CPU quota
    ("max 100000\n", None),
    ("", None),
])
def test_parse_limit(text, expected):
    assert cgroups.parse_limit(text) == expected


def test_cpu_limit_both_versions():
    v1 = {cgroups.FILES["v1"]["cpu.quota"]: "50000", cgroups.FILES["v1"]["cpu.period"]: "100000"}
    v2 = {cgroups.FILES["v2"]["cpu.max"]: "25000 100000"}
    assert cgroups.cpu_limit("v1", v1.__getitem__) == 0.5
    assert cgroups.cpu_limit("v2", v2.__getitem__) == 0.25
    assert cgroups.cpu_limit("v2", {cgroups.FILES["v2"]["cpu.max"]: "max 100000"}.__getitem__) is None


def test_both_versions_name_the_same_limits():
    assert set(cgroups.FILES["v1"]) - {"cpu.quota", "cpu.period"} == \
        set(cgroups.FILES["v2"]) - {"cpu.max"}


def test_fmt_bytes():
    assert cgroups.fmt_bytes(50331648) == "48.0 MiB"
    assert cgroups.fmt_bytes(None) == "no limit"


def test_ns_listing_and_table_letters():
    listing = "pid pid:[11]\nnet net:[22]\nuser user:[33]\nbogus line\n"
    assert parse_ns_listing(listing) == {"pid": "11", "net": "22", "user": "33"}
    t = ns_table({"host": {"pid": "1", "net": "2"}, "a": {"pid": "5", "net": "2"},
                  "b": {"pid": "6"}}, namespaces=("pid", "net"))
    assert repr(t).splitlines() == ["host | pid=A net=A",
                                    "a | pid=B net=A",      # own pid ns, host's net ns
                                    "b | pid=C net=-"]
    assert "title='net:[2]'" in t._repr_html_()


def test_cgroup_tree_text():
    t = cgroup_tree([("abc (x)", {"memory.max": "1"}), ("def (y)", {"memory.max": "2"})], "/root")
    assert repr(t) == ("/root\n├── abc (x)\n│   └── memory.max = 1\n"
                       "└── def (y)\n    └── memory.max = 2")
