"""Wiring: settings -> components (embeddings, store, retriever, answerer) -> services.

One place builds everything; the CLI, the Gradio app and the tests get an
`AssistantService` and never construct components themselves. Tests inject their own
embeddings or Chroma client through the constructor.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from langchain_core.embeddings import Embeddings

from assistant.chain import Answerer, build_chain
from assistant.extractive import EMPTY_INDEX, NOT_FOUND, AnswerPolicy, ExtractiveAnswerer
from assistant.followthrough import UNKNOWN, FollowThrough, deadline_end
from assistant.followup import standalone_question
from assistant.generative import LLMAnswerer
from assistant.llm import make_chat_model
from assistant.models import Answer, Turn
from assistant.settings import Settings
from assistant.staff import StaffTokens
from ingest.archive import zip_members
from ingest.extract import commitments, figures
from ingest.loaders import InputError, LoadedText, load_bytes, load_path, load_text
from ingest.vntext import fold
from ingest.pipeline import PreparedReport, prepare_report, validate_doc_id
from vectorstore.audit import AuditEntry, ChromaAuditLog
from vectorstore.document_index import DocumentIndex, DocumentRecord, IngestResult, Progress, make_chroma_client
from vectorstore.embeddings import embedding_namespace, make_embeddings
from assistant.retrieval import HybridRetriever
from assistant.series import series_points, with_series
from assistant.policy import RANKER, LearnedPolicy, LinearModel
from assistant.question import QuestionAnalyzer
from assistant.report_scope import ReportFilter
from assistant.synonyms import Thesaurus

log = logging.getLogger(__name__)

NO_MATCHING_REPORT = "Không có báo cáo nào khớp với bộ lọc đã chọn (địa phương, loại văn bản, năm)."


@dataclass
class FileOutcome:
    """What became of one file of a staff batch (or one report of a re-index)."""
    name: str
    status: str                # indexed | replaced | unchanged | deleted | error
    doc_id: str = ""
    title: str = ""
    message: str = ""          # the error a user reads
    sections: int = 0
    chunks: int = 0

    def public(self) -> dict:
        return asdict(self)


def lexical_cache(settings: Settings, namespace: str) -> Path:
    """Where this process keeps its lexical index between runs: one file per store (the
    embedded one, or a server's database) and embedding model."""
    store = hashlib.sha256(f"{settings.chroma_url or ''}|{settings.chroma_database or ''}".encode()).hexdigest()[:12]
    return settings.data_dir / "lexical" / f"{namespace}-{store}.pkl"


class AssistantService:
    def __init__(self, settings: Settings, embeddings: Embeddings | None = None, client=None, chat_model=None) -> None:
        self.settings = settings
        self.embeddings = embeddings or make_embeddings(
            settings.embeddings, settings.model_dir or settings.data_dir / "models", settings.embedding_dtype
        )
        self.client = client or make_chroma_client(settings.data_dir, settings.chroma_url, settings.chroma_database)
        namespace = embedding_namespace(settings.embeddings)
        self.index = DocumentIndex(self.client, namespace, self.embeddings, bigrams=settings.retrieval.bigrams,
                                   cache=lexical_cache(settings, namespace), spill_at=settings.retrieval.spill_postings)
        self.audit = ChromaAuditLog(self.client, namespace)
        secret = lambda value: value.get_secret_value() if value else None   # noqa: E731
        self.staff = StaffTokens.parse(secret(settings.staff_tokens), secret(settings.staff_token))
        r = settings.retrieval
        thesaurus = Thesaurus.packaged() if r.synonyms else None
        self.analyzer = QuestionAnalyzer(thesaurus, r.restore_diacritics)
        self.retriever = HybridRetriever(
            index=self.index, embeddings=self.embeddings, k=r.k, fetch_k=r.fetch_k, rrf_k=r.rrf_k,
            mode=r.mode, programme_boost=r.programme_boost, doc_prior=r.doc_prior,
            dense_weight=r.dense_weight, lexical_weight=r.lexical_weight,
            restore_diacritics=r.restore_diacritics, rerank_weight=r.rerank_weight, rerank_depth=r.rerank_depth,
            adaptive=r.adaptive, local_idf=r.local_idf, answer_type_bonus=r.answer_type_bonus, thesaurus=thesaurus,
            # the learned answer policy was fit on the passages in the learned order
            analyzer=self.analyzer,
            ranker=LinearModel.load(RANKER) if "learned" in (r.ranker, settings.answer.policy) else None,
            ranker_depth=r.ranker_depth,
        )
        a = settings.answer
        policy = AnswerPolicy(min_coverage=a.min_coverage, min_sentence=a.min_sentence, max_quotes=a.max_quotes)
        learned = LearnedPolicy.load() if a.policy == "learned" else None
        extractive = ExtractiveAnswerer(self.index.snapshot, self._section_text, policy, thesaurus,
                                        outline=self._section_outline, analyzer=self.analyzer, learned=learned)
        self.answerer: Answerer = self._make_answerer(extractive, chat_model)
        self.chain = build_chain(self.retriever, self.answerer, self._with_series)
        self._extract_cache: tuple = (None, [])     # (registry signature, extracted rows)
        self._follow_cache: tuple = (None, None)    # (registry signature, FollowThrough)
        self._follow_lock = threading.Lock()
        self._ready = threading.Event()
        self._ready.set()

    # ----- start-up ---------------------------------------------------------------------
    def start_in_background(self, seeds: list[str | Path] = ()) -> threading.Thread:
        """Load the embedding model and index the seed reports (when the store is empty)
        on a thread, so a server can listen at once. Questions asked meanwhile wait for
        it (bounded) rather than being answered from a half-ready store."""
        self._ready.clear()

        def prepare() -> None:
            try:
                warm_up = getattr(self.embeddings, "warm_up", None)
                if warm_up is not None:
                    warm_up()
                if seeds and not self.documents():
                    for seed in seeds:
                        if Path(seed).is_file():
                            result = self.ingest_path(seed, who="seed")
                            log.info("seeded %s (%s)", result.record.doc_id, result.status)
            except Exception:  # the server stays up; the error is in the log and asks still work
                log.exception("start-up preparation failed")
            finally:
                self._ready.set()

        thread = threading.Thread(target=prepare, name="startup", daemon=True)
        thread.start()
        return thread

    def wait_ready(self, timeout: float = 120.0) -> bool:
        return self._ready.wait(timeout)

    def _make_answerer(self, extractive: ExtractiveAnswerer, chat_model=None) -> Answerer:
        chat_model = chat_model or make_chat_model(self.settings)
        if chat_model is None:
            return extractive
        return LLMAnswerer(chat_model, extractive)

    def _with_series(self, answer: Answer, analysis) -> Answer:
        if not analysis.reports.series:      # most questions: no registry read on their path
            return answer
        return with_series(answer, analysis, self.index.snapshot().records, self.index.section)

    def _section_text(self, doc_id: str, section_id: str) -> str | None:
        section = self.index.section(doc_id, section_id)
        return section.text if section else None

    def _section_outline(self, doc_id: str) -> list[tuple[str, str]]:
        return [(s.section_id, s.heading) for s in self.index.sections(doc_id)]

    # ----- reports ----------------------------------------------------------------------
    def prepare(self, loaded: LoadedText, doc_id: str | None = None, title: str | None = None) -> PreparedReport:
        c = self.settings.chunks
        return prepare_report(loaded, doc_id=doc_id, title=title, max_chunk_chars=c.max_chars, overlap=c.overlap_sentences)

    def ingest(self, loaded: LoadedText, doc_id: str | None = None, title: str | None = None,
               progress: Progress | None = None, who: str = "cli") -> IngestResult:
        """Index one report; the audit log records who, the outcome, or the refusal."""
        try:
            result = self.index.add(self.prepare(loaded, doc_id, title), progress)
        except InputError as exc:
            self.audit.record(who, "ingest", doc_id or "", title or "", "error", f"{loaded.source}: {exc}")
            raise
        r = result.record
        log.info("ingest %s: %s (%d chunks)", r.doc_id, result.status, r.chunks)
        self.audit.record(who, "ingest", r.doc_id, r.title, result.status, loaded.source)
        return result

    def ingest_path(self, path: str | Path, title: str | None = None, who: str = "cli") -> IngestResult:
        return self.ingest(load_path(path, self.settings.max_upload_bytes), title=title, who=who)

    def ingest_text(self, text: str, title: str | None = None, doc_id: str | None = None,
                    who: str = "cli") -> IngestResult:
        return self.ingest(load_text(text, "paste", self.settings.max_upload_bytes), doc_id=doc_id, title=title,
                           who=who)

    def _outcome(self, name: str, load, who: str, title: str | None = None) -> FileOutcome:
        """One file of a batch, read and indexed; any refusal is this file's result alone."""
        try:
            loaded = load()
        except InputError as exc:             # unreadable: refused before parsing, and logged
            self.audit.record(who, "ingest", status="error", detail=f"{name}: {exc}")
            return FileOutcome(name, "error", message=str(exc))
        try:
            result = self.ingest(loaded, title=title, who=who)
        except InputError as exc:             # ingest has logged it
            return FileOutcome(name, "error", message=str(exc))
        r = result.record
        return FileOutcome(name, result.status, r.doc_id, r.title, sections=r.sections, chunks=r.chunks)

    def ingest_files(self, files: Iterable[tuple[str, bytes]], who: str) -> Iterator[FileOutcome]:
        """A staff batch: several files, a .zip standing for its members. Each file's
        outcome as soon as it is done; a bad file never stops the others."""
        limit = self.settings.max_upload_bytes
        for name, data in files:
            if name.lower().endswith(".zip"):
                try:
                    members = zip_members(data, limit)
                except InputError as exc:
                    self.audit.record(who, "ingest", status="error", detail=f"{name}: {exc}")
                    yield FileOutcome(name, "error", message=str(exc))
                    continue
                for m in members:
                    label = f"{name}/{m.name}"
                    if m.data is None:
                        self.audit.record(who, "ingest", status="error", detail=f"{label}: {m.error}")
                        yield FileOutcome(label, "error", message=m.error)
                    else:
                        yield self._outcome(label, lambda m=m: load_bytes(m.data, m.name, limit), who)
            else:
                yield self._outcome(name, lambda name=name, data=data: load_bytes(data, name, limit), who)

    def reindex(self, who: str) -> Iterator[FileOutcome]:
        """Every report parsed again from what its reader gave when it was indexed (after
        a parser change): changed trees are replaced, the rest stay as they are. A report
        indexed before sources were kept is reported, untouched: upload its file again."""
        for record in self.documents():
            loaded = self.index.source(record.doc_id)
            if loaded is None:
                self.audit.record(who, "reindex", record.doc_id, record.title, "error", "no kept source")
                yield FileOutcome(record.source or record.doc_id, "error", record.doc_id, record.title,
                                  "Không còn bản đọc gốc của báo cáo này (lập chỉ mục trước khi có chức năng "
                                  "lưu): hãy tải lại tệp / no kept source, upload the file again")
                continue
            try:
                result = self.index.add(self.prepare(loaded, record.doc_id, record.title))
            except InputError as exc:
                self.audit.record(who, "reindex", record.doc_id, record.title, "error", str(exc))
                yield FileOutcome(loaded.source, "error", record.doc_id, record.title, str(exc))
                continue
            r = result.record
            self.audit.record(who, "reindex", r.doc_id, r.title, result.status, loaded.source)
            yield FileOutcome(loaded.source, result.status, r.doc_id, r.title, sections=r.sections, chunks=r.chunks)

    def staff_member(self, token: str | None, where: str) -> str | None:
        """The name whose staff token this is; a refused token is itself an audit entry."""
        who = self.staff.who(token)
        if who is None:
            self.audit.record("?", "refused", status="refused", detail=where)
        return who

    def audit_entries(self, limit: int = 500) -> list[AuditEntry]:
        return self.audit.entries(limit)

    def documents(self) -> list[DocumentRecord]:
        return self.index.documents()

    def _extracted(self):
        """Commitments and figures of every live report, cached until the registry changes."""
        signature = self.index.snapshot().signature
        if self._extract_cache[0] != signature:
            rows = []
            for record in self.index.documents():
                sections = self.index.sections(record.doc_id)
                rows.append((record, commitments(sections), figures(sections)))
            self._extract_cache = (signature, rows)
        return self._extract_cache[1]

    def _filtered(self, which: int, search: str, doc_ids: list[str] | None, haystack):
        """(record, item) of extracted list `which` (0 commitments, 1 figures), kept when
        every typed word, diacritics or not, is in haystack(item)."""
        wanted = fold(search).lower().split()
        for record, *lists in self._extracted():
            if doc_ids and record.doc_id not in doc_ids:
                continue
            for item in lists[which]:
                if all(w in fold(haystack(item)).lower() for w in wanted):
                    yield record, item

    def commitments(self, search: str = "", doc_ids: list[str] | None = None) -> list[dict]:
        """Programme items of the reports, filtered by report and by words typed with or
        without diacritics."""
        return [{"doc_id": r.doc_id, "doc_title": r.title, "section_id": c.section_id, "text": c.text,
                 "deadline": c.deadline, "target": c.target, "agency": c.agency, "partners": c.partners,
                 "output": c.output, "task": c.task}
                for r, c in self._filtered(0, search, doc_ids, lambda c: c.text)]

    def _follow_through(self) -> FollowThrough:
        signature = self.index.snapshot().signature
        with self._follow_lock:
            if self._follow_cache[0] != signature:
                records = self.documents()
                reports = [r for r in records if r.meta.get("kind") == "báo cáo"]
                self._follow_cache = (signature, FollowThrough(
                    {r.doc_id: self.index.sections(r.doc_id) for r in reports},
                    {r.doc_id: r.title for r in records}))
            return self._follow_cache[1]

    @staticmethod
    def _later_reports(plan: DocumentRecord, records: list[DocumentRecord]) -> list[str]:
        """Reports that can speak of the plan's tasks: reports (kind báo cáo), not dated
        before the plan, of the same place when both name one."""
        place = fold(plan.meta.get("place", "")).lower()
        out = []
        for r in records:
            if r.doc_id == plan.doc_id or r.meta.get("kind") != "báo cáo":
                continue
            if plan.date and r.date and r.date[:len(plan.date)] < plan.date[:len(r.date)]:
                continue
            other = fold(r.meta.get("place", "")).lower()
            if place and other and place != other:
                continue
            out.append(r.doc_id)
        return out

    def tracker(self, search: str = "", doc_ids: list[str] | None = None, agency: str = "", status: str = "",
                overdue_first: bool = False, today=None) -> list[dict]:
        """The commitments tracker: every commitment with its report, agency, deadline and
        its follow-through in later reports (status and evidence, cited)."""
        from datetime import date

        today = today or date.today()
        records = self.documents()
        by_id = {r.doc_id: r for r in records}
        follow = self._follow_through()
        later = {r.doc_id: self._later_reports(r, records) for r in records}
        wanted_agency = fold(agency).lower().split()
        rows = []
        for c in self.commitments(search, doc_ids):
            record = by_id.get(c["doc_id"])
            if record is None:
                continue
            if wanted_agency and not all(w in fold(c["agency"]).lower() for w in wanted_agency):
                continue
            found = follow.match(c["task"] or c["text"], later.get(c["doc_id"], [])) if later.get(c["doc_id"]) else None
            row = {**c, "doc_number": record.meta.get("number", ""), "doc_date": record.date,
                   "status": found.status if found else UNKNOWN,
                   "evidence": found.__dict__ if found else None}
            end = deadline_end(c["deadline"])
            row["deadline_end"] = end.isoformat() if end else ""
            row["overdue"] = bool(end and end < today and row["status"] != "đã hoàn thành")
            if status and row["status"] != status:
                continue
            rows.append(row)
        if overdue_first:
            rows.sort(key=lambda r: (not r["overdue"], r["deadline_end"] or "9999"))
        return rows

    def figures(self, search: str = "", doc_ids: list[str] | None = None) -> list[dict]:
        return [{"doc_id": r.doc_id, "doc_title": r.title, "section_id": f.section_id, "value": f.value,
                 "unit": f.unit, "measure": f.measure, "sentence": f.sentence}
                for r, f in self._filtered(1, search, doc_ids, lambda f: f"{f.measure} {f.unit}")]

    def figures_across(self, question: str, filters: ReportFilter | None = None) -> dict:
        """One indicator across the periods of a series: the question answered from the
        latest report, and the same figure in each other report of its series, cited."""
        question = self._checked(question, None)
        self.wait_ready()
        doc_ids, refused = self._unanswerable(question, None, filters)
        if refused:
            return {"question": question, "answer": refused.answer, "found": False, "points": []}
        analysis = self.retriever.analyze(question, "", doc_ids)
        docs = [hit.to_document() for hit in self.retriever.search(question, doc_ids, analysis=analysis)]
        answer = self.answerer.answer(question, docs, "", analysis) if docs else None
        if answer is None:
            return {"question": question, "answer": NOT_FOUND, "found": False, "points": []}
        points = series_points(answer, analysis, self.index.snapshot().records, self.index.section)
        return {"question": question, "answer": answer.answer, "found": answer.found,
                "points": [p.public() for p in points]}

    def sections(self, doc_id: str):
        return self.index.sections(validate_doc_id(doc_id))

    def delete(self, doc_id: str, who: str = "cli") -> bool:
        record = self.index.document(validate_doc_id(doc_id))
        deleted = self.index.delete(doc_id)
        self.audit.record(who, "delete", doc_id, record.title if record else "", "deleted" if deleted else "missing")
        return deleted

    # ----- questions --------------------------------------------------------------------
    def _checked(self, question: str, doc_ids: list[str] | None) -> str:
        question = (question or "").strip()
        if not question:
            raise InputError("Câu hỏi trống / empty question")
        if len(question) > 2000:
            raise InputError("Câu hỏi quá dài (tối đa 2000 ký tự) / question too long")
        for doc_id in doc_ids or []:
            validate_doc_id(doc_id)
        return question

    def documents_matching(self, filters: ReportFilter | None = None) -> list[DocumentRecord]:
        records = self.documents()
        return [r for r in records if not filters or filters.matches(r)]

    def _unanswerable(self, question: str, doc_ids: list[str] | None,
                      filters: ReportFilter | None) -> tuple[list[str] | None, Answer | None]:
        """The reports a question is asked of (the filters applied), or the answer when
        there is none to ask: an empty store, a filter nothing matches."""
        snapshot = self.index.snapshot()
        if not snapshot.live_chunks:
            return doc_ids, Answer(question=question, answer=EMPTY_INDEX, found=False, mode=self.answerer.mode)
        if filters:
            doc_ids = filters.select(list(snapshot.records.values()), doc_ids)
            if not doc_ids:
                return doc_ids, Answer(question=question, answer=NO_MATCHING_REPORT, found=False, mode=self.answerer.mode)
        return doc_ids, None

    def ask(self, question: str, doc_ids: list[str] | None = None, history: list[Turn] | None = None,
            filters: ReportFilter | None = None) -> Answer:
        question = self._checked(question, doc_ids)
        self.wait_ready()
        doc_ids, refused = self._unanswerable(question, doc_ids, filters)
        if refused:
            return refused
        rewritten = standalone_question(question, history or [])
        result: Answer = self.chain.invoke(
            {"input": rewritten.question, "focus": rewritten.focus, "doc_ids": doc_ids or None}
        )
        result.question = question
        return result

    def ask_stream(self, question: str, doc_ids: list[str] | None = None,
                   history: list[Turn] | None = None, filters: ReportFilter | None = None) -> Iterator[str | Answer]:
        """Tokens as a chat model writes them (generative mode), then the checked Answer.
        In extractive mode the Answer comes at once."""
        stream = getattr(self.answerer, "stream", None)
        if stream is None:
            yield self.ask(question, doc_ids, history, filters)
            return
        question = self._checked(question, doc_ids)
        self.wait_ready()
        doc_ids, refused = self._unanswerable(question, doc_ids, filters)
        if refused:
            yield refused
            return
        rewritten = standalone_question(question, history or [])
        started = time.perf_counter()
        analysis = self.retriever.analyze(rewritten.question, rewritten.focus, doc_ids or None)
        docs = [hit.to_document() for hit in self.retriever.search(rewritten.question, doc_ids or None, analysis=analysis)]
        retrieved = time.perf_counter()
        for item in stream(rewritten.question, docs, rewritten.focus, analysis):
            if isinstance(item, Answer):
                item = self._with_series(item, analysis)
                done = time.perf_counter()
                item.question = question
                item.timings_ms = {"retrieve": round((retrieved - started) * 1000, 1),
                                   "answer": round((done - retrieved) * 1000, 1),
                                   "total": round((done - started) * 1000, 1)}
            yield item
