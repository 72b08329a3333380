"""python scripts/wait_until_up.py URL [SECONDS]: wait until URL answers (any HTTP status).

`make run` starts the web server, the job worker and the scheduler in the background and prints
the demo logins only once the server answers, so they are the last thing on the console."""

import sys
import time
import urllib.error
import urllib.request


def main(url: str, seconds: float = 120.0) -> int:
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 120.0))
