"""Where exercise progress is kept, and that recording it never raises (on the workshop
hub the package is a wheel inside root's Python: a learner's first passing check
raised PermissionError from the progress file).  Where the file is: coursekit/paths.py
(tests/unit/test_paths.py)."""
from coursekit import exercises as ex
from coursekit import paths
from coursekit.exercises import record


def test_a_checkout_keeps_progress_in_the_course_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSEKIT_PROGRESS", raising=False)
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    assert record._progress_file() == tmp_path / ".coursekit" / "progress.json"


def test_an_installed_package_keeps_progress_in_the_learners_home(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSEKIT_PROGRESS", raising=False)
    site = tmp_path / "site-packages"          # no notebooks/ beside the package: a wheel
    site.mkdir()
    monkeypatch.setattr(paths, "ROOT", site)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert record._progress_file() == tmp_path / "home" / ".coursekit" / "progress.json"
    assert record._record("hello-run") is None
    assert "hello-run" in record._progress_file().read_text()
    assert not (site / ".coursekit").exists()


def test_a_progress_file_that_cannot_be_written_is_a_note_not_a_traceback(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"      # a file where the folder should be: no one,
    blocker.write_text("")                   # root included, can write below it
    monkeypatch.setenv("COURSEKIT_PROGRESS", str(blocker / "progress.json"))
    note = record._record("hello-run")
    assert note and note.startswith("progress not saved (") and str(blocker) in note
    res = ex.Result("hello-run", [], "", note)
    assert repr(res).startswith("✅ hello-run: passed (progress not saved")


def _at(tmp_path, monkeypatch):
    f = tmp_path / "progress.json"
    monkeypatch.setenv("COURSEKIT_PROGRESS", str(f))
    return f


def test_failed_checks_are_counted_with_the_last_result_and_progress_is_unchanged(tmp_path, monkeypatch):
    """What the room view reads: per task the failed checks, the last result (problems
    and hint); the passed tasks stay the file's other keys, so ex.progress() is as before."""
    import json
    f = _at(tmp_path, monkeypatch)
    wrong = ex.Result("hello-run", ["the container printed 'x', not the kernel release"], "use uname -r")
    assert record._record("hello-run", wrong) is None
    assert record._record("hello-run", wrong) is None
    assert ex.progress()["01_hello_container"][0] == 0          # failed checks pass nothing
    entry = json.loads(f.read_text())["_checks"]["hello-run"]
    assert entry["failed"] == 2 and "passed" not in entry
    assert entry["last"]["ok"] is False and entry["last"]["hint"] == "use uname -r"
    assert entry["last"]["problems"] == ["the container printed 'x', not the kernel release"]
    assert record._record("hello-run", ex.Result("hello-run", [], "")) is None
    data = json.loads(f.read_text())
    assert set(data) == {"hello-run", "_checks"}                 # passed task ids, and the checks
    entry = data["_checks"]["hello-run"]
    assert entry["failed"] == 2 and entry["passed"].endswith("Z") and entry["last"]["ok"] is True
    assert ex.progress()["01_hello_container"][0] == 1


def test_a_pass_recorded_the_old_way_still_counts(tmp_path, monkeypatch):
    f = _at(tmp_path, monkeypatch)
    f.write_text('{"hello-run": "2026-01-01 10:00"}')            # a file from before "_checks"
    assert ex.progress()["01_hello_container"][0] == 1
    assert record._record("hello-run") is None
    assert '"2026-01-01 10:00"' in f.read_text()                 # the first pass is kept


def test_odd_progress_file_contents_never_make_check_raise(tmp_path, monkeypatch):
    f = _at(tmp_path, monkeypatch)
    for text in ("[1, 2]", '{"_checks": [1]}', '{"_checks": {"hello-run": "x"}}', "not json"):
        f.write_text(text)
        assert record._record("hello-run", ex.Result("hello-run", ["p"], "h")) is None
        assert record._record("hello-run") is None
    res = ex.check("no-such-task")                               # and check() itself
    assert not res.ok and "no task" in res.problems[0]


def test_a_failed_check_is_recorded_by_check_itself(tmp_path, monkeypatch):
    """check() notes a ❌ too (here: no engine at all), and its output is unchanged."""
    import json
    from coursekit.exercises import api
    f = _at(tmp_path, monkeypatch)

    def no_engine():
        raise ConnectionError("no engine")
    monkeypatch.setattr(api, "_client", no_engine)
    res = ex.check("hello-run")
    assert repr(res).startswith("❌ hello-run: not yet\n   - ConnectionError: no engine")
    entry = json.loads(f.read_text())["_checks"]["hello-run"]
    assert entry["failed"] == 1 and entry["last"]["problems"] == ["ConnectionError: no engine"]


def test_progress_of_one_lesson_and_a_lesson_that_does_not_exist(tmp_path, monkeypatch):
    """The exercise notebooks end with their own lesson's row: what it shows does not
    depend on which other lessons' exercises ran before (the VM runs only some)."""
    import pytest
    from coursekit.errors import InvalidValue
    f = _at(tmp_path, monkeypatch)
    f.write_text('{"hello-run": "2026-01-01 10:00", "run-port": "2026-01-01 10:05"}')
    every = ex.progress()
    assert len(every) == 15 and every["05_docker_run"][0] == 1
    for name in ("05_docker_run", "05"):
        one = ex.progress(name)
        assert list(one) == ["05_docker_run"] and one["05_docker_run"] == every["05_docker_run"]
        assert repr(one).startswith("05_docker_run ") and repr(one).count("\n") == 0
    with pytest.raises(InvalidValue) as err:
        ex.progress("99_nothing")
    assert "no lesson '99_nothing'" in str(err.value) and "05_docker_run" in str(err.value)
