"""Sphinx extension for the course's book: a site that works offline, with a clean
browser console.

* Serves the widget manager's fonts from the vendored copy (see ``_widget_cdn``).
* Removes sphinx-thebe's page scripts.  The course does not use Thebe (live cells
  run in the learner's own JupyterLab), and Jupyter Book 1 registers them twice,
  which throws "Identifier 'THEBE_JS_URL' has already been declared" on every
  page and points at unpkg.com.
"""


def _drop_thebe(app, env=None, docnames=None):
    listeners = app.events.listeners.get("env-before-read-docs", [])
    app.events.listeners["env-before-read-docs"] = [
        lst for lst in listeners if getattr(lst.handler, "__name__", "") != "init_thebe_core"]


def _widget_cdn(app, pagename, templatename, context, doctree):
    """Point the widget manager at the vendored copy, relative to this page.

    @jupyter-widgets/html-manager loads its icon fonts relative to its RequireJS
    module addresses (``@jupyter-widgets/...``): by default those resolve against
    the page's own folder (404s), or, for unknown modules, against jsdelivr.net
    (not offline).  Both now point at ``_static/vendor/``."""
    files = context.get("script_files") or []
    prefix = "../" * pagename.count("/") + "_static/vendor/"
    out = []
    for js in files:
        name = getattr(js, "filename", None) or ""
        if name.endswith("embed-amd.js"):
            attrs = dict(getattr(js, "attributes", {}) or {})
            attrs["data-jupyter-widgets-cdn"] = prefix
            js = type(js)(name, priority=getattr(js, "priority", 500), **attrs)
        out.append(js)
        if name.endswith("vendor/require.js"):
            # The widget modules compute their asset path from their RequireJS module
            # address: resolve those against the vendored folder, not the page's.
            out.append(type(js)(None, priority=getattr(js, "priority", 500),
                                body=f'require.config({{baseUrl: "{prefix}"}});'))
    context["script_files"] = out


def hub_urlpath(pagename: str) -> str | None:
    """Where a page's notebook is in a workshop learner's home (the learner image copies
    ``notebooks/`` and ``exercises/`` there, without the solutions): a solution page
    opens its exercise notebook; pages without a notebook, nothing."""
    if pagename.startswith("exercises/solutions/"):
        return "lab/tree/exercises/" + pagename.rsplit("/", 1)[1] + ".ipynb"
    if pagename.startswith(("notebooks/", "exercises/")):
        return f"lab/tree/{pagename}.ipynb"
    return None


def _hub_launch(app, pagename, templatename, context, doctree):
    """The JupyterHub launch button opens the page's notebook on the workshop hub.

    Jupyter Book's button is an nbgitpuller link (``/hub/user-redirect/git-pull?repo=...``):
    the workshop hub has no nbgitpuller and its learners' servers no internet to clone
    from, so it answered 404. The notebooks are already in each learner's home, so
    the button becomes ``/hub/user-redirect/<path in the home>``."""
    hub = (app.config.html_theme_options.get("launch_buttons") or {}).get("jupyterhub_url", "")
    for group in context.get("header_buttons") or []:
        if group.get("label") != "launch-buttons":
            continue
        keep = []
        for b in group.get("buttons", []):
            if "/hub/user-redirect/git-pull?" in (b.get("url") or ""):
                path = hub_urlpath(pagename)
                if path is None:
                    continue
                b = dict(b, url=f"{hub.rstrip('/')}/hub/user-redirect/{path}",
                         tooltip="Open this notebook on the workshop's JupyterHub")
            keep.append(b)
        group["buttons"] = keep


def setup(app):
    app.connect("html-page-context", _widget_cdn)
    app.connect("html-page-context", _hub_launch, priority=600)   # after the theme's (501)
    # Runs after every extension's setup(), so sphinx_thebe's handlers are registered.
    app.connect("builder-inited", _drop_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
