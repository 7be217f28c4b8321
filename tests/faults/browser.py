"""A small HTTP client that behaves like one person's browser on the live server: it
keeps its cookies, reads each form's fields (CSRF token and version included) from
the page it just loaded, and gives every request a time limit."""

from __future__ import annotations

import http.client
import time
import uuid
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from tests.factories import PASSWORD
from tests.helpers import forms_on

REQUEST_SECONDS = 20.0


@dataclass
class Response:
    path: str
    status: int
    headers: dict[str, str]
    text: str
    seconds: float

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Browser:
    """One person's browser. Redirects are not followed: tests look at them."""

    def __init__(self, base_url: str, timeout: float = REQUEST_SECONDS):
        parts = urlsplit(base_url)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Response:
        headers = {"Accept": "text/html", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.monotonic()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            text = raw.read().decode("utf-8", "replace")
            for header in raw.headers.get_all("Set-Cookie") or []:
                self._keep(header)
            response = Response(
                path,
                raw.status,
                {k.lower(): v for k, v in raw.getheaders()},
                text,
                time.monotonic() - started,
            )
        finally:
            connection.close()
        return response

    def _keep(self, header: str) -> None:
        for name, morsel in SimpleCookie(header).items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, path: str, **headers) -> Response:
        return self.request("GET", path, headers=headers)

    def post(
        self,
        path: str,
        fields: dict,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        **headers,
    ) -> Response:
        """POST fields (and files: name -> (filename, content, type)) as a form would."""
        if files:
            body, content_type = _multipart(fields, files)
        else:
            body, content_type = urlencode(fields).encode(), "application/x-www-form-urlencoded"
        return self.request(
            "POST", path, body=body, headers={"Content-Type": content_type, **headers}
        )

    def form(self, page: Response, action: str) -> dict:
        """The fields a browser would send with the POST form to `action` on `page`."""
        for form in forms_on(page.text):
            # An empty action posts back to the page's own address, as in a browser.
            if form["method"] == "post" and (form["action"].split("#")[0] or page.path) == action:
                return {k: v for k, v in form["fields"].items() if v is not None}
        raise AssertionError(
            f"no POST form to {action} on the page ({page.status}): {page.text[:300]}"
        )

    def submit(self, page_path: str, action: str | None = None, files=None, **changes) -> Response:
        """Open the page, fill in its form (posting to `action`, the page itself by
        default) with `changes`, and send it."""
        page = self.get(page_path)
        assert page.status == 200, (page_path, page.status, page.text[:300])
        return self.post(
            action or page_path, {**self.form(page, action or page_path), **changes}, files=files
        )

    def sign_in(self, email: str, password: str) -> Browser:
        response = self.submit("/auth/login", email=email, password=password)
        assert response.status == 302, (response.status, response.text[:500])
        return self


def signed_in(base_url: str, email: str, password: str = PASSWORD) -> Browser:
    """A browser of its own, signed in through the real form."""
    return Browser(base_url).sign_in(email, password)


def _multipart(fields: dict, files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, (filename, content, content_type) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
