"""The owner's assistant: a description in the owner's words (English or Chinese) -> a ranked
list of likely diagnoses from the rule catalogue, checked against what the car reports.

    catalogue   the catalogue's diagnoses as entries with their texts (pure)
    language    which language a description is in (pure)
    lexical     BM25 over stemmed English words and jieba-segmented Chinese words (pure)
    semantic    a multilingual sentence-embedding model that ships its weights (loaded once)
    rank        fusion of both rankings and the calibrated "no good match" threshold (pure)
    evidence    what the car shows: trouble codes, rule states, signals near a limit, open
                jobs (read at the edge, scored as a pure function)
    explain     the reasons in plain words, in the language of the description (pure)
    assistant   the whole question: ``Assistant.ask(text, car)`` -> ``Answer``
    drafts      the job an answer books (``jobs.model.JobDraft``); the caller books it
"""
