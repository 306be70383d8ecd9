"""scripts/test.sh runs the notebooks in parts on the emulated host (the cgroups lesson
alone, then two halves at once): together they must cover every lesson once, and the
exercise solutions whose checks look at the engine's host."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What a check that looks at the engine's host, not only its API, uses: the host's
# cgroup files, /proc, its PID namespace, overlay directories, capabilities, security
# options, or its network (a published port or a registry reached at the engine's address).
HOST_MARKS = re.compile(r"engine_address|_params_port|read_on_host|locate_on_host|cgroups\.|/proc/"
                        r"|pid_mode|UpperDir|CapEff|security_opt|mem_limit|oom")


def parts():
    script = (ROOT / "scripts" / "test.sh").read_text()
    return [re.search(rf'^{h}="([^"]*)"', script, re.M).group(1).split()
            for h in ("ALONE", "HALF_A", "HALF_B")]


def test_the_two_halves_cover_every_lesson_once():
    paths = [p for part in parts() for p in part]
    assert len(paths) == len(set(paths))
    lessons = {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert {p for p in paths if p.startswith("notebooks/")} == lessons
    assert all(p.startswith(("notebooks/", "exercises/solutions/")) for p in paths)


def test_the_vm_runs_every_solution_whose_checks_look_at_the_engines_host():
    on_vm = {Path(p).name[:2] for part in parts() for p in part if p.startswith("exercises/solutions/")}
    modules = sorted((ROOT / "coursekit" / "exercises" / "lessons").glob("l[0-9][0-9]_*.py"))
    host_bound = {m.name[1:3] for m in modules if HOST_MARKS.search(m.read_text())}
    assert host_bound <= on_vm, f"solutions to run on the VM too: {sorted(host_bound - on_vm)}"
    assert on_vm <= {m.name[1:3] for m in modules}
    for n in on_vm:
        assert any((ROOT / "exercises" / "solutions").glob(f"{n}_*.ipynb")), n
