# examples/python/flask_app.py: a Flask application (pip install flask).
#
#     boxwire --wsgi /=python:flask_app:app --python-cwd examples/python --python-processes 2 --python-threads 4
from flask import Flask, request

app = Flask(__name__)


@app.get("/")
def index():
    return {"hello": "world", "served by": request.environ.get("SERVER_SOFTWARE")}


@app.post("/upload")
def upload():
    data = request.get_data()
    return {"bytes": len(data)}


@app.get("/users/<name>")
def user(name):
    return {"user": name}
