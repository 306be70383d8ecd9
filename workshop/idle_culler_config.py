# The idle culler's configuration (its service command in jupyterhub_config.py passes
# --config=this file): a warm server (`coursekit workshop start --warm N`) is not culled
# before its learner has logged in; every other server by the usual idle timeout.
from coursekit.instructor.warm import cull_arbiter

c = get_config()  # noqa: F821 (provided by traitlets)
c.IdleCuller.cull_arbiter_hook = cull_arbiter
