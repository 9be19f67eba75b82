# make run  : create .venv, install, index the bundled report if the store is empty, serve on 127.0.0.1:7860
# make test : create .venv if needed, install, run the whole pytest suite
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SAMPLE := samples/bao-cao-binh-phuoc-6-thang-2024.txt
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install run test eval variants bench-retrieval clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# CPU build of torch first (a bare `torch` would pull gigabytes of CUDA)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m assistant serve --seed $(SAMPLE)

test: $(STAMP)
	$(PY) -m pytest -q

# Scores of docs/EVAL.md: the three sample reports in a store of their own.
eval: $(STAMP)
	ASSISTANT_DATA_DIR=data/eval $(PY) -m assistant ingest samples/*.txt
	ASSISTANT_DATA_DIR=data/eval $(PY) -m assistant eval eval/qa_all.jsonl
	ASSISTANT_DATA_DIR=data/eval $(PY) -m assistant eval eval/qa_heldout.jsonl

variants: $(STAMP)
	$(PY) scripts/eval_variants.py

bench-retrieval: $(STAMP)
	$(PY) scripts/bench_retrieval.py --chunks 2000

clean:
	rm -rf $(VENV) data .pytest_cache
