import yaml
from fastapi import FastAPI, HTTPException, UploadFile

app = FastAPI()


@app.post("/pipelines/validate")
async def validate_pipeline(definition: UploadFile):
    content = await definition.read()
    try:
        spec = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    if not isinstance(spec, dict) or "steps" not in spec:
        raise HTTPException(status_code=422, detail="a pipeline needs a 'steps' list")
    return {"name": spec.get("name", definition.filename), "steps": len(spec["steps"])}
