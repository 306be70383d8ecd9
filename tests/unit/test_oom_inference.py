"""cgroups.oom_killed's reasoning, on recorded engine answers (a fake client: pure logic;
tests/integration/test_exercises.py and test_memory_lab.py run it on the real engine)."""
from coursekit.cgroups import oom_event, oom_killed

STARTED, NOW = "2026-11-29T04:00:00.5Z", "2026-11-29T04:00:09.25Z"


class Stream(list):
    def close(self):
        self.closed = True


class FakeClient:
    def __init__(self, actions):
        self.actions, self.asked = actions, []

    def info(self):
        return {"SystemTime": NOW}

    def events(self, **kw):
        self.asked.append(kw)
        return Stream({"Action": a} for a in self.actions)


class Box:
    id = "c0ffee"

    def __init__(self, code=137, oom_flag=False, started=STARTED):
        self.attrs = {"State": {"ExitCode": code, "OOMKilled": oom_flag, "StartedAt": started}}


def test_the_engines_flag_is_believed_when_true():
    client = FakeClient([])
    assert oom_killed(client, Box(oom_flag=True)) is True and client.asked == []


def test_an_oom_event_counts_when_the_flag_stayed_false():
    assert oom_killed(FakeClient(["create", "start", "oom", "die"]), Box()) is True
    assert oom_event(FakeClient(["start", "oom", "die"]), Box()) is True


def test_a_signal_the_engine_sent_is_not_an_oom_kill():
    assert oom_killed(FakeClient(["start", "kill", "die"]), Box()) is False       # docker kill / stop
    assert oom_event(FakeClient(["start", "kill", "die"]), Box()) is False


def test_sigkill_the_engine_did_not_send_is_the_kernels():
    assert oom_killed(FakeClient(["start", "exec_start: sh -c true", "die"]), Box()) is True


def test_unknown_when_the_start_has_left_the_engines_256_events():
    assert oom_killed(FakeClient(["exec_die", "die"]), Box()) is None


def test_other_exits_and_never_started_containers_need_no_events():
    client = FakeClient(["start", "oom"])
    assert oom_killed(client, Box(code=0)) is False
    assert oom_killed(client, Box(started="0001-01-01T00:00:00Z")) is False
    assert client.asked == []


def test_the_window_is_the_containers_start_to_the_engines_clock_now():
    client = FakeClient(["start", "die"])
    oom_killed(client, Box())
    (kw,) = client.asked
    assert kw["since"] == 1795924800 and kw["until"] == 1795924809 + 1
    assert kw["filters"] == {"container": "c0ffee"}
