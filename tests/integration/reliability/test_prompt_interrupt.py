"""Ctrl-C at a question ends the process at once, however the signal lands against the read.

The race this guards against: a SIGINT between the question being flushed and the blocking read
starting was only noticed after the next line of input, so the process hung. Each run sends one
SIGINT the moment the question appears (the narrowest window), many times over.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

QUESTION = "Delete 3 versions (1 kB)?"
# "ready" on stdout just before the question: the test waits for it, then lets a random moment
# pass (0 to 1 ms covers writing the question, flushing it and entering the read) before Ctrl-C.
DRIVER = f"""
import sys
from builder import prompt
try:
    sys.stdout.write("ready\\n")
    sys.stdout.flush()
    prompt.confirm({QUESTION!r})
except KeyboardInterrupt:
    raise SystemExit(42)
raise SystemExit(0)
"""
RUNS = 40
EXIT_WITHIN = 5.0  # seconds after a SIGINT; a hang waits for input forever


def interrupt_at_question(delay: float) -> tuple[int, int]:
    """Start the driver, send SIGINT `delay` seconds after it says ready; resend every
    EXIT_WITHIN seconds until the process ends. Returns (exit code, SIGINTs it took)."""
    process = subprocess.Popen(
        [sys.executable, "-c", DRIVER],
        stdin=subprocess.PIPE,  # stays open and silent: only a signal can end the question
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.read(6) == b"ready\n"
        until = time.perf_counter() + delay
        while time.perf_counter() < until:  # busy: sleep() is far coarser than the window
            pass
        sent = 0
        while True:
            process.send_signal(signal.SIGINT)
            sent += 1
            try:
                return process.wait(timeout=EXIT_WITHIN), sent
            except subprocess.TimeoutExpired:
                assert sent < 5, "the question ignores SIGINT"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


@pytest.mark.skipif(os.name != "posix", reason="signals to a child process: POSIX only")
def test_one_ctrl_c_ends_the_question_every_time():
    delays = random.Random(7).choices([0.0, *(i / 20_000 for i in range(20))], k=RUNS)
    results = [interrupt_at_question(delay) for delay in delays]
    assert all(code == 42 for code, _ in results), results
    assert [sent for _, sent in results] == [1] * RUNS, "a Ctrl-C was ignored until another came"


def test_an_answer_and_end_of_input_are_read():
    driver = "from builder import prompt; print(prompt.confirm('Go?'))"
    for given, expected in ((b"y\n", "True"), (b"yes\n", "True"), (b"n\n", "False"), (b"", "None")):
        done = subprocess.run(
            [sys.executable, "-c", driver], input=given, capture_output=True, timeout=30, check=True
        )
        assert done.stdout.decode().strip() == expected and done.stderr == b"Go? [y/N]: "
