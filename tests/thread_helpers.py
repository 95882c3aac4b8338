"""Running one piece of work in several Python threads at once, for the thread-safety tests.

What it is: ``in_threads(work, n)`` calls ``work(t)`` for t = 0 .. n-1 in n threads started together and
returns the results in order; an exception in any thread fails the caller. What it is not: a thread pool."""

from __future__ import annotations

import threading


def in_threads(work, n_threads: int) -> list:
    results, errors = [None] * n_threads, []

    def run(t):
        try:
            results[t] = work(t)
        except Exception as error:  # reported below: a thread's exception must fail the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results
