#!/bin/bash
# Parameters arrive on stdin as shell-quoted KEY='value' lines (parameter_format: dotenv).
IFS= read -r -d '' params || true
eval "$params"
printf '%s' "${message-}"
