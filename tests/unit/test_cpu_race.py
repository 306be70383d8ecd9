"""cgroups.got_their_cpu: when a CPU race measures the limits, and when a busy machine."""
from coursekit.cgroups import got_their_cpu

Q = [{"nano_cpus": 500_000_000}, {"nano_cpus": 250_000_000}]
PINNED = [{"cpuset_cpus": "0", "cpu_shares": 1024}, {"cpuset_cpus": "0", "cpu_shares": 512}]


def test_quota_racers_must_each_get_most_of_their_quota():
    assert got_their_cpu(Q, [1_000_000, 500_000], 2)
    assert got_their_cpu(Q, [820_000, 410_000], 2)
    assert not got_their_cpu(Q, [1_000_000, 300_000], 2)     # the small one was starved
    assert not got_their_cpu(Q, [700_000, 500_000], 2)


def test_pinned_racers_need_enough_of_their_cpu_to_compare():
    assert got_their_cpu(PINNED, [2_000_000, 1_000_000], 3)
    assert got_their_cpu(PINNED, [1_000_000, 500_000], 3)      # others had half of CPU 0: fine
    assert not got_their_cpu(PINNED, [400_000, 200_000], 3)    # a fifth of it: too few rounds
