"""Archive a project directory on demand."""

import subprocess

from flask import Flask

app = Flask(__name__)


class Archiver:
    def __init__(self, root):
        self.root = root

    def archive(self, project):
        cmd = "tar czf /tmp/{0}.tgz -C {1} {0}".format(project, self.root)
        return subprocess.call(cmd, shell=True)


@app.route("/projects/<project>/archive", methods=["POST"])
def archive_project(project):
    code = Archiver("/srv/projects").archive(project)
    return {"exit_code": code}
