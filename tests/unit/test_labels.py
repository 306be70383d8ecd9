
import pytest

import coursekit.labelling as L


@pytest.fixture
def fresh(monkeypatch):
    def make(env=None):
        if env is None:
            monkeypatch.delenv(L.SESSION_ENV, raising=False)
        else:
            monkeypatch.setenv(L.SESSION_ENV, env)
        monkeypatch.setattr(L, "_session", None)
        return L
    return make


def test_session_from_env_is_used_everywhere(fresh):
    mod = fresh("worker-7")
    assert mod.session() == "worker-7"
    assert mod.labels() == {"coursekit.course": "linux-containers", "coursekit.session": "worker-7"}
    assert mod.name("web") == "ck-worker-7-web"
    assert mod.label_filter() == "coursekit.session=worker-7"
    assert mod.label_filter(all_sessions=True) == "coursekit.course=linux-containers"


def test_random_sessions_differ_and_are_stable(fresh):
    a = fresh().session()
    assert a == L.session()  # stable within a process
    b = fresh().session()
    assert a != b and len(a) == 6


def test_invalid_session_env_is_refused_with_the_rule(fresh):
    with pytest.raises(ValueError, match="lowercase letters"):
        fresh("Bad Session!").session()


def test_names_are_valid_docker_names(fresh):
    mod = fresh("s1")
    assert mod.name("my web/server") == "ck-s1-my-web-server"
    assert mod.name("///") == "ck-s1-x"


def test_extra_labels_and_cli_form(fresh):
    mod = fresh("s2")
    assert mod.labels(role="registry")["coursekit.role"] == "registry"
    assert mod.cli_labels() == ("--label coursekit.course=linux-containers "
                                "--label coursekit.session=s2")


def test_lab_image_label_is_not_a_cleanup_label():
    # Containers inherit image labels: the lab images must not carry the labels
    # cleanup filters on, or the learner's own containers would match.
    assert L.LAB_IMAGE_LABEL not in (L.COURSE_LABEL, L.SESSION_LABEL)
