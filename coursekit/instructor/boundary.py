"""The trust boundary: what stands between a learner and the host, read from the engine."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Boundary:
    """What stands between a learner and the host, read from the engine."""
    isolated: bool
    reasons: list[str]

    def __str__(self) -> str:
        if self.isolated:
            return ("isolated: learner containers run in a user namespace (userns-remap) on "
                    "cgroup v2; their root is an unprivileged uid on this host")
        return "trusted room only: " + "; ".join(self.reasons)


def remaps_users(info: dict) -> bool:
    """The engine (``client.info()``) runs containers in a user namespace (userns-remap)."""
    return "name=userns" in " ".join(info.get("SecurityOptions") or [])


def boundary(client) -> Boundary:
    """Isolated when the engine remaps users (``userns-remap``) and the host has cgroup v2
    (the learner's engine gets delegated child cgroups, not its own limits)."""
    info = client.info()
    opts = " ".join(info.get("SecurityOptions") or [])
    reasons = []
    if not remaps_users(info):
        reasons.append("the engine has no userns-remap, so a learner's root is this host's "
                       "root and SYS_ADMIN in their engine reaches the host's disks")
    if str(info.get("CgroupVersion", "1")) != "2":
        reasons.append("cgroup v1: the learner's engine needs write access to its own "
                       "cgroup files to set limits, so it can lift its own limits")
    if "name=rootless" in opts:
        reasons.append("a rootless engine cannot run the learners' inner engines")
    return Boundary(not reasons, reasons)
