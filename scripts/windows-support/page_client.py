#!/usr/bin/env python3
"""Drives `tsuchi serve` over HTTP as the page does, without a browser: spends the opening
token for the session cookie, reads the anti-CSRF token off a page, optionally uploads a
request list, starts the batch from the 発行 page, follows its progress to the end, and presses
「終了」. Used by scripts/windows (tsuchi.exe under Wine) and by scripts/bench-page.

    page_client.py URL [--upload LIST] [--expect TEXT]... [--quit]

Prints one line per step and, at the end, `issued <seconds>` (from the press of 発行する to the
page saying the batch is done). Standard library only."""
import argparse
import http.client
import json
import re
import sys
import time
import urllib.parse
import uuid


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--upload")
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--no-run", action="store_true")
    ap.add_argument("--quit", action="store_true")
    args = ap.parse_args()
    u = urllib.parse.urlsplit(args.url)
    origin = f"{u.scheme}://{u.netloc}"
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)

    def request(method, path, body=None, headers=None):
        h = {"Host": u.netloc}
        if cookie:
            h["Cookie"] = cookie
        h.update(headers or {})
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()

    cookie = None
    status, headers, _ = request("GET", f"{u.path}?{u.query}")
    if status not in (302, 303) or "set-cookie" not in headers:
        sys.exit(f"the opening token gave {status}, no session")
    cookie = headers["set-cookie"].split(";")[0]
    print("session: ok")

    status, _, page = request("GET", "/issue")
    page = page.decode("utf-8")
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    if status != 200 or not m:
        sys.exit(f"/issue gave {status} without the anti-CSRF token")
    csrf = m.group(1)

    if args.upload:
        boundary = uuid.uuid4().hex
        name = args.upload.replace("\\", "/").rsplit("/", 1)[-1]
        data = open(args.upload, "rb").read()
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"requests\"; filename=\"{name}\"\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        status, headers, _ = request("POST", f"/issue/check?csrf={urllib.parse.quote(csrf)}", body,
                                     {"Content-Type": f"multipart/form-data; boundary={boundary}", "Origin": origin,
                                      "X-CSRF-Token": csrf})
        if status not in (302, 303):
            sys.exit(f"the upload gave {status}")
        status, _, page = request("GET", "/issue")
        page = page.decode("utf-8")
        print("checked: ok")
    for text in args.expect:
        if text not in page:
            sys.exit(f"the 発行 page does not say {text!r}")
        print(f"page says: {text}")

    if not args.no_run:
        started = time.monotonic()
        status, headers, _ = request("POST", "/issue/run", f"csrf={urllib.parse.quote(csrf)}",
                                     {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin})
        if status not in (302, 303):
            sys.exit(f"発行する gave {status}")
        while True:
            status, _, body = request("GET", "/issue/progress.json")
            state = json.loads(body)
            if state.get("finished"):
                break
            time.sleep(0.2)
        seconds = time.monotonic() - started
        status, _, page = request("GET", "/issue/done")
        page = page.decode("utf-8")
        batch = re.search(r"\d{8}-\d{6}", page)
        if status != 200 or not batch:
            text = re.sub(r"<[^>]+>", " ", page)
            sys.exit(f"/issue/done gave {status} without a batch: {' '.join(text.split())[:600]}")
        print(f"batch: {batch.group(0)}")
        print(f"issued {seconds:.2f}")

    if args.quit:
        status, _, _ = request("POST", "/quit", f"csrf={urllib.parse.quote(csrf)}",
                               {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin})
        print(f"quit: {status}")


if __name__ == "__main__":
    main()
