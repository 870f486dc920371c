"""Internal job submission endpoint taking pickled jobs."""

import pickle

from django.http import JsonResponse


def submit_job(request):
    job = pickle.loads(request.body)
    return JsonResponse({"queued": getattr(job, "name", "job")})
