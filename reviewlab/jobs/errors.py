"""The errors of analysis jobs, in the library's tree (``reviewlab.errors``).

ReviewlabError
└── JobError                  an analysis job could not be submitted, found or run
    ├── InvalidRequest        (also an InputError) the request is malformed or unsafe
    ├── AnalysisNotFound      no analysis session has this id
    └── QueueUnavailable      the queue did not take the job (the session is marked failed)
"""

from __future__ import annotations

from reviewlab.errors import InputError, ReviewlabError


class JobError(ReviewlabError):
    """An analysis job could not be submitted, found or run."""


class InvalidRequest(JobError, InputError):
    """The analysis request is malformed, too large or unsafe."""


class AnalysisNotFound(JobError):
    """No analysis session has this id."""


class QueueUnavailable(JobError):
    """The queue did not accept the job."""
