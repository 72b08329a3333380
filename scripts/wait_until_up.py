"""`make run`'s start-up helper.

    python scripts/wait_until_up.py --free HOST PORT   # fail, saying so, when the port is taken
    python scripts/wait_until_up.py URL [SECONDS]      # wait until URL answers (any HTTP status)

`make run` starts the web server, the job worker and the scheduler in the background and prints
the demo logins only once the server answers, so they are the last thing on the console."""

import socket
import sys
import time
import urllib.error
import urllib.request


def port_is_free(host: str, port: int) -> bool:
    target = "127.0.0.1" if host in ("", "0.0.0.0", "::", "[::]") else host.strip("[]")
    with socket.socket(socket.AF_INET6 if ":" in target else socket.AF_INET) as sock:
        sock.settimeout(1)
        return sock.connect_ex((target, port)) != 0


def wait(url: str, seconds: float = 120.0) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return 0
        except urllib.error.HTTPError:  # the server answered, with a redirect or an error page
            return 0
        except OSError:
            time.sleep(0.5)
    print(f"The server did not answer at {url} within {seconds:.0f} s.", file=sys.stderr)
    return 1


def main(argv: list[str]) -> int:
    if argv[:1] == ["--free"]:
        host, port = argv[1], int(argv[2])
        if port_is_free(host, port):
            return 0
        print(f"Port {port} on {host} is already in use (another PowerKAM?). "
              f"Stop it, or choose another port: make run PORT={port + 1}", file=sys.stderr)
        return 1
    return wait(argv[0], float(argv[1]) if len(argv) > 1 else 120.0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
