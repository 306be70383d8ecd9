"""One renderer for every check the course shows (issue #17): the start page's
``CheckResult`` and the exercises' ``Result`` both draw through ``checks.Verdict``."""
from coursekit.checks import CheckResult, Verdict
from coursekit.exercises import Result


def test_both_kinds_render_through_the_one_renderer():
    for cls in (CheckResult, Result):
        assert issubclass(cls, Verdict)
        assert "__repr__" not in vars(cls) and "_repr_html_" not in vars(cls), cls


def test_failed_check_shows_problems_then_the_next_step():
    r = Result("hello-run", ["no container named x", "exit code 1, expected 0"], "try `docker ps -a`")
    assert repr(r).splitlines() == ["❌ hello-run: not yet", "   - no container named x",
                                    "   - exit code 1, expected 0", "   hint: try `docker ps -a`"]
    h = r._repr_html_()
    assert "<li>no container named x</li>" in h and "<b>Hint:</b> try `docker ps -a`" in h
    c = CheckResult("free disk", False, "≈ 1.0 GiB free", "free 2 GiB")
    assert repr(c) == "❌ free disk: ≈ 1.0 GiB free\n   fix: free 2 GiB"
    assert "<b>Fix:</b> free 2 GiB" in c._repr_html_()


def test_passed_check_hides_the_next_step_and_keeps_its_note():
    assert repr(Result("hello-run", hint="h", note="progress not saved")) == \
        "✅ hello-run: passed (progress not saved)"
    c = CheckResult("engine", True, "26.1.5 answers", "start it")
    assert repr(c) == "✅ engine: 26.1.5 answers" and "Fix" not in c._repr_html_()


def test_html_escapes_what_the_engine_said():
    h = Result("t", ["<script>"], "a & b")._repr_html_()
    assert "<script>" not in h and "&lt;script&gt;" in h and "a &amp; b" in h
