"""Drive a workshop hub the way a learner's browser does: log in with a learner card,
start the server, and run a lesson's code cells in a real kernel over its websocket.

Used by the workshop's end-to-end test, its load benchmark and ``doctor --room``.
"""
from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field

import requests
import websocket

from ..errors import HubError


@dataclass
class CellRun:
    index: int
    source: str
    status: str                      # "ok" | "error" | "timeout"
    output: str = ""
    error: str = ""
    seconds: float = 0.0


@dataclass
class Learner:
    base_url: str                    # e.g. http://127.0.0.1:8000
    name: str
    password: str
    http: requests.Session = field(default_factory=requests.Session)
    token: str = ""

    def _xsrf_headers(self) -> dict:
        return {"X-XSRFToken": self.http.cookies.get("_xsrf", "")}

    def login(self) -> None:
        page = self.http.get(f"{self.base_url}/hub/login", timeout=30)
        m = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        r = self.http.post(f"{self.base_url}/hub/login", timeout=60, allow_redirects=False,
                           data={"username": self.name, "password": self.password,
                                 "_xsrf": m.group(1) if m else ""})
        if r.status_code != 302:
            raise HubError(f"login as {self.name} refused (HTTP {r.status_code})")

    def api(self, method: str, path: str, **kw) -> requests.Response:
        headers = {"Authorization": f"token {self.token}"} if self.token else self._xsrf_headers()
        return self.http.request(method, f"{self.base_url}/hub/api{path}", headers=headers,
                                 timeout=60, **kw)

    def start_server(self, timeout: float = 180) -> float:
        """Ask for the server and wait until the hub reports it ready; returns seconds."""
        t0 = time.monotonic()
        r = self.api("POST", f"/users/{self.name}/server")
        if r.status_code not in (201, 202, 400):   # 400: already running
            raise HubError(f"{self.name}: starting the server failed: {r.status_code} {r.text[:300]}")
        while time.monotonic() - t0 < timeout:
            info = self.api("GET", f"/users/{self.name}").json()
            srv = info.get("servers", {}).get("", {})
            if srv.get("ready"):
                return time.monotonic() - t0
            if not srv and not info.get("pending") and time.monotonic() - t0 > 5:
                raise HubError(f"{self.name}: the server stopped while starting")
            time.sleep(0.3)
        raise HubError(f"{self.name}: the server was not ready after {timeout:.0f} s")

    def make_token(self) -> str:
        r = self.api("POST", f"/users/{self.name}/tokens", json={"note": "coursekit test"})
        r.raise_for_status()
        self.token = r.json()["token"]
        return self.token

    # --- the learner's own notebook server -------------------------------------------
    def server(self, method: str, path: str, **kw) -> requests.Response:
        r = self.http.request(method, f"{self.base_url}/user/{self.name}/api{path}", timeout=60,
                              headers={"Authorization": f"token {self.token}"}, **kw)
        r.raise_for_status()
        return r

    def notebook(self, path: str) -> dict:
        return self.server("GET", f"/contents/{path}").json()["content"]

    def kernel(self, notebook_path: str) -> "Kernel":
        sess = self.server("POST", "/sessions", json={
            "path": notebook_path, "type": "notebook", "name": notebook_path.split("/")[-1],
            "kernel": {"name": "python3"}}).json()
        ws_url = (self.base_url.replace("http", "ws", 1)
                  + f"/user/{self.name}/api/kernels/{sess['kernel']['id']}/channels")
        return Kernel(self, sess["id"], ws_url)


class Kernel:
    def __init__(self, learner: Learner, session_id: str, ws_url: str):
        self.learner, self.session_id = learner, session_id
        self.ws = websocket.create_connection(
            ws_url, header=[f"Authorization: token {learner.token}"], timeout=120)
        self.sid = uuid.uuid4().hex

    def execute(self, code: str, timeout: float = 120, index: int = 0) -> CellRun:
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": self.learner.name, "session": self.sid,
                       "msg_type": "execute_request", "version": "5.3",
                       "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
        run = CellRun(index, code, "timeout")
        t0 = time.monotonic()
        replied = idle = False
        while not (replied and idle):
            if time.monotonic() - t0 > timeout:
                return run
            self.ws.settimeout(max(1.0, timeout - (time.monotonic() - t0)))
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["header"]["msg_type"], msg["content"]
            if kind == "stream":
                run.output += content["text"]
            elif kind in ("execute_result", "display_data"):
                run.output += content["data"].get("text/plain", "") + "\n"
            elif kind == "error":
                run.error = f"{content['ename']}: {content['evalue']}"
            elif kind == "execute_reply":
                replied, run.status = True, content["status"]
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        run.seconds = time.monotonic() - t0
        return run

    def run_notebook(self, nb: dict, timeout: float = 120) -> list[CellRun]:
        runs = []
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code":
                continue
            src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            run = self.execute(src, timeout, index=i)
            runs.append(run)
            if run.status != "ok":
                break
        return runs

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.learner.server("DELETE", f"/sessions/{self.session_id}")
