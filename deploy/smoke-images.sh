#!/bin/sh
# Run each face's image as its target's CMD and wait for the health check the Dockerfile declares: the API's
# /health/live, the worker's Celery ping over the broker, Dagster's /server_info, Streamlit's /_stcore/health,
# MLflow's /health. The containers share the host's network (REDIS_URL must reach a Redis for the worker).
#
#   deploy/smoke-images.sh [TAG]       # images reviewlab-<target>:TAG (default: latest), built beforehand:
#                                      #   docker build --target <target> -t reviewlab-<target>:TAG .
set -eu
TAG=${1:-latest}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/15}
failed=0

wait_for() {  # name, then the command that succeeds once the face is healthy
    name=$1
    shift
    for _ in $(seq 1 90); do
        if "$@" >/dev/null 2>&1; then
            echo "ok      $name"
            return 0
        fi
        if [ "$(docker inspect -f '{{.State.Running}}' "smoke-$name" 2>/dev/null)" != true ]; then
            break
        fi
        sleep 2
    done
    echo "FAILED  $name"
    docker logs --tail 30 "smoke-$name" 2>&1 | sed 's/^/        /'
    failed=1
}

start() {  # target, then environment options
    target=$1
    shift
    docker rm -f "smoke-$target" >/dev/null 2>&1 || true
    docker run -d --name "smoke-$target" --network host -e REVIEWLAB_RATE_LIMITS=false "$@" "reviewlab-$target:$TAG" \
        >/dev/null
}

in_container() {  # target, then the command to run in its container
    target=$1
    shift
    docker exec "smoke-$target" "$@"
}

start api
wait_for api in_container api curl -fsS -o /dev/null http://127.0.0.1:8000/health/live

start worker -e REDIS_URL="$REDIS_URL"
wait_for worker in_container worker sh -c \
    'celery --broker "$REDIS_URL" inspect ping --destination "celery@$(hostname)" --timeout 10'

start dagster
wait_for dagster in_container dagster curl -fsS -o /dev/null http://127.0.0.1:3000/server_info

start dashboard
wait_for dashboard in_container dashboard curl -fsS -o /dev/null http://127.0.0.1:8501/_stcore/health

start mlflow
wait_for mlflow in_container mlflow curl -fsS -o /dev/null http://127.0.0.1:5000/health

for target in api worker dagster dashboard mlflow; do
    docker rm -f "smoke-$target" >/dev/null 2>&1 || true
done
exit $failed
