"""scikit-learn's TfidfVectorizer (defaults) over the documents of a file, one per line: prints
the vocabulary size and the fit_transform time of each repetition (reading the file excluded)."""
import json
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer

path, repetitions = sys.argv[1], int(sys.argv[2])
with open(path, encoding="utf-8") as f:
    documents = f.read().split("\n")
times = []
vocabulary = 0
for _ in range(repetitions):
    started = time.perf_counter()
    matrix = TfidfVectorizer().fit_transform(documents)
    times.append((time.perf_counter() - started) * 1000)
    vocabulary = matrix.shape[1]
print(json.dumps({"vocabulary": vocabulary, "ms": times, "nnz": int(matrix.nnz)}))
