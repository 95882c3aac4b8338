"""Run by test_evaluator_shared.py in a child process (a crash must fail one test, not end the run):
N threads each book a Reader of one weight file and evaluate events with it at once. Not a test module."""

import sys
import threading

from tmva_hashednet import TMVA

weights, n_threads = sys.argv[1], int(sys.argv[2])
names = ["var1", "var2", "var3", "var4"]
results = [None] * n_threads


def work(t):
    reader = TMVA.Reader("!Color:Silent")
    for name in names:
        reader.AddVariable(name)
    reader.BookMVA("HashedDNN", weights)
    results[t] = [reader.EvaluateMVA([0.1 * e, -0.2, 0.3, 0.05 * e], "HashedDNN") for e in range(20)]


threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
assert all(r == results[0] for r in results), "threads disagree"
print("equal", len(results))
