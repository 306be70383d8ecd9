"""The instructor's side of the course: nothing here is imported by a lesson.

One module per job, imports one way (each only from the ones above it, and from the
flat, learner-facing ``coursekit`` modules):

- ``wheels``     the course's Python packages as wheel files (for the image and the pack)
- ``settings``   what a workshop is set to (WORKSHOP_*), its names, labels and sizes
- ``cards``      learner cards: passwords, their hashes, the printable sheet
- ``boundary``   the trust boundary the host's engine gives (userns-remap, cgroup v2)
- ``learners``   each learner's network, disk, volumes, privileges and limits
- ``image``      the learner image, built offline (files in ``workshop/learner-image/``)
- ``hub``        start / status / stop the workshop's JupyterHub, reset a learner
- ``warm``       a warm room: learners' servers started before they arrive, kept from the culler
- ``hubauth``    the hub's login by card (loaded by ``workshop/jupyterhub_config.py``)
- ``hubclient``  a learner's browser, scripted (the workshop test, the load bench)
- ``roomview``   the instructor's room view: a hub service (progress, stuck learners, reset)
- ``pack``       ``pack`` / ``load``: one archive to install a room without network
- ``reset``      one learner's objects and progress on their own machine
- ``slides``     reveal.js slides from the lessons, openable offline
"""
