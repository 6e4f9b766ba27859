#!/bin/sh
printf 'format=%s file=%s\n' "$ATTUNE_PARAMETER_FORMAT" "$(cat "$ATTUNE_PARAMETER_FILE")"
exit 3
