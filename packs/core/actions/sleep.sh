#!/bin/bash
IFS= read -r -d '' params || true
eval "$params"
# exec: the sleep is the action process itself, so a timeout or cancel stops it at once.
exec sleep "${seconds:-1}"
