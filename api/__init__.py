"""reviewlab's HTTP face: a FastAPI service whose routes call the library and nothing else."""
