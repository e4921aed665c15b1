"""The cyclic garbage collector paused for a chunk of a batch (a re-evaluation chunk, an
ingested batch of events).

A chunk allocates a great many short-lived containers (facts, features, counterfactual walks,
rows, rendered notices); each allocation counts toward the collector's next pass, and every
tenth second-generation pass scans the whole heap. In the 5,000-line full re-score that was
6-10 full collections of ~0.4 s each, a quarter of the pass, none of which found much: the
chunk's objects are freed by reference counting when it ends. Paused for the chunk, the
collector runs as usual after it (what a chunk leaves in cycles waits for that).
"""

import contextlib
import gc


@contextlib.contextmanager
def collector_paused():
    """No cyclic collection inside; the collector's state as it was after (a caller that had
    paused it already keeps it paused)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
