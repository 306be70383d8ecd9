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
