#!/usr/bin/env python3
"""Runs the README's "Walk-through with curl" as written, against a fresh server.

    python3 scripts/readme-walkthrough.py [--bin target/debug/phoneguard] [--readme README.md]
    python3 scripts/readme-walkthrough.py --self-test     # the comparison logic only

It starts `phoneguard serve` in a temp dir on a free loopback port, reads the
admin token and the `pk_test_` key it prints, and runs the ```sh blocks of the
section in order, each command in one bash shell that lives for the whole run
(so variables set by one command are seen by the next, as in a terminal).
In commands, `http://127.0.0.1:8080`, `pk_test_…` and `adm_…` become the real
address, key and token. `curl` is wrapped to also report the HTTP status (on
standard error, so pipes and `$(…)` see the body only).

A command's answer is checked against the `# …` comment lines right after it
(and a comment trailing it): the status when the comment starts with one
(`# 201 {…}`), a problem `code` written as a bare snake_case word after it
(`# 422 invalid_number`), and every `"key":value` shown with a literal value
(no `…` in it) must occur somewhere in the JSON answer. A command that exits
non-zero fails the run (like `bash -e`).

Markers (an HTML comment on a line before a fenced block):
  <!-- walkthrough: skip -->         the block is not run
  <!-- walkthrough: file NAME -->    the block's text is saved as NAME in the work dir
  <!-- walkthrough: restart -->      after the block, the server is restarted with
                                     the shell's PHONEGUARD_* variables
Not supported in commands: here-documents.
"""

import argparse
import json
import os
import queue
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SECTION = "## Walk-through with curl"
ELLIPSIS = "\u2026"


# ---------------------------------------------------------------- parsing


def scan_line(line, in_single, in_double):
    """Returns (code, comment, in_single, in_double) for one line of shell."""
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if in_single:
            if c == "'":
                in_single = False
        elif c == "\\":
            i += 1
        elif in_double:
            if c == '"':
                in_double = False
        elif c == "'":
            in_single = True
        elif c == '"':
            in_double = True
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip(), line[i + 1 :].strip(), False, False
        i += 1
    return line.rstrip(), None, in_single, in_double


def split_commands(lines, first_lineno):
    """Splits a block's lines into commands: dicts with line, text, comments."""
    commands, cur, attach = [], None, False
    in_single = in_double = False
    for k, line in enumerate(lines):
        lineno = first_lineno + k
        if cur is None:
            stripped = line.strip()
            if not stripped:
                attach = False
                continue
            if stripped.startswith("#"):
                if attach and commands:
                    commands[-1]["comments"].append(stripped[1:].strip())
                continue
            cur = {"line": lineno, "lines": [], "comments": []}
        code, comment, in_single, in_double = scan_line(line, in_single, in_double)
        cur["lines"].append(line)
        if comment is not None:
            cur["comments"].append(comment)
        if in_single or in_double or code.endswith(("\\", "|", "&&")):
            continue
        cur["text"] = "\n".join(cur["lines"])
        commands.append(cur)
        cur, attach = None, True
    if cur is not None:
        raise ValueError(f"README line {cur['line']}: command never ends (open quote?)")
    return commands


def walkthrough_blocks(readme_lines):
    """Yields (kind, lineno, lines, arg) for each fenced block of the section."""
    start = next(i for i, l in enumerate(readme_lines) if l.strip() == SECTION)
    marker, i = None, start + 1
    while i < len(readme_lines):
        line = readme_lines[i]
        if line.startswith("## "):
            return
        m = re.match(r"\s*<!--\s*walkthrough:\s*(\w+)\s*(\S*)[^>]*-->", line)
        if m:
            marker = (m.group(1), m.group(2))
        elif line.startswith("```"):
            lang = line[3:].strip()
            j = i + 1
            while not readme_lines[j].startswith("```"):
                j += 1
            body = readme_lines[i + 1 : j]
            kind, arg = marker or ("run" if lang == "sh" else "show", "")
            if kind == "run" and lang != "sh":
                kind = "show"
            yield kind, i + 2, body, arg
            marker, i = None, j
        i += 1


def expectation(comments):
    """What a command's comments promise: (status or None, [(key, value)])."""
    text = "\n".join(comments)
    status, pairs = None, []
    for line in comments:
        m = re.match(r"\s*([1-5]\d\d)(?=$|[\s{,])", line)
        if m:
            status = int(m.group(1))
            w = re.match(r"\s*([a-z]+(?:_[a-z]+)+)\b", line[m.end() :])
            if w:
                pairs.append(("code", w.group(1)))
            break
    decoder = json.JSONDecoder()
    for m in re.finditer(r'"([A-Za-z0-9_.\-]+)"\s*:\s*', text):
        try:
            value, end = decoder.raw_decode(text, m.end())
        except ValueError:
            continue
        if isinstance(value, dict) or ELLIPSIS in text[m.end() : end]:
            continue
        pairs.append((m.group(1), value))
    return status, pairs


def json_values(body):
    """The JSON values of an answer: the whole body, else each line that is JSON."""
    try:
        return [json.loads(body)]
    except ValueError:
        pass
    out = []
    for line in body.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def all_pairs(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from all_pairs(v)
    elif isinstance(value, list):
        for v in value:
            yield from all_pairs(v)


def same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return a == b


def mismatches(status, body, want_status, want_pairs):
    """Why an answer differs from the expectation ([] when it does not)."""
    problems = []
    if want_status is not None and status != want_status:
        problems.append(f"status {status}, expected {want_status}")
    if want_pairs:
        got = [p for v in json_values(body) for p in all_pairs(v)]
        for k, v in want_pairs:
            if not any(gk == k and same(gv, v) for gk, gv in got):
                problems.append(f'"{k}":{json.dumps(v, ensure_ascii=False)} not in the answer')
    return problems


def self_test():
    cmds = split_commands(
        [
            "curl -s $PG/x -d '{",
            '  "a": 1}'  "'" "   # 201 {\"a\":1,",
            '# "b":"c…","d":true}',
            "",
            "# loose note",
            'X=$(echo "#not a comment" \\',
            "  | tr a b)",
        ],
        10,
    )
    assert [c["line"] for c in cmds] == [10, 15], cmds
    assert cmds[0]["comments"] == ['201 {"a":1,', '"b":"c…","d":true}'], cmds
    assert cmds[1]["comments"] == [], cmds
    st, pairs = expectation(cmds[0]["comments"])
    assert st == 201 and pairs == [("a", 1), ("d", True)], (st, pairs)
    assert expectation(['422 invalid_number, "reason":"too_short"']) == (
        422,
        [("code", "invalid_number"), ("reason", "too_short")],
    )
    assert expectation(["(18 is below level 1's threshold)"]) == (None, [])
    assert expectation(["a trailing note", "204"]) == (204, [])
    assert expectation(['"risk_types":[1],"attempts":[{"x":1},…]']) == (
        None,
        [("risk_types", [1]), ("x", 1)],
    )
    body = '{"a":1.0,"n":{"d":true,"risk_types":[1]}}'
    assert mismatches(201, body, 201, [("a", 1), ("d", True), ("risk_types", [1])]) == []
    assert mismatches(200, body, 201, [("d", False)]) == [
        "status 200, expected 201",
        '"d":false not in the answer',
    ]
    assert mismatches(200, "not json", None, [("a", 1)]) == ['"a":1 not in the answer']
    print("readme-walkthrough: self-test passed")


# ---------------------------------------------------------------- running


class Server:
    def __init__(self, binary, workdir):
        self.binary, self.workdir = binary, workdir
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc, self.log = None, os.path.join(workdir, "server.log")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PHONEGUARD_")}

    def start(self, extra_env=None):
        env = dict(self.env, **(extra_env or {}))
        start = os.path.getsize(self.log) if os.path.exists(self.log) else 0
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}"],
                cwd=self.workdir, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            )
        deadline = time.time() + 60
        while time.time() < deadline:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                f.seek(start)
                text = f.read()
            if "listening on" in text:
                return text
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise SystemExit(f"readme-walkthrough: the server did not start:\n{open(self.log).read()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)


class Shell:
    def __init__(self, workdir, path_dir):
        self.nonce = secrets.token_hex(6)
        env = dict(os.environ, PATH=f"{path_dir}:{os.environ['PATH']}")
        env = {k: v for k, v in env.items() if not k.startswith("PHONEGUARD_")}
        self.proc = subprocess.Popen(
            ["bash", "--norc", "--noprofile"], cwd=workdir, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        # The HTTP status of each curl goes to a file of its own: written to
        # the shell's output it interleaved with the body under load (tee).
        self.status_file = os.path.join(workdir, f".pgwt_status_{self.nonce}")
        open(self.status_file, "w").close()
        self.run(
            "curl() { command curl -w '%{stderr}__PGWT_STATUS %{http_code}\\n' \"$@\" "
            f"2>>'{self.status_file}'; }}"
        )

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, text, timeout=120):
        """Runs a command; returns (exit status, HTTP status of its last curl, output)."""
        done = f"__PGWT_DONE_{self.nonce}"
        self.proc.stdin.write(f"{{\n{text}\n}} </dev/null\nprintf '\\n{done} %s\\n' \"$?\"\n")
        self.proc.stdin.flush()
        out, deadline = [], time.time() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.time()))
            except queue.Empty:
                raise SystemExit(f"readme-walkthrough: no answer within {timeout}s to:\n{text}")
            if line is None:
                raise SystemExit(f"readme-walkthrough: the shell exited during:\n{text}")
            if line.startswith(done):
                rc = int(line.split()[1])
                break
            out.append(line)
        body = "".join(out).strip()
        with open(self.status_file, "r+") as f:
            codes = re.findall(r"__PGWT_STATUS (\d{3})", f.read())
            f.seek(0)
            f.truncate()
        return rc, (int(codes[-1]) if codes else None), body

    def phoneguard_env(self):
        _, _, out = self.run("env | grep '^PHONEGUARD_' || true")
        return dict(l.split("=", 1) for l in out.splitlines() if "=" in l)


def fail(cmd, why, status, body):
    print(f"\nreadme-walkthrough: FAILED at README line {cmd['line']}", file=sys.stderr)
    print(f"command:\n  {cmd['text']}", file=sys.stderr)
    print("expected (README):\n  # " + "\n  # ".join(cmd["comments"] or ["exit status 0"]),
          file=sys.stderr)
    print(f"actual: HTTP status {status}\n  {body[:3000]}", file=sys.stderr)
    print(f"why: {'; '.join(why)}", file=sys.stderr)
    sys.exit(1)


def walk(readme, binary):
    workdir = tempfile.mkdtemp(prefix="pg-walkthrough-")
    server = Server(binary, workdir)
    shell = None
    try:
        first = server.start()
        admin = re.search(r"\b(adm_\S+)", first)
        key = re.search(r"\b(pk_test_\S+)", first)
        if not (admin and key):
            raise SystemExit(f"readme-walkthrough: no admin token or key printed:\n{first}")
        subst = {"http://127.0.0.1:8080": server.url, "pk_test_" + ELLIPSIS: key.group(1),
                 "adm_" + ELLIPSIS: admin.group(1)}
        shell = Shell(workdir, os.path.dirname(os.path.abspath(binary)))
        lines = open(readme, encoding="utf-8").read().splitlines()
        ran = 0
        for kind, lineno, body, arg in walkthrough_blocks(lines):
            if kind == "file":
                with open(os.path.join(workdir, arg), "w", encoding="utf-8") as f:
                    f.write("\n".join(body) + "\n")
            if kind not in ("run", "restart"):
                continue
            for cmd in split_commands(body, lineno):
                text = cmd["text"]
                for k, v in subst.items():
                    text = text.replace(k, v)
                rc, status, out = shell.run(text)
                want_status, want_pairs = expectation(cmd["comments"])
                why = [f"exit status {rc}"] if rc else []
                why += mismatches(status, out, want_status, want_pairs)
                if why:
                    fail(cmd, why, status, out)
                ran += 1
            if kind == "restart":
                server.stop()
                server.start(shell.phoneguard_env())
        return ran
    finally:
        if shell:
            shell.proc.kill()
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(target, "debug", "phoneguard"))
    ap.add_argument("--readme", default=os.path.join(root, "README.md"))
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    self_test()
    if args.self_test:
        return
    t = time.time()
    n = walk(args.readme, os.path.abspath(args.bin))
    print(f"readme-walkthrough: {n} commands of the README answered as shown ({time.time() - t:.1f}s)")


if __name__ == "__main__":
    main()
